"""Fixtures of the protocol tests: the C test drivers built for the host under ASan + UBSan, and a generated
model library (the ST architecture, random weights) with and without on-device preprocessing."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "firmware_templates"
COMMON = TEMPLATES / "firmware" / "common"
DRIVERS = Path(__file__).resolve().parent / "c"
SANITIZE = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-ffp-contract=off", "-g", "-O1",
            "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer")


def compile_c(sources: list[Path], includes: list[Path], output: Path, defines: tuple[str, ...] = ()) -> Path:
    command = ["gcc", *SANITIZE, *defines, *(f"-I{d}" for d in includes), *map(str, sources), "-o", str(output)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stderr}"
    return output


@dataclass(frozen=True)
class Driver:
    """A built test driver: ``run(commands)`` feeds one command per line and returns its answer lines."""

    path: Path

    def run(self, commands: list[str]) -> list[str]:
        result = subprocess.run([str(self.path)], input="\n".join(commands) + "\n", capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, f"{self.path.name} exited {result.returncode}:\n{result.stderr[-3000:]}"
        lines = result.stdout.splitlines()
        assert len(lines) >= len(commands), result.stdout[-2000:]
        return lines


@pytest.fixture(scope="session")
def host_gcc() -> str:
    path = shutil.which("gcc")
    require(path is not None, "gcc is not installed (apt-get install gcc)")
    return path


@pytest.fixture(scope="session")
def protocol_driver(host_gcc, tmp_path_factory) -> Driver:
    out = tmp_path_factory.mktemp("protocol_driver") / "protocol_driver"
    sources = [COMMON / "tofhil_protocol.c", TEMPLATES / "runtime" / "tofhil_status.c",
               DRIVERS / "protocol_driver.c"]
    return Driver(compile_c(sources, [COMMON, TEMPLATES / "runtime", DRIVERS], out))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """(tflite bytes, library with preprocessing and the decision pipeline, library without either). The
    pipeline's threshold is 0 (every class passes): the untrained model is rarely 90 % sure, and the session
    tests need shown labels that change; the int8 threshold itself is proven in tests/export."""
    from tests.protocol.model_library import make_model_library, tiny_tflite
    from tofhil.postprocessing import Postprocessing

    root = tmp_path_factory.mktemp("tiny_model")
    tflite = tiny_tflite()
    return (tflite, make_model_library(root / "pre", tflite, True, Postprocessing(threshold=0.0)),
            make_model_library(root / "nopre", tflite, False))


def app_sources(library_dir: Path) -> list[Path]:
    return [*sorted(Path(library_dir).glob("*.c")), COMMON / "tofhil_protocol.c", COMMON / "tofhil_app.c",
            TEMPLATES / "host" / "tofhil_board_buffer.c"]


@pytest.fixture(scope="session")
def app_drivers(host_gcc, tiny_model, tmp_path_factory) -> dict[bool, Driver]:
    """The app on the buffer board, keyed by ``has_preprocessing``."""
    out = tmp_path_factory.mktemp("app_driver")
    drivers = {}
    for library in tiny_model[1:]:
        flag = int(library.has_preprocessing)
        post = int((Path(library.directory) / "tofhil_postprocess.h").is_file())
        drivers[library.has_preprocessing] = Driver(compile_c(
            [*app_sources(library.directory), DRIVERS / "app_driver.c"],
            [library.directory, COMMON, TEMPLATES / "host", DRIVERS], out / f"app_driver_{flag}",
            (f"-DTOFHIL_HAS_PREPROCESS={flag}", f"-DTOFHIL_HAS_POSTPROCESS={post}",
             '-DTOFHIL_FIRMWARE_VERSION="test-1"')))
    return drivers
