"""``faulty://``: a pyserial URL handler that wraps any other link and injects faults, both directions.

    faulty://?drop=0.01&corrupt=0.01&dup=0.005&delay_ms=5&seed=1&reset_at=300,900&inner=socket://127.0.0.1:4321

- ``drop``, ``corrupt``, ``dup``: per-byte probabilities of losing, bit-flipping or doubling a byte;
- ``delay_ms``: extra latency before each write reaches the inner link;
- ``seed``: the faults are reproducible;
- ``reset_at``: frame indices at which the runner resets the board (the link only carries the list: a reset
  is the target's job, QMP for QEMU, a process restart for the host board);
- ``inner``: the wrapped URL, always last (it may hold ``?`` and ``&`` of its own).
Counters (``faults``) say what was injected; the validation report shows them.
"""
from __future__ import annotations

import random
import time
from urllib.parse import parse_qsl

import serial
from serial.serialutil import SerialBase, SerialException

_PROBABILITIES = ("drop", "corrupt", "dup")


def parse_faulty_url(url: str) -> tuple[dict, str]:
    """``(settings, inner URL)`` of a ``faulty://`` URL; a clear ValueError for anything else."""
    if not url.lower().startswith("faulty://"):
        raise ValueError(f"{url!r} is not a faulty:// URL")
    head, separator, inner = url[len("faulty://"):].partition("inner=")
    if not separator or not inner:
        raise ValueError(f"{url!r}: the wrapped link is missing: end the URL with inner=URL")
    settings = {"drop": 0.0, "corrupt": 0.0, "dup": 0.0, "delay_ms": 0.0, "seed": 0, "reset_at": ()}
    for key, value in parse_qsl(head.lstrip("?").rstrip("&"), strict_parsing=False):
        if key not in settings:
            raise ValueError(f"{url!r}: unknown option {key!r}; allowed: {', '.join(settings)}, inner")
        settings[key] = _parse_value(url, key, value)
    return settings, inner


def _parse_value(url: str, key: str, value: str):
    try:
        if key == "reset_at":
            return tuple(sorted(int(v) for v in value.split(",") if v))
        if key == "seed":
            return int(value)
        number = float(value)
    except ValueError:
        raise ValueError(f"{url!r}: option {key}={value!r} is not a number") from None
    if key in _PROBABILITIES and not 0.0 <= number <= 1.0:
        raise ValueError(f"{url!r}: option {key}={number} must be a probability in 0..1")
    if number < 0:
        raise ValueError(f"{url!r}: option {key}={number} must not be negative")
    return number


class Serial(SerialBase):
    """The faulty link; pyserial builds it for ``serial_for_url('faulty://...')``."""

    def open(self):
        if self._port is None:
            raise SerialException("faulty://: no URL given")
        try:
            self.settings, inner_url = parse_faulty_url(self.portstr)
        except ValueError as exc:
            raise SerialException(str(exc)) from exc
        self.reset_at = self.settings["reset_at"]
        self.faults = {"dropped": 0, "corrupted": 0, "duplicated": 0}
        self._random = random.Random(self.settings["seed"])
        self.inner = serial.serial_for_url(inner_url, baudrate=self._baudrate, timeout=self._timeout,
                                           write_timeout=self._write_timeout)
        self.is_open = True

    def close(self):
        if getattr(self, "inner", None) is not None:
            self.inner.close()
        self.is_open = False

    def _reconfigure_port(self):
        pass

    def _mangle(self, data: bytes) -> bytes:
        out = bytearray()
        drop, corrupt, dup = (self.settings[k] for k in _PROBABILITIES)
        for byte in data:
            draw = self._random.random()
            if draw < drop:
                self.faults["dropped"] += 1
                continue
            if draw < drop + corrupt:
                byte ^= 1 << self._random.randrange(8)
                self.faults["corrupted"] += 1
            out.append(byte)
            if self._random.random() < dup:
                out.append(byte)
                self.faults["duplicated"] += 1
        return bytes(out)

    @property
    def in_waiting(self):
        return self.inner.in_waiting

    def read(self, size=1):
        return self._mangle(self.inner.read(size))

    def write(self, data):
        if self.settings["delay_ms"]:
            time.sleep(self.settings["delay_ms"] / 1000.0)
        self.inner.write(self._mangle(bytes(data)))
        return len(data)

    def reset_input_buffer(self):
        self.inner.reset_input_buffer()

    def reset_output_buffer(self):
        self.inner.reset_output_buffer()

    @property
    def out_waiting(self):
        return 0
