"""``faulty://``: a pyserial URL handler that wraps any other link and injects faults, both directions.

    faulty://?drop=0.01&corrupt=0.01&dup=0.005&delay_ms=5&seed=1&reset_at=300,900&inner=socket://127.0.0.1:4321

- ``drop``, ``corrupt``, ``dup``: the share of bytes lost, bit-flipped or doubled;
- ``burst``: mean length of a fault in bytes (default 1: every byte independently). Noise on a real UART comes
  in bursts; with ``burst=32`` the same share of bytes is hit, in runs of 32 on average. At independent 1 %
  drop + 1 % corruption a 332-byte raw request arrives intact 0.12 % of the time (0.98^332): no framed
  protocol without forward error correction gets through that, so bursty faults are what the HIL test uses
  at 1 %, and independent faults are tested at 0.05 %;
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
    settings = {"drop": 0.0, "corrupt": 0.0, "dup": 0.0, "burst": 1.0, "delay_ms": 0.0, "seed": 0,
                "reset_at": ()}
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
    if number < 0 or (key == "burst" and number < 1):
        raise ValueError(f"{url!r}: option {key}={number} must be {'>= 1' if key == 'burst' else '>= 0'}")
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
        self.faults = {"dropped": 0, "corrupted": 0, "duplicated": 0, "bytes": 0}
        # one fault process per direction, so what one direction suffers does not depend on the other's timing
        self._directions = {name: _FaultProcess(self.settings, random.Random(f"{self.settings['seed']}-{name}"))
                            for name in ("read", "write")}
        self.inner = serial.serial_for_url(inner_url, baudrate=self._baudrate, timeout=self._timeout,
                                           write_timeout=self._write_timeout)
        self.is_open = True

    def close(self):
        if getattr(self, "inner", None) is not None:
            self.inner.close()
        self.is_open = False

    def _reconfigure_port(self):
        pass

    def _mangle(self, data: bytes, direction: str) -> bytes:
        self.faults["bytes"] += len(data)
        return self._directions[direction].apply(data, self.faults)

    @property
    def in_waiting(self):
        return self.inner.in_waiting

    def read(self, size=1):
        return self._mangle(self.inner.read(size), "read")

    def write(self, data):
        if self.settings["delay_ms"]:
            time.sleep(self.settings["delay_ms"] / 1000.0)
        self.inner.write(self._mangle(bytes(data), "write"))
        return len(data)

    def reset_input_buffer(self):
        self.inner.reset_input_buffer()

    def reset_output_buffer(self):
        self.inner.reset_output_buffer()

    @property
    def out_waiting(self):
        return 0


class _FaultProcess:
    """Per byte: a fault of each kind starts with probability share / burst and lasts a geometric number of
    bytes with mean ``burst``, so the long-run share of bytes hit is the configured one."""

    def __init__(self, settings: dict, rng: random.Random):
        self.rng, self.burst = rng, settings["burst"]
        self.start = {kind: settings[kind] / self.burst for kind in _PROBABILITIES}
        self.left = {kind: 0 for kind in _PROBABILITIES}

    def _hit(self, kind: str) -> bool:
        if self.left[kind] == 0 and self.start[kind] and self.rng.random() < self.start[kind]:
            self.left[kind] = max(1, round(self.rng.expovariate(1.0 / self.burst))) if self.burst > 1 else 1
        if self.left[kind]:
            self.left[kind] -= 1
            return True
        return False

    def apply(self, data: bytes, faults: dict) -> bytes:
        out = bytearray()
        for byte in data:
            if self._hit("drop"):
                faults["dropped"] += 1
                continue
            if self._hit("corrupt"):
                byte ^= 1 << self.rng.randrange(8)
                faults["corrupted"] += 1
            out.append(byte)
            if self._hit("dup"):
                out.append(byte)
                faults["duplicated"] += 1
        return bytes(out)
