"""The ST-LINK's own firmware version, and whether the flashers can use it.

Both pyOCD and OpenOCD after 0.12 refuse an ST-LINK/V2 firmware older than V2J24 (2015): pyOCD 0.46's
``STLink.MIN_JTAG_VERSION = 24`` (pyocd/probe/stlink/stlink.py), OpenOCD's ``st-link`` driver, the default of
``interface/stlink.cfg`` since commit 34ec5536c ("stlink: deprecate HLA support", 2024-10-12), needs the DAP
register API, ``STLINK_F_HAS_DAP_REG`` "v2>=j24 || v3" (src/jtag/drivers/stlink_usb.c). An ST-LINK/V3 has it
in every version. The version string is the one both tools print: ``V2J37M26`` (hardware V2, JTAG/SWD API J37,
mass storage M26; ``B`` bridge and ``S`` SWIM parts may follow).
"""
from __future__ import annotations

import re

from hil.doctor.steps import OK, PROBLEM, SKIPPED, Step

MINIMUM_JTAG = 24  # V2J24
UPDATE = ("update the ST-LINK firmware with ST's STSW-LINK007 (https://www.st.com/en/development-tools/"
          "stsw-link007.html: java -jar STLinkUpgrade.jar, 'Open in update mode', 'Upgrade'; the board stays "
          "plugged in), then unplug and plug it again; until then OpenOCD after 0.12 runs with "
          "`openocd -f interface/stlink-hla.cfg -f board/st_nucleo_f4.cfg`")
_VERSION = re.compile(r"\bV(\d+)J(\d+)", re.IGNORECASE)


def parse_stlink_version(text: str) -> tuple[int, int] | None:
    """(hardware version, JTAG/SWD API version) of ``V2J37M26``-style text; ``None`` when there is none."""
    match = _VERSION.search(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def check_stlink_firmware(version: str | None) -> Step:
    if not version:
        return Step("ST-LINK firmware", SKIPPED, "its version could not be read (pyOCD could not open the probe: "
                    "another program holds it, or the udev rule is missing); the flash step says more")
    parsed = parse_stlink_version(version)
    if parsed is None:
        return Step("ST-LINK firmware", SKIPPED, f"unrecognised version {version!r}")
    hardware, jtag = parsed
    if hardware == 2 and jtag < MINIMUM_JTAG:
        return Step("ST-LINK firmware", PROBLEM, f"{version} is older than V2J{MINIMUM_JTAG}, which pyOCD and "
                    "OpenOCD after 0.12 (its st-link driver) need", UPDATE)
    return Step("ST-LINK firmware", OK, f"{version} (V2J{MINIMUM_JTAG} or newer, or an ST-LINK/V3)")


def read_stlink_version(serial: str | None) -> str | None:
    """The version of the ST-LINK with ``serial`` (any one when None), read over USB with pyOCD's driver;
    ``None`` when pyOCD, libusb or the probe is not there. A firmware pyOCD refuses still names its version."""
    try:
        from pyocd.core.exceptions import ProbeError
        from pyocd.probe.stlink.stlink import STLink
        from pyocd.probe.stlink.usb import STLinkUSBInterface
    except ImportError:
        return None
    try:
        devices = STLinkUSBInterface.get_all_connected_devices()
    except Exception:  # noqa: BLE001 - no libusb backend, no permission: the version is only unknown
        return None
    for device in devices:
        if serial and (device.serial_number or "").lower() != serial.lower():
            continue
        link = STLink(device)
        try:
            link.open()
            return link.version_str
        except ProbeError as exc:  # "... Current version is V2J23M9, must be at least version v2J24."
            found = re.search(r"\bV\d+J\d+\w*", str(exc))
            return found.group(0) if found else None
        except Exception:  # noqa: BLE001 - held by another tool, USB error
            return None
        finally:
            try:
                link.close()
            except Exception:  # noqa: BLE001 - closing a probe that did not open
                pass
    return None
