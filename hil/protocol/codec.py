"""Framing of the tofhil serial protocol (docs/protocol.md): packet = type, seq, length, payload, CRC-32;
frame = COBS(packet) + 0x00. ``FrameDecoder`` takes arbitrary chunks of a byte stream, resynchronises on the
next 0x00 after garbage, never buffers more than one largest frame, and counts what it discards.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from cobs import cobs

from hil.errors import ProtocolError
from hil.protocol.status import status_code

HEADER = struct.Struct("<BHH")
HEADER_SIZE = HEADER.size  # 5
CRC_SIZE = 4
MAX_PAYLOAD = 400
MAX_PACKET = HEADER_SIZE + MAX_PAYLOAD + CRC_SIZE  # 409
MAX_ENCODED = MAX_PACKET + MAX_PACKET // 254 + 1  # 411: COBS adds one byte per 254, delimiter excluded
SEQ_UNKNOWN = 0xFFFF
DELIMITER = b"\x00"


@dataclass(frozen=True)
class Packet:
    """One valid packet: message type, sequence number, payload bytes."""

    type: int
    seq: int
    payload: bytes


@dataclass(frozen=True)
class FrameError:
    """A frame the decoder discarded: status name (BAD_CRC, BAD_FRAME, FRAME_TOO_LONG), why, its first bytes."""

    status: str
    detail: str
    frame: bytes

    @property
    def code(self) -> int:
        return status_code(self.status)


def _check_range(field: str, value: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= high:
        raise ProtocolError(f"frame field {field} = {value!r} is not an integer in 0..{high}")


def encode_packet(type: int, seq: int, payload: bytes = b"") -> bytes:
    """The packet before COBS: header, payload, CRC-32 (zlib's, little-endian)."""
    _check_range("type", type, 0xFF)
    _check_range("seq", seq, 0xFFFF)
    payload = bytes(payload)
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError(f"frame field payload is {len(payload)} bytes; at most {MAX_PAYLOAD} allowed")
    body = HEADER.pack(type, seq, len(payload)) + payload
    return body + struct.pack("<I", zlib.crc32(body))


def encode_frame(type: int, seq: int, payload: bytes = b"") -> bytes:
    """The bytes on the wire for one packet: COBS-encoded, then the 0x00 delimiter."""
    return cobs.encode(encode_packet(type, seq, payload)) + DELIMITER


def decode_packet(encoded: bytes, max_payload: int = MAX_PAYLOAD) -> Packet | FrameError:
    """One frame's bytes (COBS, without the delimiter) -> its packet, or why it is discarded."""
    def error(status: str, detail: str) -> FrameError:
        return FrameError(status, detail, bytes(encoded[:64]))

    try:
        packet = cobs.decode(bytes(encoded))
    except cobs.DecodeError as exc:
        return error("BAD_FRAME", f"COBS: {exc}")
    if not HEADER_SIZE + CRC_SIZE <= len(packet) <= HEADER_SIZE + max_payload + CRC_SIZE:
        return error("BAD_FRAME", f"packet of {len(packet)} bytes; 9..{HEADER_SIZE + max_payload + CRC_SIZE} "
                                  "(header + payload + CRC) allowed")
    (crc,) = struct.unpack_from("<I", packet, len(packet) - CRC_SIZE)
    if zlib.crc32(packet[:-CRC_SIZE]) != crc:
        return error("BAD_CRC", f"CRC {crc:08x} does not match {zlib.crc32(packet[:-CRC_SIZE]):08x}")
    type_, seq, length = HEADER.unpack_from(packet)
    if length > max_payload or len(packet) != HEADER_SIZE + length + CRC_SIZE:
        return error("BAD_FRAME", f"length field {length} disagrees with the packet size {len(packet)} "
                                  f"(9 + length, length <= {max_payload})")
    return Packet(type_, seq, packet[HEADER_SIZE:-CRC_SIZE])


class FrameDecoder:
    """Streaming decoder: ``feed(chunk)`` returns the packets and frame errors completed by that chunk.

    Counters (as the firmware's STATS): ``frames_ok``, ``crc_errors``, ``framing_errors`` (bad COBS, header or
    length, or longer than ``MAX_ENCODED``). An empty frame (two delimiters in a row) is ignored: the host sends
    a lone 0x00 to flush a half-received frame.
    """

    def __init__(self, max_payload: int = MAX_PAYLOAD):
        self.max_payload = max_payload
        self.max_encoded = HEADER_SIZE + max_payload + CRC_SIZE
        self.max_encoded += self.max_encoded // 254 + 1
        self.frames_ok = self.crc_errors = self.framing_errors = 0
        self._pending = bytearray()
        self._overlong = False

    @property
    def pending(self) -> bytes:
        """Bytes of the frame in progress (empty when the last byte was a delimiter)."""
        return bytes(self._pending)

    def feed(self, chunk: bytes) -> list[Packet | FrameError]:
        *complete, tail = bytes(chunk).split(DELIMITER)
        results = []
        for part in complete:
            self._append(part)
            result = self._finish()
            if result is not None:
                results.append(result)
        self._append(tail)
        return results

    def _append(self, part: bytes) -> None:
        if self._overlong:
            return
        self._pending += part
        if len(self._pending) > self.max_encoded:
            self._overlong = True
            self._pending.clear()  # bounded memory: the rest of this frame is dropped

    def _finish(self) -> Packet | FrameError | None:
        frame, overlong = bytes(self._pending), self._overlong
        self._pending.clear()
        self._overlong = False
        if overlong:
            self.framing_errors += 1
            return FrameError("FRAME_TOO_LONG", f"frame longer than {self.max_encoded} encoded bytes", b"")
        if not frame:
            return None
        result = decode_packet(frame, self.max_payload)
        if isinstance(result, Packet):
            self.frames_ok += 1
        elif result.status == "BAD_CRC":
            self.crc_errors += 1
        else:
            self.framing_errors += 1
        return result
