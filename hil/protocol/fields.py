"""Field checks shared by the message classes: each raises ProtocolError naming the message and the field."""
from __future__ import annotations

from typing import Sequence

from hil.errors import ProtocolError


def check_int(message: str, field: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ProtocolError(f"{message} field {field} = {value!r} is not an integer in {low}..{high}")
    return value


def check_ints(message: str, field: str, values: Sequence[int], low: int, high: int,
               count: int | None = None) -> tuple[int, ...]:
    """``values`` (any sequence, numpy arrays included) as a tuple of ints, each in ``low..high``."""
    try:
        values = tuple(int(v) for v in values)
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"{message} field {field} is not a sequence of integers: {exc}") from exc
    if count is not None and len(values) != count:
        raise ProtocolError(f"{message} field {field} has {len(values)} values; expected {count}")
    bad = [v for v in values if not low <= v <= high]
    if bad:
        raise ProtocolError(f"{message} field {field} holds {bad[0]}; values must lie in {low}..{high}")
    return values


def encode_text(message: str, field: str, value: str) -> bytes:
    """``u8 n`` + ``n`` ASCII bytes."""
    if not isinstance(value, str) or not value.isascii() or len(value) > 255:
        raise ProtocolError(f"{message} field {field} = {value!r} is not an ASCII string of at most 255 bytes")
    return bytes([len(value)]) + value.encode("ascii")


def decode_text(message: str, field: str, payload: bytes, offset: int) -> tuple[str, int]:
    """The ``u8 n`` + text at ``offset``, and the offset after it."""
    if offset >= len(payload) or offset + 1 + payload[offset] > len(payload):
        raise ProtocolError(f"{message} field {field} runs past the end of the {len(payload)}-byte payload")
    data = payload[offset + 1:offset + 1 + payload[offset]]
    if not data.isascii():
        raise ProtocolError(f"{message} field {field} is not ASCII: {data!r}")
    return data.decode("ascii"), offset + 1 + len(data)


def expect_size(message: str, payload: bytes, size: int) -> None:
    if len(payload) != size:
        raise ProtocolError(f"{message} payload is {len(payload)} bytes; expected {size}")
