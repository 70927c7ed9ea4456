"""Firmware project generation: a self-contained folder, generated files with a banner, every C value checked."""
from __future__ import annotations

import dataclasses
import json
import os

import pytest

from hil.errors import FirmwareBuildError
from tofhil.boards import load_board
from tofhil.firmware import generate_project, templates_hash
from tofhil.firmware_context import firmware_context

BANNER = "generated - do not edit"


def test_arm_project_holds_library_sources_and_generated_files(export_dir):
    project = generate_project(export_dir, "nucleo-f401re")
    assert project == export_dir.resolve() / "firmware" / "nucleo-f401re"
    names = {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}
    assert {"Makefile", "CMakeLists.txt", "cmake/arm-none-eabi.cmake", "tofhil_board_config.h",
            "tofhil_nucleo-f401re.ld", "tofhil_project.json", "model/tofhil_model.c", "model/tofhil_preprocess.c",
            "src/tofhil_main.c", "src/tofhil_startup.c", "src/tofhil_uart.c", "src/tofhil_protocol.c"} <= names
    assert not any(name.startswith("src/tofhil_board_host") for name in names)
    for generated in ("Makefile", "CMakeLists.txt", "tofhil_board_config.h", "tofhil_nucleo-f401re.ld"):
        assert BANNER in (project / generated).read_text()[:300]


def test_board_config_comes_from_the_yaml(export_dir):
    config = (generate_project(export_dir, "nucleo-f401re") / "tofhil_board_config.h").read_text()
    for line in ('#define TOFHIL_BOARD_NAME "nucleo-f401re"', "#define TOFHIL_CORE_CLOCK_HZ 84000000u",
                 "#define TOFHIL_CLOCK_USE_PLL 1", "#define TOFHIL_PLL_M 16u", "#define TOFHIL_PLL_N 336u",
                 "#define TOFHIL_PLL_P 4u", "#define TOFHIL_FLASH_LATENCY 2u", "#define TOFHIL_APB1_PPRE 4u",
                 "#define TOFHIL_UART_BASE 0x40004400u", "#define TOFHIL_UART_BAUD 921600u",
                 "#define TOFHIL_UART_TX_PIN 2u", "#define TOFHIL_UART_RX_PIN 3u", "#define TOFHIL_UART_AF 7u",
                 "#define TOFHIL_TIMER_KIND TOFHIL_TIMER_DWT_CYCLES", "#define TOFHIL_STACK_BYTES 2048u",
                 "#define TOFHIL_HAS_PREPROCESS 1", "#define TOFHIL_RX_BUFFER_SIZE 1024u"):
        assert line in config
    qemu = (generate_project(export_dir, "qemu-stm32f405") / "tofhil_board_config.h").read_text()
    assert "#define TOFHIL_CLOCK_USE_PLL 0" in qemu and "TOFHIL_PLL_M" not in qemu
    assert "#define TOFHIL_TIMER_KIND TOFHIL_TIMER_SYSTICK_ICOUNT" in qemu
    linker = (export_dir / "firmware" / "qemu-stm32f405" / "tofhil_qemu-stm32f405.ld").read_text()
    assert "ORIGIN = 0x08000000, LENGTH = 1024K" in linker and "ORIGIN = 0x20000000, LENGTH = 128K" in linker


def test_host_project_and_manifest(export_dir):
    project = generate_project(export_dir, "host")
    assert (project / "src" / "tofhil_board_host.c").is_file() and not (project / "src" / "tofhil_startup.c").exists()
    assert not (project / "cmake").exists()
    manifest = json.loads((project / "tofhil_project.json").read_text())
    assert manifest["board"] == "host" and manifest["kind"] == "host" and manifest["has_preprocess"] is True
    assert manifest["templates_sha256"] == templates_hash()
    assert manifest["model_sha256"] in (export_dir / "tofhil_model.h").read_text()


def test_regeneration_keeps_unchanged_files_and_drops_stale_ones(export_dir):
    project = generate_project(export_dir, "qemu-stm32f405")
    main = project / "src" / "tofhil_main.c"
    os.utime(main, (1, 1))
    (project / "src" / "tofhil_leftover.c").write_text("int x;\n")
    generate_project(export_dir, "qemu-stm32f405")
    assert main.stat().st_mtime == 1  # make does not rebuild what did not change
    assert not (project / "src" / "tofhil_leftover.c").exists()


def test_library_without_preprocessing_says_so(export_dir):
    for name in ("tofhil_preprocess.c", "tofhil_preprocess.h"):
        (export_dir / name).unlink()
    config = (generate_project(export_dir, "host") / "tofhil_board_config.h").read_text()
    assert "#define TOFHIL_HAS_PREPROCESS 0" in config


def test_not_an_export_folder(tmp_path):
    with pytest.raises(FirmwareBuildError, match="not an export folder .*tofhil_model.h.*python -m training export"):
        generate_project(tmp_path, "host")


@pytest.mark.parametrize("change, message", [
    (lambda b: dataclasses.replace(b, name='x"y'), "board name 'x\"y' cannot go into the firmware"),
    (lambda b: dataclasses.replace(b, uart=dataclasses.replace(b.uart, base=0x40004401)), "uart.base .* aligned"),
    (lambda b: dataclasses.replace(b, uart=dataclasses.replace(b.uart, irq=300)), r"uart.irq = 300 .*\[0, 239\]"),
    (lambda b: dataclasses.replace(b, uart=dataclasses.replace(b.uart, instance="UART4")), "stm32f4 layer drives"),
    (lambda b: dataclasses.replace(b, clock=dataclasses.replace(b.clock, apb1_div=3)), "clock.apb1_div = 3"),
    (lambda b: dataclasses.replace(b, stack_bytes=True), "stack_bytes = True"),
])
def test_every_value_written_into_c_is_checked(change, message):
    board = change(load_board("nucleo-f401re"))
    with pytest.raises(FirmwareBuildError, match=message):
        firmware_context(board, "0" * 64, True)


def test_model_hash_and_version_are_checked():
    board = load_board("host")
    with pytest.raises(FirmwareBuildError, match="model sha256"):
        firmware_context(board, "not-a-hash", True)
    with pytest.raises(FirmwareBuildError, match="firmware version"):
        firmware_context(board, "0" * 64, True, version="1.0\\n")
