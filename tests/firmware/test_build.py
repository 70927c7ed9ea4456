"""The generated project builds with `make` alone in a clean copy, warning-free; build_project measures and caches."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from hil.errors import FirmwareBuildError
from tests.firmware.conftest import require_tools
from tofhil.firmware import build_project, generate_project


def _make_in_clean_copy(project, tmp_path):
    copy = tmp_path / "copy" / project.name
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("build"))
    result = subprocess.run(["make"], cwd=copy, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return copy, result


@pytest.mark.parametrize("board", ["nucleo-f401re", "qemu-stm32f405"])
def test_arm_project_builds_warning_free_in_a_clean_copy(export_dir, tmp_path, board):
    require_tools("make", "arm-none-eabi-gcc", "arm-none-eabi-size")
    copy, result = _make_in_clean_copy(generate_project(export_dir, board), tmp_path)
    assert "warning" not in (result.stdout + result.stderr).lower()
    for suffix in (".elf", ".bin", ".hex", ".map"):
        assert (copy / "build" / f"tofhil_firmware{suffix}").stat().st_size > 0
    assert "text" in result.stdout and "bss" in result.stdout  # make prints arm-none-eabi-size
    assert "tofhil_model_invoke" in (copy / "build" / "tofhil_firmware.map").read_text()


def test_host_project_builds_warning_free_in_a_clean_copy(export_dir, tmp_path):
    require_tools("make", "cc")
    copy, result = _make_in_clean_copy(generate_project(export_dir, "host"), tmp_path)
    assert "warning" not in (result.stdout + result.stderr).lower()
    assert (copy / "build" / "tofhil_firmware").stat().st_mode & 0o111


def test_build_project_reports_size_and_is_cached(export_dir):
    require_tools("make", "arm-none-eabi-gcc", "arm-none-eabi-size")
    project = generate_project(export_dir, "qemu-stm32f405")
    image = build_project(project)
    assert image.board == "qemu-stm32f405" and image.elf.is_file() and image.bin.is_file()
    assert image.model_sha256 in (project / "model" / "tofhil_model.h").read_text()
    assert image.sections[".stack"] == 2048 and image.sections[".text"] > 5000
    assert image.ram_bytes == image.sections[".data"] + image.sections[".bss"] + 2048
    assert image.flash_bytes >= image.sections[".text"] + image.sections[".isr_vector"]
    stamp = image.elf.stat().st_mtime_ns
    (project / "build" / "src" / "tofhil_main.o").unlink()  # make would rebuild: the cache must not call it
    assert build_project(generate_project(export_dir, "qemu-stm32f405")) == image
    assert image.elf.stat().st_mtime_ns == stamp


def test_changed_source_rebuilds(export_dir):
    require_tools("make", "cc")
    project = generate_project(export_dir, "host")
    build_project(project)
    main_object = project / "build" / "src" / "tofhil_main.o"
    os.utime(main_object, (1, 1))
    with (project / "src" / "tofhil_main.c").open("a") as source:
        source.write("/* edited by hand */\n")
    build_project(project)
    assert main_object.stat().st_mtime > 1


def test_compiler_error_is_a_firmware_build_error_with_the_message(export_dir):
    require_tools("make", "cc")
    project = generate_project(export_dir, "host")
    (project / "src" / "tofhil_broken.c").write_text("int tofhil_broken(void) { return undeclared_name; }\n")
    with pytest.raises(FirmwareBuildError, match="(?s)host firmware .* failed.*undeclared_name"):
        build_project(project)


def test_not_a_project(tmp_path):
    with pytest.raises(FirmwareBuildError, match="not a generated firmware project"):
        build_project(tmp_path)


def test_cmake_builds_the_arm_project_with_the_toolchain_file(export_dir, tmp_path):
    require_tools("cmake", "make", "arm-none-eabi-gcc", "arm-none-eabi-size")
    project = generate_project(export_dir, "nucleo-f401re")
    build = tmp_path / "cmake-build"
    configure = subprocess.run(["cmake", "-S", str(project), "-B", str(build)], capture_output=True, text=True)
    assert configure.returncode == 0, configure.stderr
    result = subprocess.run(["cmake", "--build", str(build)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning" not in (result.stdout + result.stderr).lower()
    assert (build / "tofhil_firmware.elf").is_file() and (build / "tofhil_firmware.bin").stat().st_size > 1000


def test_a_copied_project_reports_its_own_outputs(export_dir, tmp_path):
    require_tools("make", "cc")
    original = build_project(generate_project(export_dir, "host"))
    copy = shutil.copytree(original.project_dir, tmp_path / "moved")
    image = build_project(copy)
    assert image.executable == copy / "build" / "tofhil_firmware" and image.project_dir == copy


def test_library_without_preprocessing_builds(export_dir):
    require_tools("make", "cc")
    for name in ("tofhil_preprocess.c", "tofhil_preprocess.h"):
        (export_dir / name).unlink()
    assert build_project(generate_project(export_dir, "host")).executable.is_file()
