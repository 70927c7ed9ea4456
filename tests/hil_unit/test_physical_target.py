"""PhysicalTarget over fake port listings and fake flasher executables: flash, discover, reset, stop."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from hil.errors import BoardNotFoundError, BoardSpecError, FlashError
from hil.flashers import OpenOcdFlasher, PyOcdFlasher
from hil.targets.base import Target
from hil.targets.physical import PhysicalTarget, image_file
from tests.hil_unit.fake_usb import PortSequence, install_tool, nucleo, nucleo_spec, other_devices, recorded_argv
from tofhil.boards import load_board
from tofhil.firmware import FirmwareImage

SPEC = nucleo_spec()
ONE_BOARD = [*other_devices(), nucleo("/dev/ttyACM0", "066DFF49")]


def firmware(elf: Path | None, binary: Path | None, board: str = "nucleo-f401re") -> FirmwareImage:
    return FirmwareImage(board=board, project_dir=(elf or binary).parent, elf=elf, bin=binary, hex=None,
                         map=None, executable=None, model_sha256="0" * 64, flash_bytes=None, ram_bytes=None,
                         sections={})


@pytest.fixture
def fake_bin(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return bin_dir


@pytest.fixture
def image(tmp_path):
    elf, binary = tmp_path / "fw.elf", tmp_path / "fw.bin"
    elf.write_bytes(b"\x7fELF")
    binary.write_bytes(b"\x00\x10\x01\x20")
    return firmware(elf, binary)


def target(**options):
    options.setdefault("list_ports", lambda: list(ONE_BOARD))
    return PhysicalTarget(SPEC, port_timeout=1.0, poll_interval=0.01, **options)


def test_start_flashes_the_discovered_probe_and_returns_its_port(fake_bin, image):
    install_tool(fake_bin, "pyocd")
    board = target()
    assert isinstance(board, Target) and board.spec is SPEC
    assert board.start(image) == "/dev/ttyACM0"
    assert recorded_argv(fake_bin, "pyocd") == ["load", "--no-wait", "-t", "stm32f401retx", "--uid", "066DFF49",
                                                str(image.elf.resolve())]


def test_reset_goes_through_the_flasher_tool(fake_bin, image):
    install_tool(fake_bin, "st-flash")
    board = target(flasher="st-flash")
    board.start(image)
    assert recorded_argv(fake_bin, "st-flash")[-3:] == ["write", str(image.bin.resolve()), "0x08000000"]
    board.reset()
    assert recorded_argv(fake_bin, "st-flash") == ["--serial", "066DFF49", "reset"]


def test_no_flash_needs_no_tool_until_reset(tmp_path, image):
    board = target(flash=False, flasher=PyOcdFlasher("stm32f401retx", search_path=str(tmp_path)))
    assert board.start(image) == "/dev/ttyACM0"
    with pytest.raises(FlashError, match="needs 'pyocd'"):
        board.reset()


def test_port_url_bypasses_discovery_and_keeps_the_given_probe(fake_bin, image):
    install_tool(fake_bin, "pyocd")
    board = target(port="rfc2217://lab-pc:4000", probe="AAAA", list_ports=PortSequence([]))
    assert board.start(image) == "rfc2217://lab-pc:4000"
    assert board.list_ports.calls == 0
    assert recorded_argv(fake_bin, "pyocd")[4:6] == ["--uid", "AAAA"]


def test_two_boards_without_probe_fail_before_flashing(fake_bin, image):
    install_tool(fake_bin, "pyocd")
    board = target(list_ports=lambda: [nucleo("/dev/ttyACM0", "AAAA"), nucleo("/dev/ttyACM1", "BBBB")])
    with pytest.raises(BoardNotFoundError, match="--probe"):
        board.start(image)
    assert recorded_argv(fake_bin, "pyocd") is None
    assert target(probe="BBBB", list_ports=board.list_ports).start(image) == "/dev/ttyACM1"


def test_start_waits_for_the_port_to_come_back_after_flashing(fake_bin, image):
    install_tool(fake_bin, "pyocd")
    ports = PortSequence(ONE_BOARD, [], [], other_devices(), ONE_BOARD)
    assert target(list_ports=ports).start(image) == "/dev/ttyACM0"
    assert ports.calls == 5


def test_port_that_never_comes_back(fake_bin, image):
    install_tool(fake_bin, "pyocd")
    board = target(list_ports=PortSequence(ONE_BOARD, other_devices()))
    with pytest.raises(BoardNotFoundError, match="no nucleo-f401re board with probe serial number '066DFF49'"):
        board.start(image)


def test_failed_flash_propagates(fake_bin, image):
    install_tool(fake_bin, "pyocd", "fail")
    with pytest.raises(FlashError, match="pyocd flashing failed"):
        target().start(image)


def test_stop_is_idempotent_and_runs_on_leaving_the_block(fake_bin, image):
    install_tool(fake_bin, "pyocd")
    with target() as board:
        assert board.start(image) == board.link_url == "/dev/ttyACM0"
        board.reset()
        assert board.link_url == "/dev/ttyACM0"  # an SWD reset does not re-enumerate the virtual COM port
    assert board.board_port is None and board.link_url is None
    board.stop()


def test_image_file_picks_the_format_the_flasher_takes(image, tmp_path):
    assert image_file(image, PyOcdFlasher("t")) == image.elf
    assert image_file(firmware(None, image.bin), PyOcdFlasher("t")) == image.bin
    assert image_file(tmp_path / "given.hex", PyOcdFlasher("t")) == tmp_path / "given.hex"
    with pytest.raises(FlashError, match=r"takes \.elf or \.hex images; the firmware image has none"):
        image_file(firmware(None, image.bin), OpenOcdFlasher("board/x.cfg"))


def test_an_emulated_board_is_not_a_physical_target():
    with pytest.raises(BoardSpecError, match="qemu-stm32f405 is not a physical board"):
        PhysicalTarget(load_board("qemu-stm32f405"))


def test_an_image_built_for_another_board_is_refused(fake_bin, image):
    install_tool(fake_bin, "pyocd")
    with pytest.raises(FlashError, match="built for board 'qemu-stm32f405', not 'nucleo-f401re'"):
        target().start(firmware(image.elf, image.bin, board="qemu-stm32f405"))
    assert recorded_argv(fake_bin, "pyocd") is None
