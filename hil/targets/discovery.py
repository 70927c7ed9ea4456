"""Find a physical board's serial port: the ST-LINK virtual COM port, by USB ids and probe serial number.

The ST-LINK's virtual COM port and its debug probe share one USB serial number, so ``--probe SERIAL``
selects both the port found here and the probe a flasher programs. ``--port`` (a device path or any
pyserial URL: ``rfc2217://host:port``, ``socket://host:port``) bypasses discovery.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from serial.tools.list_ports import comports

from hil.errors import BoardNotFoundError
from hil.spec_fields import board_name, spec_field

PortLister = Callable[[], Iterable[Any]]  # returns ListPortInfo-like objects (device, vid, pid, serial_number, ...)


@dataclass(frozen=True)
class BoardPort:
    """One serial port of a connected board: the device to open and the probe serial number it belongs to."""

    device: str
    serial_number: str | None
    description: str

    def describe(self) -> str:
        return f"{self.device} (serial number {self.serial_number or 'unknown'}, {self.description or 'no description'})"


def is_url(port: str) -> bool:
    """A pyserial URL (``rfc2217://``, ``socket://``, ``loop://``...) rather than a device path."""
    return "://" in port


def usb_ids(spec: Any) -> tuple[int, frozenset[int]]:
    """(vendor id, product ids) of the board's USB probe, from the YAML ``usb`` section."""
    return int(spec_field(spec, "usb", "vid")), frozenset(int(p) for p in spec_field(spec, "usb", "pids"))


def list_board_ports(spec: Any, list_ports: PortLister = comports) -> list[BoardPort]:
    """Every serial port whose USB ids are the board's probe (ST-LINK), sorted by device."""
    vid, pids = usb_ids(spec)
    found = [_board_port(p) for p in list_ports() if getattr(p, "vid", None) == vid and getattr(p, "pid", None) in pids]
    return _one_per_probe(sorted(found, key=lambda port: port.device))


def _one_per_probe(ports: list[BoardPort]) -> list[BoardPort]:
    """Some ST-LINK/V3 expose two virtual COM ports under one serial number: keep the first (VCP1)."""
    seen: set[str] = set()
    kept = []
    for port in ports:
        if port.serial_number is None or port.serial_number not in seen:
            kept.append(port)
        seen.add(port.serial_number or "")
    return kept


def find_board_port(spec: Any, probe: str | None = None, port: str | None = None,
                    list_ports: PortLister = comports) -> BoardPort:
    """The one port to talk to: ``port`` as given, else the single board (matching ``probe`` when given).

    Raises BoardNotFoundError, saying what was found and what to pass, when no board, several boards
    without ``probe``, or no board with that probe serial number is connected.
    """
    if port:
        return BoardPort(device=port, serial_number=probe, description="given with --port")
    all_ports = list(list_ports())
    boards = list_board_ports(spec, lambda: all_ports)
    if probe:
        return _by_probe(spec, boards, probe)
    if len(boards) == 1:
        return boards[0]
    if not boards:
        raise BoardNotFoundError(_none_found(spec, all_ports))
    raise BoardNotFoundError(
        f"{len(boards)} {board_name(spec)} boards are connected: {_listing(boards)}; "
        f"pass --probe SERIAL_NUMBER to choose one (or --port DEVICE_OR_URL)")


def _by_probe(spec: Any, boards: list[BoardPort], probe: str) -> BoardPort:
    matches = [b for b in boards if (b.serial_number or "").lower() == probe.lower()]
    if matches:
        return matches[0]
    found = _listing(boards) if boards else "none"
    raise BoardNotFoundError(
        f"no {board_name(spec)} board with probe serial number {probe!r}; ST-LINK boards found: {found}; "
        f"pass one of their serial numbers to --probe, or --port DEVICE_OR_URL")


def _none_found(spec: Any, all_ports: list[Any]) -> str:
    vid, pids = usb_ids(spec)
    ids = ", ".join(f"{vid:04x}:{pid:04x}" for pid in sorted(pids))
    others = _listing([_board_port(p) for p in all_ports]) if all_ports else "none"
    return (f"no {board_name(spec)} board found: no serial port has the ST-LINK USB ids ({ids}); "
            f"serial ports found: {others}. Plug the board's ST-LINK USB connector in and check access "
            f"(udev rules, dialout group: docs/real-board.md), or pass --port DEVICE_OR_URL")


def _board_port(info: Any) -> BoardPort:
    usb = f"USB {info.vid:04x}:{info.pid:04x}, " if getattr(info, "vid", None) is not None else ""
    description = getattr(info, "description", "") or ""
    return BoardPort(device=info.device, serial_number=getattr(info, "serial_number", None),
                     description=f"{usb}{description}".strip(", "))


def _listing(ports: list[BoardPort]) -> str:
    return "; ".join(port.describe() for port in ports)
