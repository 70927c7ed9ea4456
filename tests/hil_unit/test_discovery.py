"""Port discovery against pyserial port listings: no board, one, two, other USB devices, --probe, --port."""
from __future__ import annotations

import pytest

from hil.targets.discovery import BoardPort, find_board_port, is_url, list_board_ports, usb_ids
from hil.errors import BoardNotFoundError
from tests.hil_unit.fake_usb import ST_VID, nucleo, nucleo_spec, other_devices, port

SPEC = nucleo_spec()


def listing(*ports):
    return lambda: list(ports)


def test_usb_ids_come_from_the_board_yaml():
    vid, pids = usb_ids(SPEC)
    assert vid == 0x0483
    assert {0x374B, 0x3752, 0x3748, 0x374E, 0x374F, 0x3753, 0x3754, 0x3757} == pids


def test_the_only_board_is_found_among_other_serial_devices():
    found = find_board_port(SPEC, list_ports=listing(*other_devices(), nucleo("/dev/ttyACM0", "0671FF49")))
    assert found.device == "/dev/ttyACM0"
    assert found.serial_number == "0671FF49"


def test_every_stlink_generation_counts_but_not_other_st_devices():
    ports = [port(f"/dev/ttyACM{i}", ST_VID, pid, f"S{i}") for i, pid in enumerate((0x3748, 0x374E, 0x3754))]
    found = list_board_ports(SPEC, listing(*ports, *other_devices()))
    assert [p.serial_number for p in found] == ["S0", "S1", "S2"]


def test_no_board_says_what_was_found_and_what_to_pass():
    with pytest.raises(BoardNotFoundError) as error:
        find_board_port(SPEC, list_ports=listing(*other_devices()))
    message = str(error.value)
    assert "no nucleo-f401re board found" in message
    assert "0483:374b" in message
    assert "/dev/ttyUSB0 (serial number A50285BI, USB 0403:6001, FT232R USB UART)" in message
    assert "/dev/ttyS0" in message and "--port" in message


def test_no_serial_port_at_all():
    with pytest.raises(BoardNotFoundError, match="serial ports found: none"):
        find_board_port(SPEC, list_ports=listing())


def test_two_boards_without_probe_list_both_serial_numbers():
    ports = listing(nucleo("/dev/ttyACM1", "BBBB"), nucleo("/dev/ttyACM0", "AAAA"), *other_devices())
    with pytest.raises(BoardNotFoundError) as error:
        find_board_port(SPEC, list_ports=ports)
    message = str(error.value)
    assert message.startswith("2 nucleo-f401re boards are connected")
    assert message.index("/dev/ttyACM0 (serial number AAAA") < message.index("/dev/ttyACM1 (serial number BBBB")
    assert "--probe SERIAL_NUMBER" in message


@pytest.mark.parametrize("probe", ["BBBB", "bbbb"])
def test_probe_picks_its_board(probe):
    ports = listing(nucleo("/dev/ttyACM0", "AAAA"), nucleo("/dev/ttyACM1", "BBBB"))
    assert find_board_port(SPEC, probe=probe, list_ports=ports) == BoardPort(
        "/dev/ttyACM1", "BBBB", "USB 0483:374b, STM32 STLink - ST-Link VCP Ctrl")


def test_unknown_probe_lists_the_probes_there_are():
    ports = listing(nucleo("/dev/ttyACM0", "AAAA"), *other_devices())
    with pytest.raises(BoardNotFoundError) as error:
        find_board_port(SPEC, probe="CCCC", list_ports=ports)
    message = str(error.value)
    assert "probe serial number 'CCCC'" in message
    assert "/dev/ttyACM0 (serial number AAAA" in message and "A50285BI" not in message


def test_unknown_probe_without_any_board():
    with pytest.raises(BoardNotFoundError, match="ST-LINK boards found: none"):
        find_board_port(SPEC, probe="CCCC", list_ports=listing(*other_devices()))


def _no_listing():
    raise AssertionError("--port must bypass discovery")


@pytest.mark.parametrize("given", ["rfc2217://lab-pc:4000", "socket://127.0.0.1:5555", "/dev/ttyACM3",
                                   "spy://rfc2217://lab-pc:4000?file=/tmp/x.log"])
def test_port_is_passed_through_without_discovery(given):
    found = find_board_port(SPEC, probe="AAAA", port=given, list_ports=_no_listing)
    assert found.device == given
    assert found.serial_number == "AAAA"


def test_is_url():
    assert is_url("rfc2217://host:4000") and is_url("loop://")
    assert not is_url("/dev/ttyACM0") and not is_url("COM3")


def test_two_virtual_com_ports_of_one_stlink_v3_are_one_board():
    ports = listing(port("/dev/ttyACM1", ST_VID, 0x3754, "003A0041", "STLINK-V3 VCP2"),
                    port("/dev/ttyACM0", ST_VID, 0x3754, "003A0041", "STLINK-V3 VCP1"))
    assert find_board_port(SPEC, list_ports=ports).device == "/dev/ttyACM0"
