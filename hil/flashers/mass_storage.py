"""Drag-and-drop flashing: copy the .bin to the ST-LINK's USB drive (volume label NODE_F401RE).

The ST-LINK/V2-1 programs the file, then drops off the bus and comes back (the drive is unmounted and
mounted again); a FAIL.TXT on the drive afterwards holds the reason of a failed programming.
"""
from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

from hil.errors import FlashError
from hil.flashers.base import Flasher, check_image

MOUNT_ROOTS = ("/media", "/run/media", "/mnt")
# programs that mount a USB drive when it appears (process names as /proc/PID/comm shows them, 15 characters)
AUTOMOUNTERS = ("udisksd", "udiskie", "automount", "devmon", "udevil", "gvfs-udisks2-vo", "systemd-automou")


def running_process_names() -> set[str]:
    names = set()
    for entry in Path("/proc").glob("[0-9]*/comm"):
        try:
            names.add(entry.read_text().strip())
        except OSError:
            continue
    return names


class MassStorageFlasher(Flasher):
    """A flasher whose "tool" is the ST-LINK's drive: found by volume label, or by probe through by-id links."""

    name = "mass-storage"
    tool = "ST-LINK USB drive"
    image_formats = (".bin",)

    def __init__(self, volume_label: str = "NODE_F401RE", path: str | Path | None = None,
                 mount_roots: tuple[str | Path, ...] = MOUNT_ROOTS, by_id_dir: str | Path = "/dev/disk/by-id",
                 mounts_file: str | Path = "/proc/mounts", vanish_timeout: float = 10.0,
                 remount_timeout: float = 30.0, poll_interval: float = 0.2,
                 by_label_dir: str | Path = "/dev/disk/by-label", process_names=running_process_names):
        self.volume_label = volume_label
        self.path = Path(path) if path else None  # a fixed mount point; otherwise searched by label
        self.mount_roots = tuple(Path(root) for root in mount_roots)
        self.by_id_dir, self.mounts_file = Path(by_id_dir), Path(mounts_file)
        self.vanish_timeout, self.remount_timeout = vanish_timeout, remount_timeout
        self.poll_interval = poll_interval
        self.by_label_dir, self.process_names = Path(by_label_dir), process_names
        self.last_image: Path | None = None
        self.install_hint = (f"plug the board in and let the desktop mount its drive {volume_label}, or mount it "
                             f"yourself ('udisksctl mount -b /dev/sdX'), or use --flasher pyocd")

    def available(self) -> bool:
        return bool(self.drives())

    def missing_message(self) -> str:
        roots = ", ".join(str(root) for root in self.mount_roots)
        return f"flasher '{self.name}': no drive labelled {self.volume_label} is mounted under {roots}: {self.install_hint}"

    def drives(self) -> list[Path]:
        """Mounted drives with the volume label (a second board's drive is often mounted as LABEL1)."""
        if self.path:
            return [self.path] if self.path.is_dir() else []
        found: set[Path] = set()
        for root in self.mount_roots:
            for pattern in (f"{self.volume_label}*", f"*/{self.volume_label}*"):
                found.update(p for p in root.glob(pattern) if p.is_dir())
        return sorted(found)

    def drive_for(self, probe: str | None) -> Path:
        """The drive of ``probe`` (through /dev/disk/by-id), or the only drive when no probe is given."""
        drives = self.drives()
        if not drives:
            raise FlashError(self.missing_message())
        if probe and not self.path:
            return self._drive_of_probe(probe, drives)
        if len(drives) > 1:
            raise FlashError(f"flasher '{self.name}': {len(drives)} ST-LINK drives mounted "
                             f"({', '.join(map(str, drives))}); pass --probe SERIAL_NUMBER to choose one")
        return drives[0]

    def flash(self, image_path: Path, probe: str | None) -> None:
        image = check_image(Path(image_path), self.image_formats, self.name)
        drive = self.drive_for(probe)
        self._copy(image, drive)
        self.last_image = image
        drive = self._wait_for_reenumeration(drive, probe)
        self._check_fail_txt(drive)

    def reset(self, probe: str | None) -> None:
        """The drive has no reset command: copying the last image again programs and resets the chip."""
        if self.last_image is None:
            raise FlashError(f"flasher '{self.name}' can reset the board only by flashing again and has no image "
                             f"yet; press the board's RESET button or use --flasher pyocd|st-flash|openocd")
        self.flash(self.last_image, probe)

    def _copy(self, image: Path, drive: Path) -> None:
        target = drive / image.name
        try:
            with image.open("rb") as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
                dst.flush()
                os.fsync(dst.fileno())  # the ST-LINK starts programming when the write reaches it
        except OSError as exc:
            raise FlashError(f"flasher '{self.name}': cannot copy {image} to {drive}: {exc}") from exc

    def _wait_for_reenumeration(self, drive: Path, probe: str | None) -> Path:
        # Not every host unmounts promptly: after vanish_timeout, go on with the drive as it is.
        self._poll(lambda: not drive.is_dir(), self.vanish_timeout)
        automounter = self._automounter()
        # without an automounter the drive comes back as a block device that nobody mounts: stop waiting then
        if self._poll(lambda: bool(self._find_again(probe)) or (automounter is None and self._block_device_back()),
                      self.remount_timeout) and self._find_again(probe):
            return self._find_again(probe)[0]
        if automounter is None:
            device = self.by_label_dir / self.volume_label
            back = f"came back as {device} but " if self._block_device_back() else ""
            raise FlashError(
                f"flasher '{self.name}': after the copy the ST-LINK re-enumerated and its drive {self.volume_label} "
                f"{back}was not mounted again: no automounter runs on this machine (none of {', '.join(AUTOMOUNTERS)}),"
                f" so the result (FAIL.TXT) cannot be read. Mount it (sudo mount {device} {drive}) and look for "
                f"FAIL.TXT, or use --flasher pyocd or st-flash, which need no drive")
        raise FlashError(f"flasher '{self.name}': the drive {self.volume_label} did not come back within "
                         f"{self.remount_timeout:g} s after the copy although {automounter} runs; mount it again "
                         f"and look for FAIL.TXT")

    def _automounter(self) -> str | None:
        names = self.process_names()
        return next((name for name in AUTOMOUNTERS if name in names), None)

    def _block_device_back(self) -> bool:
        return (self.by_label_dir / self.volume_label).exists()

    def _find_again(self, probe: str | None) -> list[Path]:
        try:
            return [self.drive_for(probe)]
        except FlashError:
            return []

    def _poll(self, condition, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() >= deadline:
                return False
            time.sleep(self.poll_interval)
        return True

    def _check_fail_txt(self, drive: Path) -> None:
        fail = drive / "FAIL.TXT"
        if fail.is_file():
            reason = fail.read_text(errors="replace").strip() or "(empty)"
            raise FlashError(f"flasher '{self.name}': the ST-LINK refused the image; {fail} says: {reason}")

    def _drive_of_probe(self, probe: str, drives: list[Path]) -> Path:
        mounts = _mount_points(self.mounts_file)
        for link in sorted(self.by_id_dir.glob("usb-*")):
            if probe.lower() in link.name.lower() and "-part" not in link.name:
                mount = mounts.get(str(link.resolve()))
                if mount is not None and mount.resolve() in {d.resolve() for d in drives}:
                    return mount
        raise FlashError(f"flasher '{self.name}': no mounted {self.volume_label} drive belongs to probe {probe!r} "
                         f"(drives: {', '.join(map(str, drives))}; looked up in {self.by_id_dir} and "
                         f"{self.mounts_file}); use --flasher pyocd, which selects the probe itself")

    def __repr__(self) -> str:
        return f"MassStorageFlasher(volume_label={self.volume_label!r})"


def _mount_points(mounts_file: Path) -> dict[str, Path]:
    """Device -> mount point from /proc/mounts (spaces in paths are written as \\040)."""
    points = {}
    try:
        lines = mounts_file.read_text().splitlines()
    except OSError:
        return points
    for line in lines:
        fields = line.split()
        if len(fields) >= 2:
            points[fields[0]] = Path(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1]))
    return points
