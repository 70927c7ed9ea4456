"""Links are pyserial URLs: a device path, ``socket://host:port`` (QEMU), ``rfc2217://host:port`` (a board on
another machine), ``loop://``, or ``faulty://?...&inner=URL`` (hil.links.protocol_faulty: fault injection).
:func:`open_link` is the one way a link opens."""
from __future__ import annotations

import threading

import serial

from hil.errors import LinkError

# pyserial finds URL handlers as <package>.protocol_<scheme>
if "hil.links" not in serial.protocol_handler_packages:
    serial.protocol_handler_packages.append("hil.links")


def open_link(url: str, baudrate: int = 921600, timeout: float = 0.05):
    """Open ``url`` with a short read timeout (the client polls); a clear error names the URL and the fix."""
    if url.lower().startswith("rfc2217://"):
        quiet_rfc2217_reader_threads()
    try:
        # exclusive: a second program on the same serial port would steal bytes; refuse it up front
        # pyserial's rfc2217:// refuses a write timeout (NotImplementedError): it gets none
        write_timeout = None if url.lower().startswith("rfc2217://") else 5
        return serial.serial_for_url(url, baudrate=baudrate, timeout=timeout, write_timeout=write_timeout,
                                     exclusive=True)
    except (serial.SerialException, ValueError, OSError) as exc:
        hint = ""
        if "busy" in str(exc).lower() or "lock" in str(exc).lower():
            hint = " (another program holds the port: close it, e.g. a serial terminal)"
        elif "no such file" in str(exc).lower() or "could not open" in str(exc).lower():
            hint = " (no such port: check --port, or omit it to find the board by its USB ids)"
        raise LinkError(f"cannot open link {url!r}: {exc}{hint}") from exc


RFC2217_READER = "pySerial RFC 2217 reader thread"


def quiet_rfc2217_reader_threads() -> None:
    """pyserial's RFC2217 reader thread dies with an OSError (broken pipe, reset) when the server drops the
    connection, e.g. a place whose board is gone; the link then raises SerialException to its user, which the
    harness turns into one line or a restart. Without this hook Python prints the thread's traceback as well."""
    previous = threading.excepthook
    if getattr(previous, "quiet_rfc2217", False):
        return

    def hook(args) -> None:
        thread = getattr(args, "thread", None)
        if thread is not None and thread.name.startswith(RFC2217_READER) and issubclass(args.exc_type, OSError):
            return
        previous(args)

    hook.quiet_rfc2217 = True
    threading.excepthook = hook

