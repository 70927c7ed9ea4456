"""Doctor steps on the host side of the USB cable: ST-LINK devices seen, port permissions, flasher tool."""
from __future__ import annotations

import subprocess

from hil.doctor.steps import OK, PROBLEM, Step

UDEV_RULE = "configs/udev/49-tofhil-stlink.rules"
INSTALL_RULE = (f"sudo cp {UDEV_RULE} /etc/udev/rules.d/ && sudo udevadm control --reload-rules && "
                "sudo udevadm trigger, then unplug and plug the board again")


def _stlink_ports(spec, env) -> tuple[list, list]:
    """(ports with the board's USB ids, other ports of the same vendor)."""
    vid, pids = spec.usb.vid, set(spec.usb.pids)
    known, other = [], []
    for port in env.list_ports():
        if getattr(port, "vid", None) != vid:
            continue
        (known if port.pid in pids else other).append(port)
    return known, other


def _describe(port) -> str:
    return f"{port.vid:04x}:{port.pid:04x} serial {port.serial_number or '?'} at {port.device}"


def check_usb(spec, probe: str | None, env) -> Step:
    """Every ST-LINK (VID:PID, serial number) seen, and whether exactly one board is chosen."""
    known, other = _stlink_ports(spec, env)
    seen = "; ".join(_describe(p) for p in known + other) or "no ST device"
    board_file = f"configs/boards/{spec.name}.yaml"
    if not known:
        if other:
            ids = ", ".join(f"0x{p.pid:04X}" for p in other)
            return Step("USB devices", PROBLEM, f"no ST-LINK with the product ids of {board_file} usb.pids; "
                        f"seen: {seen}", f"plug the board in through the ST-LINK USB connector (CN1); if {ids} is "
                        f"the board's ST-LINK (a newer probe), add {ids} to usb.pids in {board_file} and to "
                        f"{UDEV_RULE}")
        return Step("USB devices", PROBLEM, f"no ST-LINK (vendor {spec.usb.vid:04x}) among the serial ports",
                    "plug the board in through the ST-LINK USB connector (CN1) with a data cable; "
                    "check `lsusb` shows 0483:374b")
    if probe:
        chosen = [p for p in known if (p.serial_number or "").lower() == probe.lower()]
        if not chosen:
            return Step("USB devices", PROBLEM, f"seen: {seen}; none has serial number {probe}",
                        "pass one of the serial numbers above to --probe")
    elif len(known) > 1:
        return Step("USB devices", PROBLEM, f"seen: {seen}", "several boards: pass --probe SERIAL_NUMBER")
    return Step("USB devices", OK, f"seen: {seen}")


def board_device(spec, probe: str | None, env) -> str | None:
    known, _ = _stlink_ports(spec, env)
    for port in known:
        if probe is None or (port.serial_number or "").lower() == probe.lower():
            return port.device
    return None


def board_serial(spec, probe: str | None, env) -> str | None:
    """The chosen ST-LINK's USB serial number (``--probe``, else the one board found)."""
    known, _ = _stlink_ports(spec, env)
    for port in known:
        if probe is None or (port.serial_number or "").lower() == probe.lower():
            return port.serial_number
    return probe


def _rule_for(spec, rules: dict[str, str]) -> tuple[str | None, bool]:
    """(file of a udev rule naming the board's probe ids, whether it keeps ModemManager away)."""
    vid = f"{spec.usb.vid:04x}"
    pids = {f"{pid:04x}" for pid in spec.usb.pids}
    for path, text in rules.items():
        for line in text.lower().splitlines():
            if line.lstrip().startswith("#") or vid not in line or not any(pid in line for pid in pids):
                continue
            return path, "id_mm_device_ignore" in line
    return None, False


def check_permissions(spec, env, device: str | None) -> Step:
    """Can this user open the port; is there a udev rule; is ModemManager kept off the port."""
    rule, mm_ignored = _rule_for(spec, env.udev_rules())
    modem_manager = "ModemManager" in env.process_names()
    groups = env.groups()
    facts = [f"udev rule: {rule or 'none for the ST-LINK ids'}", f"groups of {env.user()}: "
             f"{', '.join(sorted(groups & {'dialout', 'plugdev', 'uucp'})) or 'no dialout/plugdev'}",
             f"ModemManager: {'running' if modem_manager else 'not running'}"]
    if device and not device.startswith(("socket:", "rfc2217:", "loop:")) and not env.can_open(device):
        fixes = []
        if "dialout" not in groups:
            fixes.append(f"sudo usermod -aG dialout,plugdev {env.user()} (then log in again)")
        if rule is None:
            fixes.append(INSTALL_RULE)
        return Step("port permissions", PROBLEM, f"{device} cannot be opened for reading and writing; "
                    + "; ".join(facts), "; ".join(fixes) or f"check the owner of {device} (ls -l {device})")
    if modem_manager and not mm_ignored:
        return Step("port permissions", PROBLEM, "; ".join(facts) + ": ModemManager probes new serial ports and "
                    "swallows the first bytes of the protocol", f"{INSTALL_RULE} (it sets ID_MM_DEVICE_IGNORE), "
                    "or sudo systemctl stop ModemManager")
    return Step("port permissions", OK, (f"{device} is readable and writable; " if device else "") + "; ".join(facts))


def tool_version(flasher) -> str:
    """The first line of ``TOOL --version`` (OpenOCD prints it on stderr)."""
    if hasattr(flasher, "version") and flasher.name == "openocd":
        major, minor = flasher.version()
        return f"OpenOCD {major}.{minor}"
    executable = flasher.executable()
    done = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=20,
                          stdin=subprocess.DEVNULL)
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0].strip() if lines else f"{executable} (no version printed)"


def check_flasher(spec, name: str | None) -> tuple[Step, object]:
    """The flasher's tool is installed (and its version), or the drive is there."""
    from hil.errors import HilError
    from hil.flashers import ToolFlasher, make_flasher

    try:
        flasher = make_flasher(spec, name)
    except HilError as exc:
        return Step("flasher", PROBLEM, str(exc), "choose a flasher the board file lists (--flasher)"), None
    if not flasher.available():
        return Step("flasher", PROBLEM, f"'{flasher.name}' is not installed", flasher.missing_message()), None
    if not isinstance(flasher, ToolFlasher):
        return Step("flasher", OK, f"'{flasher.name}' is available"), flasher
    try:
        version = tool_version(flasher)
    except (HilError, OSError, subprocess.TimeoutExpired) as exc:
        return Step("flasher", PROBLEM, f"'{flasher.name}' does not run: {exc}", flasher.install_hint), None
    return Step("flasher", OK, f"'{flasher.name}' found: {flasher.executable()} ({version})"), flasher
