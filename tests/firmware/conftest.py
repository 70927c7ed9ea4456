"""Fixtures of the firmware tests: one exported model library (a random-weight CNN2D_ST_HandPosture with
the on-device preprocessing), made once per session, and the build tools (a skip on a laptop, a failure in CI)."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import require


def require_tools(*names: str) -> None:
    for name in names:
        require(shutil.which(name) is not None,
                f"{name} is not installed (apt-get install --no-install-recommends make gcc gcc-arm-none-eabi "
                "libnewlib-arm-none-eabi qemu-system-arm)")


@pytest.fixture(scope="session")
def model_bytes() -> bytes:
    from training.export.quantize import quantize_keras_model
    from training.models.cnn2d_st import build_cnn2d_st_handposture

    data = np.random.default_rng(0).normal(size=(64, 8, 8, 2)).astype(np.float32)
    return quantize_keras_model(build_cnn2d_st_handposture(8), data)


@pytest.fixture(scope="session")
def library_dir(tmp_path_factory, model_bytes) -> Path:
    """An export folder holding the generated C library (no report: the firmware needs only the library)."""
    from training.data.preprocess import PreprocessingSpec
    from training.export.library import generate_library

    export_dir = tmp_path_factory.mktemp("export")
    (export_dir / "model_int8.tflite").write_bytes(model_bytes)
    generate_library(model_bytes, export_dir, PreprocessingSpec(), source="model_int8.tflite")
    return export_dir


@pytest.fixture
def export_dir(tmp_path, library_dir) -> Path:
    """A private copy of the export folder (tests write firmware projects into it)."""
    copy = tmp_path / "export"
    shutil.copytree(library_dir, copy)
    return copy


STM32_BOARDS = ("nucleo-f401re", "qemu-stm32f405")  # every board file with an STM32 chip


@pytest.fixture(scope="session")
def stm32_images(tmp_path_factory, library_dir) -> dict:
    """{board: FirmwareImage} of every STM32 board's firmware, built once per session from the library above
    (register read-back on QEMU and the disassembly tests read them; never written)."""
    require_tools("make", "arm-none-eabi-gcc", "arm-none-eabi-nm")
    from tofhil.firmware import build_project, generate_project

    images = {}
    for board in STM32_BOARDS:
        export = tmp_path_factory.mktemp(board) / "export"
        shutil.copytree(library_dir, export)
        images[board] = build_project(generate_project(export, board))
    return images
