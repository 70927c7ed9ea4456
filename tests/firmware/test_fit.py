"""A firmware that does not fit its board is a clear error with the numbers, not a linker dump."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hil.errors import FirmwareBuildError
from tests.firmware.conftest import require_tools
from tofhil.board_parse import parse_board
from tofhil.boards import boards_dir
from tofhil.firmware import build_project, generate_project


def test_firmware_larger_than_the_boards_flash_names_region_and_excess(export_dir, tmp_path):
    require_tools("make", "arm-none-eabi-gcc", "arm-none-eabi-size")
    data = yaml.safe_load((boards_dir() / "nucleo-f401re.yaml").read_text())
    data["memory"]["flash"]["size_kib"] = 4  # the validation firmware needs about 12 KiB
    spec = parse_board(data, Path(tmp_path / "nucleo-f401re.yaml"))
    with pytest.raises(FirmwareBuildError) as raised:
        build_project(generate_project(export_dir, spec))
    message = str(raised.value)
    assert "does not fit the board: FLASH overflowed by" in message
    assert "nucleo-f401re" in message and "\n" not in message
