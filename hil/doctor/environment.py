"""What the doctor reads from the host, behind one small interface so tests can fake the USB side."""
from __future__ import annotations

import grp
import os
import pwd
from pathlib import Path

UDEV_RULE_DIRS = (Path("/etc/udev/rules.d"), Path("/lib/udev/rules.d"), Path("/usr/lib/udev/rules.d"))


class SystemEnvironment:
    """The real machine: pyserial's port list, the user's groups, udev rule files, running process names."""

    udev_rule_dirs = UDEV_RULE_DIRS

    def list_ports(self):
        from serial.tools.list_ports import comports

        return comports()

    def user(self) -> str:
        return pwd.getpwuid(os.getuid()).pw_name

    def groups(self) -> set[str]:
        names = set()
        for gid in os.getgroups() + [os.getgid()]:
            try:
                names.add(grp.getgrgid(gid).gr_name)
            except KeyError:
                continue
        return names

    def can_open(self, device: str) -> bool:
        return os.access(device, os.R_OK | os.W_OK)

    def udev_rules(self) -> dict[str, str]:
        rules = {}
        for folder in self.udev_rule_dirs:
            for path in sorted(folder.glob("*.rules")) if folder.is_dir() else ():
                try:
                    rules[str(path)] = path.read_text(errors="replace")
                except OSError:
                    continue
        return rules

    def process_names(self) -> set[str]:
        names = set()
        for entry in Path("/proc").glob("[0-9]*/comm"):
            try:
                names.add(entry.read_text().strip())
            except OSError:
                continue
        return names

    def stlink_firmware(self, serial: str | None) -> str | None:
        """The ST-LINK's firmware version (``V2J37M26``), or None when it cannot be read."""
        from hil.doctor.stlink_firmware import read_stlink_version

        return read_stlink_version(serial)

    def open_link(self, url: str, baudrate: int):
        from hil.links import open_link

        return open_link(url, baudrate=baudrate)
