"""The device's replies (HELLO, RESULT, STATS, ERROR): payload layouts of docs/protocol.md."""
from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, fields
from typing import ClassVar

from hil.errors import ProtocolError
from hil.protocol.fields import check_int, check_ints, decode_text, encode_text, expect_size
from hil.protocol.message_ids import MESSAGE_IDS
from hil.protocol.status import STATUS_CODES, status_name, status_text

PROTOCOL_VERSION = 2  # 2: RESULT carries the label shown (the on-device decision pipeline), SESSION_START
TIMER_UNITS = {0: "cycles", 1: "instructions", 2: "ns"}  # DWT cycle counter, SysTick under -icount, host clock
FLAG_HAS_PREPROCESSING = 0x01
FLAG_HAS_POSTPROCESSING = 0x02  # HELLO: RESULT's shown label is the decision pipeline's
FLAG_ECHO = 0x01
FLAG_SHOWN = 0x02  # RESULT: the shown label is the pipeline's (else -1: a firmware without it)
FLAG_IN_SESSION = 0x04  # RESULT: stepped inside a session (SESSION_START since the board's last (re)start)
U32 = 0xFFFFFFFF
HELLO_FIXED = struct.Struct("<BBII32sfifiHHHB")  # 65 bytes, then firmware version and board name texts
RESULT_FIXED = struct.Struct("<BBIIh")  # status, flags, infer_ticks, preprocess_ticks, shown
SESSION_FIXED = struct.Struct("<BhBBhH")  # has pipeline, threshold_q, filter_length, keep_last_valid, fallback, classes
STATS_FIXED = struct.Struct("<9I")
LAYER_FIXED = struct.Struct("<BBBBIHH")  # status, layer, layer_count, flags, ticks, size, offset
LAYER_CHUNK = 400 - LAYER_FIXED.size  # tensor bytes one LAYER carries (MAX_PAYLOAD - header)
FLAG_INT8 = 0x01


def _check_float32(message: str, field: str, value) -> float:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or abs(value) > 3.4e38:
        raise ProtocolError(f"{message} field {field} = {value!r} is not a finite float32")
    return float(value)


@dataclass(frozen=True)
class Hello:
    """The device's self-description: protocol, timer, clock, model identity and quantization, sizes."""

    TYPE: ClassVar[int] = MESSAGE_IDS["HELLO"]
    protocol_version: int
    timer_kind: int
    core_clock_hz: int
    timer_hz: int
    model_sha256: str
    input_scale: float
    input_zero_point: int
    output_scale: float
    output_zero_point: int
    input_size: int
    output_size: int
    max_payload: int
    has_preprocessing: bool
    firmware_version: str
    board: str
    has_postprocessing: bool = False  # the firmware steps the decision pipeline (RESULT's shown label)

    def __post_init__(self):
        for name, high in (("protocol_version", 255), ("core_clock_hz", U32), ("timer_hz", U32),
                           ("input_size", 0xFFFF), ("output_size", 0xFFFF), ("max_payload", 0xFFFF)):
            check_int("HELLO", name, getattr(self, name), 0, high)
        check_int("HELLO", "timer_kind", self.timer_kind, 0, max(TIMER_UNITS))
        for name in ("input_zero_point", "output_zero_point"):
            check_int("HELLO", name, getattr(self, name), -2**31, 2**31 - 1)
        for name in ("input_scale", "output_scale"):
            object.__setattr__(self, name, _check_float32("HELLO", name, getattr(self, name)))
        if not isinstance(self.model_sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", self.model_sha256):
            raise ProtocolError(f"HELLO field model_sha256 = {self.model_sha256!r} is not 64 lowercase hex digits")
        object.__setattr__(self, "has_preprocessing", bool(self.has_preprocessing))
        object.__setattr__(self, "has_postprocessing", bool(self.has_postprocessing))
        encode_text("HELLO", "firmware_version", self.firmware_version)
        encode_text("HELLO", "board", self.board)

    @property
    def timer_unit(self) -> str:
        """What ``infer_ticks`` converts to: cycles (DWT), instructions (QEMU SysTick) or ns (host)."""
        return TIMER_UNITS[self.timer_kind]

    def ticks_to_unit(self, ticks: int) -> float:
        """Timer ticks in ``timer_unit``: instructions = ticks * 1e9 / timer_hz under -icount shift=0."""
        if self.timer_kind == 0:
            return float(ticks)
        if self.timer_hz == 0:
            raise ProtocolError("HELLO field timer_hz is 0; ticks cannot be converted")
        return ticks * 1e9 / self.timer_hz

    def payload(self) -> bytes:
        fixed = HELLO_FIXED.pack(self.protocol_version, self.timer_kind, self.core_clock_hz, self.timer_hz,
                                 bytes.fromhex(self.model_sha256), self.input_scale, self.input_zero_point,
                                 self.output_scale, self.output_zero_point, self.input_size, self.output_size,
                                 self.max_payload, (FLAG_HAS_PREPROCESSING if self.has_preprocessing else 0)
                                 | (FLAG_HAS_POSTPROCESSING if self.has_postprocessing else 0))
        return (fixed + encode_text("HELLO", "firmware_version", self.firmware_version)
                + encode_text("HELLO", "board", self.board))

    @classmethod
    def from_payload(cls, payload: bytes) -> Hello:
        if len(payload) < HELLO_FIXED.size + 2:
            raise ProtocolError(f"HELLO payload is {len(payload)} bytes; at least {HELLO_FIXED.size + 2} expected")
        values = list(HELLO_FIXED.unpack_from(payload))
        values[4] = values[4].hex()
        flags = values[12]
        if values[0] >= 2:  # version 1 had bit 0 only; a version-1 HELLO still decodes, to be refused by name
            check_int("HELLO", "flags", flags, 0, FLAG_HAS_PREPROCESSING | FLAG_HAS_POSTPROCESSING)
        values[12] = bool(flags & FLAG_HAS_PREPROCESSING)
        firmware_version, offset = decode_text("HELLO", "firmware_version", payload, HELLO_FIXED.size)
        board, offset = decode_text("HELLO", "board", payload, offset)
        expect_size("HELLO", payload, offset)
        return cls(*values, firmware_version, board, bool(flags & FLAG_HAS_POSTPROCESSING))


@dataclass(frozen=True)
class Result:
    """One inference: status (OK or FRAME_REJECTED), timer ticks, int8 outputs, the echoed int8 input if asked,
    and the label the device shows after this frame (``shown``: None from a firmware without the decision
    pipeline; -1: no posture) and whether it was stepped inside a session."""

    TYPE: ClassVar[int] = MESSAGE_IDS["RESULT"]
    status: int
    infer_ticks: int
    preprocess_ticks: int
    output: tuple[int, ...] = ()
    echoed_input: tuple[int, ...] | None = None
    shown: int | None = None
    in_session: bool = False

    def __post_init__(self):
        check_int("RESULT", "status", self.status, 0, 255)
        check_int("RESULT", "infer_ticks", self.infer_ticks, 0, U32)
        check_int("RESULT", "preprocess_ticks", self.preprocess_ticks, 0, U32)
        if self.shown is not None:
            check_int("RESULT", "shown", self.shown, -1, 0x7FFF)
        object.__setattr__(self, "in_session", bool(self.in_session))
        object.__setattr__(self, "output", check_ints("RESULT", "output", self.output, -128, 127))
        if self.echoed_input is not None:
            object.__setattr__(self, "echoed_input",
                               check_ints("RESULT", "echoed_input", self.echoed_input, -128, 127))
        if self.status != STATUS_CODES["OK"] and self.output:
            raise ProtocolError(f"RESULT field output must be empty when status is {self.status_name}")

    @property
    def status_name(self) -> str:
        return status_name(self.status)

    def payload(self) -> bytes:
        echo = self.echoed_input or ()
        flags = ((FLAG_ECHO if self.echoed_input is not None else 0) | (FLAG_SHOWN if self.shown is not None else 0)
                 | (FLAG_IN_SESSION if self.in_session else 0))
        shown = -1 if self.shown is None else self.shown
        return (RESULT_FIXED.pack(self.status, flags, self.infer_ticks, self.preprocess_ticks, shown)
                + struct.pack(f"<{len(self.output)}b{len(echo)}b", *self.output, *echo))

    @classmethod
    def from_payload(cls, payload: bytes, input_size: int | None, output_size: int | None) -> Result:
        if len(payload) < RESULT_FIXED.size:
            raise ProtocolError(f"RESULT payload is {len(payload)} bytes; at least {RESULT_FIXED.size} expected")
        status, flags, infer_ticks, preprocess_ticks, shown = RESULT_FIXED.unpack_from(payload)
        check_int("RESULT", "flags", flags, 0, FLAG_ECHO | FLAG_SHOWN | FLAG_IN_SESSION)
        n_out = 0 if status != STATUS_CODES["OK"] else _size("output_size", output_size)
        n_echo = _size("input_size", input_size) if flags & FLAG_ECHO else 0
        expect_size("RESULT", payload, RESULT_FIXED.size + n_out + n_echo)
        values = struct.unpack_from(f"<{n_out}b{n_echo}b", payload, RESULT_FIXED.size)
        echo = values[n_out:] if flags & FLAG_ECHO else None
        return cls(status, infer_ticks, preprocess_ticks, values[:n_out], echo,
                   shown if flags & FLAG_SHOWN else None, bool(flags & FLAG_IN_SESSION))


def _size(name: str, value: int | None) -> int:
    if value is None:
        raise ProtocolError(f"RESULT cannot be decoded without the HELLO's {name}")
    return value


@dataclass(frozen=True)
class Session:
    """SESSION_START's answer: the decision pipeline reset, and the constants it was generated with (all 0 from a
    firmware without it), so the host can check they are its configuration's before it compares labels."""

    TYPE: ClassVar[int] = MESSAGE_IDS["SESSION"]
    has_pipeline: bool
    threshold_int8: int
    filter_length: int
    keep_last_valid: bool
    fallback: int
    classes: int

    def __post_init__(self):
        object.__setattr__(self, "has_pipeline", bool(self.has_pipeline))
        object.__setattr__(self, "keep_last_valid", bool(self.keep_last_valid))
        check_int("SESSION", "threshold_int8", self.threshold_int8, -129, 127)
        check_int("SESSION", "filter_length", self.filter_length, 0, 255)
        check_int("SESSION", "fallback", self.fallback, -1, 0x7FFF)
        check_int("SESSION", "classes", self.classes, 0, 0x7FFF)

    def payload(self) -> bytes:
        return SESSION_FIXED.pack(int(self.has_pipeline), self.threshold_int8, self.filter_length,
                                  int(self.keep_last_valid), self.fallback, self.classes)

    @classmethod
    def from_payload(cls, payload: bytes) -> Session:
        expect_size("SESSION", payload, SESSION_FIXED.size)
        has, threshold, length, keep, fallback, classes = SESSION_FIXED.unpack(payload)
        check_int("SESSION", "has_pipeline", has, 0, 1)
        check_int("SESSION", "keep_last_valid", keep, 0, 1)
        return cls(bool(has), threshold, length, bool(keep), fallback, classes)


@dataclass(frozen=True)
class Stats:
    """The device's counters: stack high-water mark, decoder counts, lost bytes, ERROR replies sent, interrupt
    time removed from the timed sections."""

    TYPE: ClassVar[int] = MESSAGE_IDS["STATS"]
    stack_used_bytes: int
    stack_size_bytes: int
    frames_ok: int
    crc_errors: int
    framing_errors: int
    rx_overflows: int
    requests_rejected: int
    # timer ticks of interrupt handlers taken out of the timed sections (inference, preprocessing, layers), and
    # how many handler entries that was: the latency figures are the model's alone
    isr_ticks_removed: int = 0
    isr_count_removed: int = 0

    def __post_init__(self):
        for field in fields(self):
            check_int("STATS", field.name, getattr(self, field.name), 0, U32)

    def payload(self) -> bytes:
        return STATS_FIXED.pack(*(getattr(self, field.name) for field in fields(self)))

    @classmethod
    def from_payload(cls, payload: bytes) -> Stats:
        expect_size("STATS", payload, STATS_FIXED.size)
        return cls(*STATS_FIXED.unpack(payload))


@dataclass(frozen=True)
class Error:
    """The device refused a request (or a frame): a status code of tofhil_status.h and its text."""

    TYPE: ClassVar[int] = MESSAGE_IDS["ERROR"]
    code: int
    text: str

    def __post_init__(self):
        check_int("ERROR", "code", self.code, 0, 255)
        encode_text("ERROR", "text", self.text)

    @property
    def name(self) -> str:
        return status_name(self.code)

    @classmethod
    def of(cls, name: str) -> Error:
        """The ERROR the firmware sends for status ``name`` (its text from the status list)."""
        return cls(STATUS_CODES[name], status_text(STATUS_CODES[name]))

    def payload(self) -> bytes:
        return bytes([self.code]) + encode_text("ERROR", "text", self.text)

    @classmethod
    def from_payload(cls, payload: bytes) -> Error:
        if len(payload) < 2:
            raise ProtocolError(f"ERROR payload is {len(payload)} bytes; at least 2 expected")
        text, end = decode_text("ERROR", "text", payload, 1)
        expect_size("ERROR", payload, end)
        return cls(payload[0], text)


@dataclass(frozen=True)
class Layer:
    """One op's output tensor (a chunk of it from ``offset``) and that op's ticks, for per-layer validation."""

    TYPE: ClassVar[int] = MESSAGE_IDS["LAYER"]
    layer: int
    layer_count: int
    is_int8: bool
    ticks: int
    size: int
    offset: int
    data: bytes
    status: int = 0

    def __post_init__(self):
        check_int("LAYER", "status", self.status, 0, 0)
        check_int("LAYER", "layer_count", self.layer_count, 1, 255)
        check_int("LAYER", "layer", self.layer, 0, self.layer_count - 1)
        check_int("LAYER", "ticks", self.ticks, 0, U32)
        check_int("LAYER", "size", self.size, 0, 0xFFFF)
        check_int("LAYER", "offset", self.offset, 0, self.size)
        object.__setattr__(self, "is_int8", bool(self.is_int8))
        object.__setattr__(self, "data", bytes(self.data))
        expected = min(self.size - self.offset, LAYER_CHUNK)
        if len(self.data) != expected:
            raise ProtocolError(f"LAYER field data has {len(self.data)} bytes; expected {expected} "
                                f"(size {self.size}, offset {self.offset})")

    @property
    def values(self) -> tuple[int, ...]:
        """The chunk as int8 values (an int8 tensor)."""
        return struct.unpack(f"<{len(self.data)}b", self.data)

    def payload(self) -> bytes:
        return LAYER_FIXED.pack(self.status, self.layer, self.layer_count, FLAG_INT8 if self.is_int8 else 0,
                                self.ticks, self.size, self.offset) + self.data

    @classmethod
    def from_payload(cls, payload: bytes) -> Layer:
        if len(payload) < LAYER_FIXED.size:
            raise ProtocolError(f"LAYER payload is {len(payload)} bytes; at least {LAYER_FIXED.size} expected")
        status, layer, count, flags, ticks, size, offset = LAYER_FIXED.unpack_from(payload)
        check_int("LAYER", "flags", flags, 0, FLAG_INT8)
        return cls(layer, count, bool(flags & FLAG_INT8), ticks, size, offset, payload[LAYER_FIXED.size:], status)
