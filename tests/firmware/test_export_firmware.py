"""`python -m training export` writes and builds the board's firmware project, also from a relative run path."""
from __future__ import annotations

import json

import pytest

from tests.firmware.conftest import require_tools
from training.cli import main


@pytest.fixture
def relative_run(tiny_config, tmp_path, monkeypatch):
    """A trained run folder, addressed as users type it: relative to the working directory."""
    from training.config import load_config
    from training.train.trainer import run_training

    run_training(load_config(tiny_config), output_dir=str(tmp_path / "experiments_outputs" / "run"), verbose=0,
                 track=False)
    monkeypatch.chdir(tmp_path)
    return "experiments_outputs/run"


def test_export_from_a_relative_run_path_builds_footprint_and_firmware(relative_run, tmp_path, capsys):
    require_tools("make", "arm-none-eabi-gcc", "arm-none-eabi-size")
    assert main(["export", relative_run, "--board", "qemu-stm32f405"]) == 0
    export = tmp_path / relative_run / "export"
    report = json.loads((export / "model_report.json").read_text())
    assert report["footprint"]["flash_bytes"] > 0 and report["footprint"]["board"] == "qemu-stm32f405"
    firmware = report["firmware"]
    assert firmware["built"] and firmware["board"] == "qemu-stm32f405"
    assert (export / "firmware" / "qemu-stm32f405" / "build" / "tofhil_firmware.elf").is_file()
    assert firmware["flash_bytes"] > report["footprint"]["flash_bytes"]  # the whole firmware holds the library
    assert f"firmware qemu-stm32f405: flash {firmware['flash_kib']} KiB" in capsys.readouterr().out


def test_export_to_the_host_board_and_without_firmware(relative_run, tmp_path):
    require_tools("make", "cc")
    assert main(["export", relative_run, "--board", "host", "--no-footprint"]) == 0
    report = json.loads((tmp_path / relative_run / "export" / "model_report.json").read_text())
    assert report["firmware"]["built"] and report["firmware"]["image"].endswith("build/tofhil_firmware")
    assert main(["export", relative_run, "--output-dir", "bare", "--no-footprint", "--no-firmware"]) == 0
    assert "firmware" not in json.loads((tmp_path / "bare" / "model_report.json").read_text())


def test_unknown_board_is_a_one_line_error(relative_run, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", relative_run, "--board", "nucleo-f999"])
    assert exit_info.value.code == 2 and "nucleo-f999" in capsys.readouterr().err
