"""The walk: board file, USB, permissions, ST-LINK firmware, flasher, firmware, flash, HELLO (else other baud rates), clock,
inference timing, stack. Stops at the first problem."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hil.doctor import host_checks, link_checks
from hil.doctor.steps import OK, PROBLEM, SKIPPED, Report, Step
from hil.doctor.stlink_firmware import check_stlink_firmware
from hil.errors import HilError


@dataclass
class DoctorOptions:
    board: str
    run_dir: Path | None = None
    port: str | None = None
    probe: str | None = None
    flasher: str | None = None
    flash: bool = True
    log_dir: Path | None = None


class _Stop(Exception):
    pass


def run_doctor(options: DoctorOptions, env=None, firmware: Callable | None = None) -> Report:
    """Every step into a :class:`Report`. ``env``: what the host sees (SystemEnvironment unless a test fakes
    it); ``firmware``: returns the image to flash (default: built from the run folder)."""
    from hil.doctor.environment import SystemEnvironment

    env = env or SystemEnvironment()
    report = Report(options.board)
    walk = _Walk(options, env, firmware or _build_from_run_folder, report)
    try:
        walk.run()
    except _Stop:
        pass
    finally:
        walk.close()
    return report


class _Walk:
    def __init__(self, options: DoctorOptions, env, firmware: Callable, report: Report):
        self.options, self.env, self.firmware, self.report = options, env, firmware, report
        self.target = self.link = None

    def step(self, step: Step) -> Step:
        self.report.add(step)
        if step.failed:
            raise _Stop
        return step

    def run(self) -> None:
        from tofhil.boards import load_board

        spec = load_board(self.options.board)  # an unknown or invalid board file is bad input: error, exit 2
        self.step(Step("board file", OK, f"{spec.source} ({spec.description}); clock tree and UART facts within "
                       "the reference manual's rules"))
        physical = spec.kind == "physical"
        flasher = None
        if physical and not self.options.port:
            self.step(host_checks.check_usb(spec, self.options.probe, self.env))
        elif physical:
            self.step(Step("USB devices", SKIPPED, f"--port {self.options.port} given"))
        else:
            self.step(Step("USB devices", SKIPPED, f"{spec.kind} board: no USB"))
        device = self.options.port or (host_checks.board_device(spec, self.options.probe, self.env)
                                       if physical else None)
        if physical:
            self.step(host_checks.check_permissions(spec, self.env, device))
            if not self.options.port:  # the probe is on this machine's USB
                serial = host_checks.board_serial(spec, self.options.probe, self.env)
                self.step(check_stlink_firmware(self.env.stlink_firmware(serial)))
            if self.options.flash:
                step, flasher = host_checks.check_flasher(spec, self.options.flasher)
                self.step(step)
            else:
                self.step(Step("flasher", SKIPPED, "--no-flash"))
        image, expected_sha = self._firmware(spec)
        url = self._start(spec, flasher, image, device)
        self._talk(spec, url, expected_sha)

    def _firmware(self, spec):
        if spec.kind == "physical" and not self.options.flash:
            self.step(Step("firmware", SKIPPED, "--no-flash: the firmware already on the board"))
            return None, None
        try:
            image = self.firmware(self.options, spec)
        except HilError as exc:
            self.step(Step("firmware", PROBLEM, str(exc), "train and export a run (python -m training train/"
                           "export) or pass --run-dir"))
        size = getattr(image, "flash_bytes", None)
        self.step(Step("firmware", OK, f"{getattr(image, 'elf', image)}" + (f" ({size:,} B flash)" if size else "")))
        return image, getattr(image, "model_sha256", None)

    def _start(self, spec, flasher, image, device) -> str:
        from hil.runner import BoardOptions, make_target

        if spec.kind != "physical":
            target = make_target(spec, BoardOptions(board=spec.name, port=self.options.port),
                                 self.options.log_dir or Path("."))
            self.target = target
            try:
                url = target.start(image)
            except HilError as exc:
                self.step(Step("start", PROBLEM, str(exc), "see the message above"))
            self.step(Step("start", OK, f"{spec.kind} board running at {url}"))
            return url
        if not self.options.flash:
            self.step(Step("flash and verify", SKIPPED, "--no-flash"))
            return device
        from hil.targets.physical import PhysicalTarget

        target = PhysicalTarget(spec, flasher=flasher, port=self.options.port, probe=self.options.probe,
                                list_ports=self.env.list_ports, port_timeout=5.0)
        try:
            url = target.start(image)
        except HilError as exc:
            self.step(Step("flash and verify", PROBLEM, str(exc),
                           "see the tool's output above; a second try after unplugging the board often helps; "
                           "docs/real-board.md lists each flasher's needs"))
        self.step(Step("flash and verify", OK, f"flashed with {flasher.name}, port {url}; what runs is verified "
                       "next: HELLO's model sha256 must be the image's"))
        return url

    def _talk(self, spec, url: str, expected_sha: str | None) -> None:
        try:
            self.link = self.env.open_link(url, spec.uart.baud if spec.uart else 921600)
        except HilError as exc:
            self.step(Step("HELLO", PROBLEM, str(exc), "check the port (permissions above) and that no other "
                           "program holds it"))
        step, client = link_checks.check_hello(spec, self.link, expected_sha)
        if client is None:
            self.report.add(step)
            if spec.kind == "physical" and step.detail.startswith("no valid HELLO"):
                self.step(link_checks.scan_baud_rates(spec, self.link))
            raise _Stop
        self.step(step)
        hello = client.hello
        if spec.kind != "host":
            self.step(link_checks.check_clock(spec, hello))
        self.step(link_checks.check_inferences(client, hello)[0])
        self.step(link_checks.check_stack(client))

    def close(self) -> None:
        for closer in (getattr(self.link, "close", None), getattr(self.target, "stop", None)):
            if closer:
                try:
                    closer()
                except Exception:  # noqa: BLE001 - closing must go on
                    pass


def _build_from_run_folder(options: DoctorOptions, spec):
    from hil.runner import build_firmware, ensure_export
    from tofhil.folders import RunFolder

    run = RunFolder.open(options.run_dir) if options.run_dir else RunFolder.newest()
    return build_firmware(ensure_export(run), spec.name)
