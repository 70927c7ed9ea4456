"""Flashing a NUCLEO on a labgrid place: the ELF is copied to the exporter host and OpenOCD runs there.
No probe and no remote host here: fake ``scp`` and ``ssh`` executables stand at that boundary (they record
their arguments); the commands, the host taken from the place's port and the errors are real."""
from __future__ import annotations

import os
import shlex
from pathlib import Path
from types import SimpleNamespace

import pytest

from hil.errors import FlashError
from hil.farm.remote_flash import remote_flash_commands
from hil.runner import BoardOptions
from hil.targets.place import PlaceTarget
from tofhil.boards import load_board


class FakeLease:
    name = "rack-3"

    def serial_url(self) -> str:
        return "rfc2217://lab-exporter:4001?ign_set_control"


@pytest.fixture
def fake_tools(tmp_path, monkeypatch):
    """scp and ssh that log their argv (one JSON-free line each) and exit with $FAKE_EXIT."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    for tool in ("scp", "ssh"):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> {log}\n'
                          'if [ "${FAKE_EXIT:-0}" != 0 ]; then echo "Permission denied (publickey)."; fi\n'
                          'exit "${FAKE_EXIT:-0}"\n')
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def _image(tmp_path) -> SimpleNamespace:
    elf = tmp_path / "export" / "firmware" / "nucleo-f401re" / "build" / "tofhil_firmware.elf"
    elf.parent.mkdir(parents=True, exist_ok=True)
    elf.write_bytes(b"\x7fELF")
    return SimpleNamespace(elf=elf)


def test_a_nucleo_on_a_place_is_flashed_on_its_exporter_host_then_its_port_is_used(fake_tools, tmp_path):
    spec = load_board("nucleo-f401re")
    target = PlaceTarget(spec, FakeLease(), BoardOptions("nucleo-f401re", probe="066DFF485550755187121234"))
    url = target.start(_image(tmp_path))
    assert url == "rfc2217://lab-exporter:4001?ign_set_control"
    scp, ssh = fake_tools.read_text().splitlines()
    assert scp.startswith("scp -o BatchMode=yes") and scp.endswith(
        "lab-exporter:/tmp/tofhil-nucleo-f401re-tofhil_firmware.elf")
    remote = shlex.split(ssh.split(" lab-exporter ", 1)[1])
    # OpenOCD's own syntax (its manual, "Flash programming"): program FILE verify reset exit
    assert remote == ["openocd", "-f", "board/st_nucleo_f4.cfg", "-c", "adapter serial 066DFF485550755187121234",
                      "-c", "program {/tmp/tofhil-nucleo-f401re-tofhil_firmware.elf} verify reset exit"]


def test_no_flash_and_an_emulated_board_on_a_place_run_no_tool(fake_tools, tmp_path):
    PlaceTarget(load_board("nucleo-f401re"), FakeLease(), BoardOptions("nucleo-f401re", flash=False)).start(
        _image(tmp_path))
    PlaceTarget(load_board("qemu-stm32f405"), FakeLease(), BoardOptions("qemu-stm32f405")).start(_image(tmp_path))
    assert not fake_tools.exists()


def test_a_refused_ssh_is_a_flash_error_naming_the_place_and_host(fake_tools, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_EXIT", "255")
    with pytest.raises(FlashError) as failed:
        PlaceTarget(load_board("nucleo-f401re"), FakeLease(), BoardOptions("nucleo-f401re")).start(_image(tmp_path))
    message = str(failed.value)
    assert "place rack-3 (lab-exporter)" in message and "Permission denied (publickey)" in message


def test_without_a_probe_the_command_names_none():
    commands = remote_flash_commands("h", Path("/x/build/fw.elf"), "board/st_nucleo_f4.cfg", None)
    assert "adapter serial" not in commands[1][-1]
