"""The messages of the tofhil protocol (docs/protocol.md) as dataclasses, with their payload layouts.

``encode_message(message, seq)`` gives the frame on the wire; ``decode_message(packet, ...)`` the message of a
decoded packet. Every check raises :class:`hil.errors.ProtocolError` naming the message and the field.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from hil.errors import ProtocolError
from hil.protocol.codec import MAX_PAYLOAD, Packet, encode_frame
from hil.protocol.fields import check_int, check_ints, expect_size
from hil.protocol.message_ids import MESSAGE_IDS
from hil.protocol.replies import Error, Hello, Layer, Result, Session, Stats

ZONES = 64
RAW_FRAME = struct.Struct(f"<{ZONES}h{ZONES}H{ZONES}B")  # 320 bytes
OPTION_ECHO_INPUT = 0x01
LAYER_REQ_FIXED = struct.Struct("<BH")  # layer, offset; the int8 input follows


@dataclass(frozen=True)
class HelloRequest:
    TYPE: ClassVar[int] = MESSAGE_IDS["HELLO_REQ"]

    def payload(self) -> bytes:
        return b""

    @classmethod
    def from_payload(cls, payload: bytes) -> HelloRequest:
        expect_size("HELLO_REQ", payload, 0)
        return cls()


@dataclass(frozen=True)
class StatsRequest:
    TYPE: ClassVar[int] = MESSAGE_IDS["STATS_REQ"]

    def payload(self) -> bytes:
        return b""

    @classmethod
    def from_payload(cls, payload: bytes) -> StatsRequest:
        expect_size("STATS_REQ", payload, 0)
        return cls()


@dataclass(frozen=True)
class SessionStart:
    """A new recording begins: the device resets its decision pipeline (label filter) before the next frame."""

    TYPE: ClassVar[int] = MESSAGE_IDS["SESSION_START"]

    def payload(self) -> bytes:
        return b""

    @classmethod
    def from_payload(cls, payload: bytes) -> SessionStart:
        expect_size("SESSION_START", payload, 0)
        return cls()


@dataclass(frozen=True)
class InferRaw:
    """One raw 8x8 frame for the device to preprocess and classify; ``echo`` asks for the int8 input back."""

    TYPE: ClassVar[int] = MESSAGE_IDS["INFER_RAW"]
    distance_mm: tuple[int, ...]
    signal_per_spad: tuple[int, ...]
    target_status: tuple[int, ...]
    echo: bool = False

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "distance_mm", check_ints("INFER_RAW", "distance_mm", self.distance_mm, -32768, 32767, ZONES))
        set_(self, "signal_per_spad", check_ints("INFER_RAW", "signal_per_spad", self.signal_per_spad, 0, 65535, ZONES))
        set_(self, "target_status", check_ints("INFER_RAW", "target_status", self.target_status, 0, 255, ZONES))
        set_(self, "echo", bool(self.echo))

    def payload(self) -> bytes:
        options = OPTION_ECHO_INPUT if self.echo else 0
        return bytes([options]) + RAW_FRAME.pack(*self.distance_mm, *self.signal_per_spad, *self.target_status)

    @classmethod
    def from_payload(cls, payload: bytes) -> InferRaw:
        expect_size("INFER_RAW", payload, 1 + RAW_FRAME.size)
        check_int("INFER_RAW", "options", payload[0], 0, OPTION_ECHO_INPUT)
        values = RAW_FRAME.unpack_from(payload, 1)
        return cls(values[:ZONES], values[ZONES:2 * ZONES], values[2 * ZONES:], bool(payload[0]))


@dataclass(frozen=True)
class InferTensor:
    """An int8 input tensor, exactly the model's ``input_size`` values."""

    TYPE: ClassVar[int] = MESSAGE_IDS["INFER_TENSOR"]
    input: tuple[int, ...]

    def __post_init__(self):
        object.__setattr__(self, "input", check_ints("INFER_TENSOR", "input", self.input, -128, 127))
        if not 0 < len(self.input) <= MAX_PAYLOAD:
            raise ProtocolError(f"INFER_TENSOR field input has {len(self.input)} values; 1..{MAX_PAYLOAD} allowed")

    def payload(self) -> bytes:
        return struct.pack(f"<{len(self.input)}b", *self.input)

    @classmethod
    def from_payload(cls, payload: bytes) -> InferTensor:
        return cls(struct.unpack(f"<{len(payload)}b", payload))


@dataclass(frozen=True)
class LayerRequest:
    """Run ops 0..``layer`` on ``input`` and send op ``layer``'s output from byte ``offset`` (per-layer mode)."""

    TYPE: ClassVar[int] = MESSAGE_IDS["LAYER_REQ"]
    layer: int
    offset: int
    input: tuple[int, ...]

    def __post_init__(self):
        check_int("LAYER_REQ", "layer", self.layer, 0, 254)
        check_int("LAYER_REQ", "offset", self.offset, 0, 0xFFFF)
        object.__setattr__(self, "input", check_ints("LAYER_REQ", "input", self.input, -128, 127))
        if not 0 < len(self.input) <= MAX_PAYLOAD - LAYER_REQ_FIXED.size:
            raise ProtocolError(f"LAYER_REQ field input has {len(self.input)} values; "
                                f"1..{MAX_PAYLOAD - LAYER_REQ_FIXED.size} allowed")

    def payload(self) -> bytes:
        return LAYER_REQ_FIXED.pack(self.layer, self.offset) + struct.pack(f"<{len(self.input)}b", *self.input)

    @classmethod
    def from_payload(cls, payload: bytes) -> LayerRequest:
        if len(payload) <= LAYER_REQ_FIXED.size:
            raise ProtocolError(f"LAYER_REQ payload is {len(payload)} bytes; more than {LAYER_REQ_FIXED.size} "
                                "expected")
        layer, offset = LAYER_REQ_FIXED.unpack_from(payload)
        rest = payload[LAYER_REQ_FIXED.size:]
        return cls(layer, offset, struct.unpack(f"<{len(rest)}b", rest))


MESSAGE_CLASSES = {cls.TYPE: cls for cls in (HelloRequest, InferRaw, InferTensor, StatsRequest, LayerRequest,
                                             SessionStart, Hello, Result, Stats, Layer, Session, Error)}
Message = (HelloRequest | InferRaw | InferTensor | StatsRequest | LayerRequest | SessionStart | Hello | Result
           | Stats | Layer | Session | Error)


def encode_message(message: Message, seq: int) -> bytes:
    """The frame (COBS + delimiter) that carries ``message`` with sequence number ``seq``."""
    return encode_frame(message.TYPE, seq, message.payload())


def decode_message(packet: Packet, input_size: int | None = None, output_size: int | None = None) -> Message:
    """The message in a packet. A RESULT needs the HELLO's ``output_size`` (and ``input_size`` for an echo)."""
    cls = MESSAGE_CLASSES.get(packet.type)
    if cls is None:
        raise ProtocolError(f"packet seq {packet.seq}: unknown message type 0x{packet.type:02x}")
    if cls is Result:
        return Result.from_payload(packet.payload, input_size, output_size)
    return cls.from_payload(packet.payload)

