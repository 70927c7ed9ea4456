"""``python -m hil doctor`` on a NUCLEO-F401RE, with the USB side faked: port lists, groups, udev rules and
processes (a fake environment), flasher tools (fake executables on PATH) and the board's serial wire (a fake
link speaking the real protocol). One test per failure branch, each checking the problem and the fix."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hil.doctor.doctor import DoctorOptions, run_doctor
from hil.errors import LinkError
from tests.hil_unit.fake_board import FakeBoardLink, nucleo_hello
from tests.hil_unit.fake_usb import ST_VID, install_tool, nucleo, other_devices, port, recorded_argv

SERIAL = "0671FF495251717867123456"
ROOT = Path(__file__).resolve().parents[2]
GOOD_RULE = (ROOT / "configs/udev/49-tofhil-stlink.rules").read_text()


class FakeEnvironment:
    def __init__(self, ports=None, groups=("dialout", "plugdev"), rules=None, processes=("systemd", "bash"),
                 openable=True, link=None, stlink="V2J37M26"):
        self.ports = [nucleo("/dev/ttyACM0", SERIAL)] if ports is None else ports
        self._groups, self.processes, self.openable = set(groups), set(processes), openable
        self.rules = {"/etc/udev/rules.d/49-tofhil-stlink.rules": GOOD_RULE} if rules is None else rules
        self.link = link if link is not None else FakeBoardLink()
        self.opened: list[tuple[str, int]] = []
        self.stlink, self.stlink_asked = stlink, []

    def list_ports(self):
        return list(self.ports)

    def user(self):
        return "ada"

    def groups(self):
        return self._groups

    def can_open(self, device):
        return self.openable

    def udev_rules(self):
        return self.rules

    def process_names(self):
        return self.processes

    def stlink_firmware(self, serial):
        self.stlink_asked.append(serial)
        return self.stlink

    def open_link(self, url, baudrate):
        if isinstance(self.link, Exception):
            raise self.link
        self.opened.append((url, baudrate))
        self.link.baudrate = baudrate
        return self.link


class FakeImage:
    def __init__(self, folder: Path):
        self.board, self.model_sha256, self.flash_bytes = "nucleo-f401re", "ab" * 32, 24_576
        self.elf, self.bin = folder / "tofhil_firmware.elf", folder / "tofhil_firmware.bin"
        self.elf.write_bytes(b"\x7fELF" + bytes(60))
        self.bin.write_bytes(bytes(256))


@pytest.fixture
def fake_bin(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # only the fake tools: a pyocd installed on this machine (the .venv's) must not answer
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setattr("hil.flashers.base.sys.executable", str(bin_dir / "python"))
    return bin_dir


def _doctor(tmp_path, env, **options):
    image = FakeImage(tmp_path)
    return run_doctor(DoctorOptions(board="nucleo-f401re", **options), env, firmware=lambda *_: image)


def _last(report):
    return report.steps[-1]


def test_every_step_ok_on_a_healthy_board(tmp_path, fake_bin):
    install_tool(fake_bin, "pyocd")
    env = FakeEnvironment()
    report = _doctor(tmp_path, env)
    names = [s.name for s in report.steps]
    assert names == ["board file", "USB devices", "port permissions", "ST-LINK firmware", "flasher", "firmware",
                     "flash and verify", "HELLO", "core clock", "inference timing", "stack"]
    assert report.ok and all(s.status == "ok" for s in report.steps), report.render()
    assert "0483:374b serial 0671FF495251717867123456 at /dev/ttyACM0" in report.steps[1].detail
    assert "V2J37M26" in report.steps[3].detail and env.stlink_asked == [SERIAL]
    assert "pyocd" in report.steps[4].detail and "0.46.0" in report.steps[4].detail  # the tool's --version
    assert "52,311 and 52,309 cycles" in report.steps[9].detail and "1204 of 2048" in report.steps[10].detail
    assert env.opened == [("/dev/ttyACM0", 921_600)]
    argv = recorded_argv(fake_bin, "pyocd")  # the flash step ran the tool on the image, for the one probe
    assert argv[0] == "load" and argv[-1] == str(tmp_path / "tofhil_firmware.elf") and SERIAL in argv
    data = json.loads(report.to_json())
    assert data["ok"] and [s["name"] for s in data["steps"]] == names and data["steps"][7]["status"] == "ok"


@pytest.mark.parametrize("ports, detail, fix", [
    ([], "no ST-LINK", "plug the board in"),
    (other_devices(), "seen: 0483:5740 serial 205A3595 at /dev/ttyACM7", "if 0x5740 is the board's ST-LINK"),
    ([port("/dev/ttyACM0", ST_VID, 0x3744, SERIAL, "STLink")], "no ST-LINK with the product ids",
     "add 0x3744 to usb.pids"),
    ([nucleo("/dev/ttyACM0", SERIAL), nucleo("/dev/ttyACM1", "066BFF")], "066BFF", "pass --probe"),
])
def test_usb_problems(tmp_path, fake_bin, ports, detail, fix):
    report = _doctor(tmp_path, FakeEnvironment(ports=ports))
    step = _last(report)
    assert (step.name, step.status) == ("USB devices", "problem") and not report.ok
    assert detail in step.detail and fix in step.fix


def test_probe_that_matches_no_board(tmp_path, fake_bin):
    step = _last(_doctor(tmp_path, FakeEnvironment(), probe="DEADBEEF"))
    assert step.name == "USB devices" and "none has serial number DEADBEEF" in step.detail


def test_port_that_cannot_be_opened_names_group_and_udev_rule(tmp_path, fake_bin):
    step = _last(_doctor(tmp_path, FakeEnvironment(groups=("ada",), rules={}, openable=False)))
    assert (step.name, step.status) == ("port permissions", "problem")
    assert "/dev/ttyACM0 cannot be opened" in step.detail and "udev rule: none" in step.detail
    assert "usermod -aG dialout,plugdev ada" in step.fix and "49-tofhil-stlink.rules" in step.fix


def test_modem_manager_without_the_ignore_rule(tmp_path, fake_bin):
    rule = {"/lib/udev/rules.d/60-stlink.rules": 'ATTRS{idVendor}=="0483", ATTRS{idProduct}=="374b", MODE="660"'}
    step = _last(_doctor(tmp_path, FakeEnvironment(rules=rule, processes=("ModemManager",))))
    assert (step.name, step.status) == ("port permissions", "problem")
    assert "ModemManager: running" in step.detail and "ID_MM_DEVICE_IGNORE" in step.fix


def test_modem_manager_kept_away_by_our_rule_is_fine(tmp_path, fake_bin):
    install_tool(fake_bin, "pyocd")
    report = _doctor(tmp_path, FakeEnvironment(processes=("ModemManager",)))
    assert report.ok, report.render()


def test_missing_flasher_tool(tmp_path, fake_bin):
    step = _last(_doctor(tmp_path, FakeEnvironment()))
    assert (step.name, step.status) == ("flasher", "problem") and "pip install pyocd" in step.fix


def test_openocd_version_is_reported(tmp_path, fake_bin):
    install_tool(fake_bin, "openocd", version="Open On-Chip Debugger 0.11.0")
    report = _doctor(tmp_path, FakeEnvironment(), flasher="openocd")
    assert report.steps[4].detail.endswith("(OpenOCD 0.11)") and report.ok, report.render()


def test_failed_flash_shows_the_tools_output(tmp_path, fake_bin):
    install_tool(fake_bin, "pyocd", "fail")
    step = _last(_doctor(tmp_path, FakeEnvironment()))
    assert (step.name, step.status) == ("flash and verify", "problem")
    assert "could not verify flash" in step.detail


def test_board_answering_at_half_the_baud_is_named(tmp_path, fake_bin):
    install_tool(fake_bin, "pyocd")
    link = FakeBoardLink(answers_at=460_800)
    report = _doctor(tmp_path, FakeEnvironment(link=link))
    hello, scan = report.steps[-2:]
    assert (hello.name, hello.status) == ("HELLO", "problem") and "no valid HELLO at 921,600 baud" in hello.detail
    assert (scan.name, scan.status) == ("other baud rates", "problem")
    assert scan.detail.startswith("the board answers at 460,800 baud: its divisor does not match its clock")
    assert link.rates_heard[:3] == [921_600, 115_200, 460_800] and link.baudrate == 921_600  # put back afterwards


def test_pll_that_did_not_lock_is_found_at_the_firmwares_fallback_baud(tmp_path, fake_bin):
    """The firmware on a PLL that did not lock talks at 115,200 baud (its divisor from the 16 MHz HSI): the scan
    finds it there and says why, instead of "its divisor does not match its clock"."""
    hello = nucleo_hello(core_clock_hz=16_000_000, timer_hz=16_000_000)
    link = FakeBoardLink(hello=hello, answers_at=115_200)
    scan = _last(_doctor(tmp_path, FakeEnvironment(link=link), flash=False))
    assert (scan.name, scan.status) == ("other baud rates", "problem")
    assert scan.detail.startswith("the board answers at 115,200 baud, the firmware's fallback rate: board "
                                  "nucleo-f401re runs at 16,000,000 Hz") and "PLL did not lock" in scan.detail
    assert link.baudrate == 921_600


# version strings as OpenOCD's stlink_usb_version and pyOCD's STLink print them
@pytest.mark.parametrize("version, status", [("V2J23M9", "problem"), ("V2J24M11", "ok"), ("V2J37M26", "ok"),
                                             ("V3J7M3B5S1", "ok"), (None, "skipped")])
def test_stlink_firmware_older_than_v2j24_is_named_with_how_to_update(tmp_path, fake_bin, version, status):
    install_tool(fake_bin, "pyocd")
    report = _doctor(tmp_path, FakeEnvironment(stlink=version))
    step = next(s for s in report.steps if s.name == "ST-LINK firmware")
    assert step.status == status, step
    if status == "problem":
        assert report.steps[-1] is step and "V2J23M9 is older than V2J24" in step.detail
        assert "STSW-LINK007" in step.fix and "interface/stlink-hla.cfg" in step.fix


def test_stlink_version_parsing():
    from hil.doctor.stlink_firmware import parse_stlink_version

    assert parse_stlink_version("STLINK V2J37M26 (API v2) VID:PID 0483:374B") == (2, 37)  # OpenOCD's info line
    assert parse_stlink_version("Current version is V2J23M9, must be at least version v2J24.") == (2, 23)
    assert parse_stlink_version("V3J7M3B5S1") == (3, 7) and parse_stlink_version("no probe") is None


def test_silent_board_lists_every_rate_tried(tmp_path, fake_bin):
    link = FakeBoardLink(answers_at=None)
    step = _last(_doctor(tmp_path, FakeEnvironment(link=link), flash=False))
    assert step.name == "other baud rates" and "nor at 115,200, 460,800, 1,843,200 baud" in step.detail
    assert link.rates_heard == [921_600, 115_200, 460_800, 1_843_200]


def test_port_that_will_not_open(tmp_path, fake_bin):
    env = FakeEnvironment(link=LinkError("cannot open link '/dev/ttyACM0': [Errno 16] Device or resource busy"))
    step = _last(_doctor(tmp_path, env, flash=False))
    assert (step.name, step.status) == ("HELLO", "problem") and "busy" in step.detail


def test_pll_that_did_not_lock(tmp_path, fake_bin):
    link = FakeBoardLink(hello=nucleo_hello(core_clock_hz=16_000_000, timer_hz=16_000_000))
    step = _last(_doctor(tmp_path, FakeEnvironment(link=link), flash=False))
    assert (step.name, step.status) == ("core clock", "problem")
    assert "runs at 16,000,000 Hz" in step.detail and "PLL did not lock" in step.detail


def test_stopped_cycle_counter(tmp_path, fake_bin):
    step = _last(_doctor(tmp_path, FakeEnvironment(link=FakeBoardLink(ticks=(0, 0))), flash=False))
    assert (step.name, step.status) == ("inference timing", "problem")
    assert "2 inference(s) taking 0 cycles" in step.detail and "DEMCR.TRCENA" in step.detail


def test_stale_firmware_is_a_hello_problem(tmp_path, fake_bin):
    install_tool(fake_bin, "pyocd")
    link = FakeBoardLink(hello=nucleo_hello(model_sha256="cd" * 32))
    step = _last(_doctor(tmp_path, FakeEnvironment(link=link)))
    assert (step.name, step.status) == ("HELLO", "problem") and "cdcdcd" in step.detail


def test_stack_nearly_full(tmp_path, fake_bin):
    step = _last(_doctor(tmp_path, FakeEnvironment(link=FakeBoardLink(stack=(2_000, 2_048))), flash=False))
    assert (step.name, step.status) == ("stack", "problem") and "stack_bytes" in step.fix


def test_cli_writes_the_same_steps_as_json(tmp_path, monkeypatch, capsys):
    from hil.cli import main

    monkeypatch.setattr("hil.doctor.environment.SystemEnvironment.list_ports", lambda self: [])
    out = tmp_path / "doctor.json"
    assert main(["doctor", "--board", "nucleo-f401re", "--json", str(out)]) == 1
    text = capsys.readouterr().out
    data = json.loads(out.read_text())
    assert [s["status"] for s in data["steps"]] == ["ok", "problem"] and not data["ok"]
    assert "[problem] USB devices: no ST-LINK" in text and data["steps"][1]["fix"] in text
    assert main(["doctor", "--board", "nucleo-f401re", "--json", "-"]) == 1
    assert json.loads(capsys.readouterr().out) == data


def test_unknown_or_invalid_board_is_bad_input(tmp_path, capsys, monkeypatch):
    from hil.cli import main

    assert main(["doctor", "--board", "nucleo-f999"]) == 2
    assert "unknown board 'nucleo-f999'" in capsys.readouterr().err
    board = tmp_path / "nucleo-f401re.yaml"
    board.write_text((ROOT / "configs/boards/nucleo-f401re.yaml").read_text().replace("flash_latency: 2",
                                                                                      "flash_latency: 1"))
    monkeypatch.setenv("TOFHIL_BOARDS_DIR", str(tmp_path))
    assert main(["doctor", "--board", "nucleo-f401re"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and "clock.flash_latency: expected at least 2 wait states" in error
    assert len(error.splitlines()) == 1
