"""Defects found by reading the real-board path (issue 13): OpenOCD 0.11, ST-LINK product ids, board legality.

Each test here fails on the code before the fix: OpenOCD 0.11 was given ``adapter serial``, boards with
ST-LINK product id 0x3752 or 0x3757 were "not found", and a clock tree outside the reference manual's limits
was accepted.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from hil.targets.discovery import find_board_port
from hil.errors import BoardSpecError, FlashError
from hil.flashers import select_flasher
from tests.hil_unit.fake_usb import ST_VID, install_tool, nucleo_spec, port, recorded_argv
from tofhil.boards import parse_board_file
from tofhil.paths import boards_dir

ROOT = Path(__file__).resolve().parents[2]
PROBE = "0671FF495251717867123456"


@pytest.fixture
def fake_bin(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return bin_dir


@pytest.fixture
def elf(tmp_path):
    path = tmp_path / "fw.elf"
    path.write_bytes(b"\x7fELF" + bytes(60))
    return path


# banners as the Debian/Ubuntu packages print them (stderr)
@pytest.mark.parametrize("banner, command", [
    ("Open On-Chip Debugger 0.11.0\nLicensed under GNU GPL v2", "hla_serial"),          # Debian 11, Ubuntu 22.04
    ("Open On-Chip Debugger 0.12.0\nLicensed under GNU GPL v2", "adapter serial"),      # Debian 12
    ("Open On-Chip Debugger 0.12.0+dev-01850-geb6f2745b (2025-01-10-12:00)", "adapter serial"),
])
def test_openocd_names_the_probe_with_the_command_its_version_knows(fake_bin, elf, banner, command):
    install_tool(fake_bin, "openocd", version=banner)
    flasher = select_flasher(nucleo_spec(), "openocd")
    flasher.flash(elf, PROBE)
    argv = recorded_argv(fake_bin, "openocd")
    assert argv[:4] == ["-f", "board/st_nucleo_f4.cfg", "-c", f"{command} {PROBE}"]
    flasher.reset(PROBE)
    assert recorded_argv(fake_bin, "openocd")[3] == f"{command} {PROBE}"


def test_openocd_older_than_0_11_is_refused_with_the_version_needed(fake_bin, elf):
    install_tool(fake_bin, "openocd", version="Open On-Chip Debugger 0.10.0")
    with pytest.raises(FlashError, match=r"0\.10\.0.*needs OpenOCD 0\.11 or newer"):
        select_flasher(nucleo_spec(), "openocd").flash(elf, PROBE)
    assert recorded_argv(fake_bin, "openocd") is None  # never ran the flash command


def test_openocd_version_parsing():
    from hil.flashers.openocd import parse_openocd_version

    assert parse_openocd_version("xPack Open On-Chip Debugger 0.12.0+dev") == (0, 12)
    assert parse_openocd_version("Open On-Chip Debugger 0.11.0-rc2") == (0, 11)
    assert parse_openocd_version("bash: openocd: command not found") is None


@pytest.mark.parametrize("pid", [0x3752, 0x3757])
def test_stlink_without_mass_storage_and_v3_ids_are_found(pid):
    listing = [port("/dev/ttyACM0", ST_VID, pid, PROBE, "STM32 STLink")]
    assert find_board_port(nucleo_spec(), list_ports=lambda: listing).device == "/dev/ttyACM0"


def _udev_product_ids(text: str) -> set[int]:
    rules = [line for line in text.splitlines() if line.startswith("SUBSYSTEMS")]
    assert len(rules) == 1
    ids = re.search(r'ATTRS\{idProduct\}=="([0-9a-f|]+)"', rules[0]).group(1)
    assert 'ATTRS{idVendor}=="0483"' in rules[0] and 'ENV{ID_MM_DEVICE_IGNORE}="1"' in rules[0]
    return {int(pid, 16) for pid in ids.split("|")}


def test_udev_rule_and_docs_list_exactly_the_board_files_product_ids():
    pids = set(nucleo_spec().usb.pids)
    assert {0x3752, 0x3757} <= pids
    assert _udev_product_ids((ROOT / "configs/udev/49-tofhil-stlink.rules").read_text()) == pids
    assert _udev_product_ids((ROOT / "docs/real-board.md").read_text()) == pids


def _edited(tmp_path: Path, board: str, section: str, **values) -> Path:
    data = yaml.safe_load((boards_dir() / f"{board}.yaml").read_text())
    data[section].update(values)
    path = tmp_path / f"{board}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("board, section, values, message", [
    # VCO input 16 MHz / 4 = 4 MHz (RM0368 6.3.2: 1-2 MHz); 4 * 84 / 4 = 84 MHz keeps core_hz consistent
    ("nucleo-f401re", "clock", dict(pll_m=4, pll_n=84, pll_p=4), r"clock\.pll_m: expected a VCO input .* 1-2 MHz"),
    # VCO output 1 MHz * 168 = 168 MHz < 192 MHz; 168 / 2 = 84 MHz
    ("nucleo-f401re", "clock", dict(pll_n=168, pll_p=2), r"clock\.pll_n: expected a VCO output of 192-432 MHz"),
    ("nucleo-f401re", "clock", dict(apb1_div=1), r"clock\.apb1_div: .* at most 42 MHz"),
    ("nucleo-f401re", "clock", dict(flash_latency=1), r"clock\.flash_latency: expected at least 2 wait states at 84 MHz"),
    ("nucleo-f401re", "clock", dict(pll_q=4), r"clock\.pll_q: .* at most 48 MHz"),
    # 16 / 8 * 168 / 2 = 168 MHz: a legal F405 clock, too fast for the F401
    ("nucleo-f401re", "clock", dict(pll_m=8, pll_n=168, pll_p=2, core_hz=168_000_000, apb1_div=4, apb2_div=2,
                                    flash_latency=5), r"clock\.core_hz: expected at most 84 MHz"),
    ("qemu-stm32f405", "clock", dict(apb1_div=2), r"clock\.apb1_div: .* at most 42 MHz .* not 84 MHz"),
    ("nucleo-f401re", "uart", dict(base=0x40004800), r"uart\.base: expected 0x40004400 for USART2, got 0x40004800"),
    ("nucleo-f401re", "uart", dict(irq=39), r"uart\.irq: expected 38 for USART2"),
    ("nucleo-f401re", "uart", dict(af=8), r"uart\.af: expected 7 \(USART2 on PA2\)"),
    ("nucleo-f401re", "uart", dict(tx="PB6"), r"uart\.tx: expected one of \['PA2', 'PA3'\]"),
    # 42 MHz / 3.5 Mbaud = 12 < 16: no valid divisor with OVER8 = 0
    ("nucleo-f401re", "uart", dict(baud=3_500_000), r"uart\.baud: expected a rate .* 42 MHz bus clock .* at most "
                                                    r"2,625,000 baud"),
])
def test_board_file_breaking_a_reference_manual_rule_is_refused(tmp_path, board, section, values, message):
    with pytest.raises(BoardSpecError, match=message):
        parse_board_file(_edited(tmp_path, board, section, **values))


@pytest.mark.parametrize("baud", [115_200, 460_800, 921_600, 2_000_000])
def test_usual_baud_rates_are_accepted(tmp_path, baud):
    assert parse_board_file(_edited(tmp_path, "nucleo-f401re", "uart", baud=baud)).uart.baud == baud


def test_a_legal_168_mhz_f405_clock_tree_is_accepted(tmp_path):
    path = _edited(tmp_path, "nucleo-f401re", "clock")
    data = yaml.safe_load(path.read_text())
    data.update(chip="STM32F405RG")
    data["clock"].update(pll_m=8, pll_n=168, pll_p=2, core_hz=168_000_000, apb1_div=4, apb2_div=2, flash_latency=5)
    path.write_text(yaml.safe_dump(data))
    assert parse_board_file(path).clock.core_hz == 168_000_000
