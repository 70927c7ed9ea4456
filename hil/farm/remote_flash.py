"""Flash a physical board that sits on a labgrid place: copy the ELF to the place's exporter host and run
OpenOCD there over ssh (what labgrid's OpenOCDDriver does for a NetworkUSBDebugger: the probe is on the
exporter's USB, the tool runs beside it). The host is the one serving the place's serial port.

Not verified on hardware here: no probe, no remote host. The tests run the real commands against fake
``scp``/``ssh`` executables at that boundary (tests/hil_unit/test_remote_flash.py).
"""
from __future__ import annotations

import shlex
from pathlib import Path
from urllib.parse import urlparse

from hil.errors import FlashError
from hil.flashers.base import run_tool

SSH_OPTIONS = ("-o", "BatchMode=yes", "-o", "ConnectTimeout=10")  # never wait for a password in CI


def remote_flash_commands(host: str, elf: Path, openocd_config: str, probe: str | None,
                          remote_dir: str = "/tmp") -> list[list[str]]:
    """The two commands: copy the image, then program, verify, reset with OpenOCD on ``host``. A probe serial
    uses ``adapter serial`` (OpenOCD 0.12+ on the exporter host)."""
    remote = f"{remote_dir}/tofhil-{elf.parent.parent.name}-{elf.name}"
    setup = ["-f", openocd_config, *(["-c", f"adapter serial {probe}"] if probe else [])]
    openocd = ["openocd", *setup, "-c", f"program {{{remote}}} verify reset exit"]
    return [["scp", *SSH_OPTIONS, str(elf), f"{host}:{remote}"],
            ["ssh", *SSH_OPTIONS, host, shlex.join(openocd)]]


def flash_through_place(lease, spec, image, options, log_dir=None) -> None:
    config = ((spec.flashers or {}).get("openocd") or {}).get("config")
    if not config:
        raise FlashError(f"place {lease.name}: board {spec.name} has no openocd settings (flashers: openocd: "
                         "{config: ...}) to flash it on the exporter host; or pass --no-flash")
    host = urlparse(lease.serial_url()).hostname
    for command in remote_flash_commands(host, Path(image.elf), config, getattr(options, "probe", None)):
        run_tool(command, timeout=180, what=f"flashing {spec.name} on place {lease.name} ({host})")
