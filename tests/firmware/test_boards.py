"""Board descriptions: the shipped files load, every key is checked, errors name the file and the key."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hil.errors import BoardSpecError
from tofhil.boards import board_choices, list_boards, load_board, parse_board_file
from tofhil.paths import boards_dir

SHIPPED = ("host", "nucleo-f401re", "qemu-stm32f405")


def _write(tmp_path: Path, board: str, edit) -> Path:
    data = yaml.safe_load((boards_dir() / f"{board}.yaml").read_text())
    edit(data)
    path = tmp_path / f"{data.get('name', board)}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_shipped_boards_load_with_their_facts():
    assert list_boards() == list(SHIPPED)
    nucleo, qemu, host = load_board("nucleo-f401re"), load_board("qemu-stm32f405"), load_board("host")
    assert (nucleo.clock.core_hz, nucleo.clock.pll_m, nucleo.clock.pll_n, nucleo.clock.pll_p) == (84_000_000, 16, 336, 4)
    assert (nucleo.uart.baud, nucleo.uart.tx, nucleo.uart.rx, nucleo.uart.af) == (921_600, "PA2", "PA3", 7)
    assert nucleo.timer == "dwt" and nucleo.usb.vid == 0x0483 and 0x374B in nucleo.usb.pids
    assert nucleo.flashers["default"] == "pyocd" and nucleo.flashers["pyocd"]["target"] == "stm32f401retx"
    assert (nucleo.memory.flash.size_kib, nucleo.memory.ram.size_kib) == (512, 96)
    assert (qemu.memory.flash.size_kib, qemu.memory.ram.size_kib, qemu.clock.core_hz) == (1024, 128, 168_000_000)
    assert qemu.timer == "systick_icount" and qemu.qemu.machine == "netduinoplus2" and qemu.qemu.serial_index == 1
    assert nucleo.cpu == "cortex-m4" and nucleo.is_arm and not host.is_arm and host.timer == "host_ns"


def test_alias_and_choices():
    assert load_board("netduinoplus2").name == "qemu-stm32f405"
    assert set(SHIPPED) | {"netduinoplus2"} == set(board_choices())


def test_unknown_board_lists_the_known_ones():
    with pytest.raises(BoardSpecError, match="unknown board 'nucleo-f999'.*nucleo-f401re"):
        load_board("nucleo-f999")


@pytest.mark.parametrize("board, edit, message", [
    ("nucleo-f401re", lambda d: d["uart"].update(parity="even"), r"unknown key uart\.parity"),
    ("nucleo-f401re", lambda d: d.update(colour="blue"), r"unknown key colour"),
    ("nucleo-f401re", lambda d: d["uart"].update(baud="fast"), r"uart\.baud: expected an integer"),
    ("nucleo-f401re", lambda d: d["uart"].pop("irq"), r"uart\.irq: expected .* it is missing"),
    ("nucleo-f401re", lambda d: d["uart"].update(tx="PZ2"), r"uart\.tx: expected a pin name"),
    ("nucleo-f401re", lambda d: d["uart"].update(rx_buffer_bytes=1000), r"rx_buffer_bytes: expected a power of two"),
    ("nucleo-f401re", lambda d: d["clock"].update(pll_n=300), r"clock\.core_hz: expected 16 MHz HSI"),
    ("nucleo-f401re", lambda d: d["clock"].update(apb1_div=3), r"clock\.apb1_div: expected 1, 2, 4, 8 or 16"),
    ("nucleo-f401re", lambda d: d["flashers"].update(default="jlink"), r"flashers\.default: expected one of"),
    ("nucleo-f401re", lambda d: d["flashers"]["pyocd"].update(speed=1), r"unknown key flashers\.pyocd\.speed"),
    ("nucleo-f401re", lambda d: d.update(cpu_flags=["-mcpu=cortex-m4", "; rm -rf /"]), r"cpu_flags: expected GCC"),
    ("nucleo-f401re", lambda d: d.update(kind="emulated"), r"kind: expected one of"),
    ("nucleo-f401re", lambda d: d.update(timer="host_ns"), r"timer: expected one of \['dwt'"),
    ("nucleo-f401re", lambda d: d.update(chip='STM32"; int x;'), r"chip: expected an STM32 part number"),
    ("nucleo-f401re", lambda d: d["usb"].update(pids=[]), r"usb\.pids: expected a non-empty list"),
    ("qemu-stm32f405", lambda d: d["clock"].update(pll_m=16), r"clock\.pll_m: not allowed without source"),
    ("qemu-stm32f405", lambda d: d.update(usb={"vid": 1, "pids": [2]}), r"usb: not allowed for an emulated board"),
    ("host", lambda d: d.update(uart={"baud": 9600}), r"uart: not allowed for a host board"),
])
def test_invalid_key_names_file_and_key(tmp_path, board, edit, message):
    path = _write(tmp_path, board, edit)
    with pytest.raises(BoardSpecError, match=message) as error:
        parse_board_file(path)
    assert str(path) in str(error.value)


def test_name_must_match_the_file(tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text((boards_dir() / "host.yaml").read_text())
    with pytest.raises(BoardSpecError, match=r"other\.yaml: name: expected .*'other'"):
        parse_board_file(path)


def test_yaml_is_read_safely(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(BoardSpecError, match="evil.yaml: cannot read"):
        parse_board_file(path)


def test_boards_dir_can_be_redirected(tmp_path, monkeypatch):
    _write(tmp_path, "host", lambda d: d.update(name="bench-host"))
    monkeypatch.setenv("TOFHIL_BOARDS_DIR", str(tmp_path))
    assert list_boards() == ["bench-host"] and load_board("bench-host").kind == "host"
