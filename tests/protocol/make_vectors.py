"""Writes docs/protocol_vectors.json, the protocol's golden vectors: ``python -m tests.protocol.make_vectors``.

The bytes come from hil.protocol; test_codec.py checks the file still equals what this writes (so a codec change
cannot slip through), and test_protocol_c.py replays it through the host-built C, so the two sides agree.
"""
from __future__ import annotations

import hashlib
import json
import struct
import zlib
from pathlib import Path

from cobs import cobs

from hil.protocol import (MAX_ENCODED, MAX_PACKET, MAX_PAYLOAD, PROTOCOL_VERSION, SEQ_UNKNOWN, Error, FrameDecoder,
                          Hello, HelloRequest, InferRaw, InferTensor, Layer, LayerRequest, Packet, Result, Session,
                          SessionStart, Stats, StatsRequest,
                          encode_frame, encode_message)

VECTORS_PATH = Path(__file__).resolve().parents[2] / "docs" / "protocol_vectors.json"
INPUT_SIZE, OUTPUT_SIZE = 128, 8


def raw_frame() -> InferRaw:
    """A hand at about 200 mm over the centre zones, background at 1,500 mm (status 5 valid, 4 not)."""
    hand = {r * 8 + c for r in range(2, 6) for c in range(2, 6)}
    distance = [190 + (j % 7) if j in hand else 1500 + 3 * j for j in range(64)]
    signal = [4200 - 11 * j if j in hand else 35 + j for j in range(64)]
    status = [5 if j in hand else (4 if j % 5 == 0 else 9) for j in range(64)]
    return InferRaw(distance, signal, status, echo=True)


def messages() -> list[tuple[str, int, object]]:
    tensor = [((i * 37) % 256) - 128 for i in range(INPUT_SIZE)]
    hello = Hello(PROTOCOL_VERSION, 1, 168_000_000, 168_000_000, hashlib.sha256(b"tofhil model").hexdigest(),
                  0.0117647061124444, -3, 0.00390625, -128, INPUT_SIZE, OUTPUT_SIZE, MAX_PAYLOAD, True, "0.1.0",
                  "qemu-stm32f405", has_postprocessing=True)
    outputs = [-128, -128, 127, -120, -128, -128, -101, -128]
    return [("HELLO_REQ", 1, HelloRequest()), ("INFER_RAW", 2, raw_frame()),
            ("INFER_TENSOR", 3, InferTensor(tensor)), ("STATS_REQ", 4, StatsRequest()),
            ("HELLO", 1, hello),
            ("RESULT", 2, Result(0, 27_891, 1_262, outputs, tensor, shown=0, in_session=True)),
            ("RESULT_NO_ECHO", 3, Result(0, 27_905, 0, outputs, shown=2, in_session=True)),
            ("RESULT_FRAME_REJECTED", 5, Result(2, 0, 1_180, shown=2, in_session=True)),
            ("RESULT_NO_PIPELINE", 8, Result(0, 27_900, 0, outputs)),
            ("SESSION_START", 10, SessionStart()),
            ("SESSION", 10, Session(True, 114, 3, True, 0, 8)),
            ("STATS", 4, Stats(1_384, 2_048, 812, 3, 1, 0, 4)),
            ("LAYER_REQ", 6, LayerRequest(1, 0, tensor)),
            ("LAYER", 6, Layer(1, 6, True, 1_873, 72, 0, bytes((7 * i) % 256 for i in range(72)))),
            ("LAYER_SECOND_CHUNK", 7, Layer(0, 6, True, 9_120, 400, 388, bytes(range(12)))),
            ("ERROR_BAD_CRC", SEQ_UNKNOWN, Error.of("BAD_CRC")),
            ("ERROR_UNKNOWN_MESSAGE", 9, Error.of("UNKNOWN_MESSAGE"))]


def raw_packet_frame(type_: int, seq: int, length_field: int, payload: bytes) -> bytes:
    """A frame whose header's length field may lie, with a CRC that is right for the bytes sent."""
    body = struct.pack("<BHH", type_, seq, length_field) + payload
    return cobs.encode(body + struct.pack("<I", zlib.crc32(body))) + b"\x00"


def flip_crc_frame() -> bytes:
    packet = cobs.decode(encode_frame(3, 11, b"\x01\x02\x03")[:-1])
    corrupted = packet[:6] + bytes([packet[6] ^ 0x40]) + packet[7:]
    return cobs.encode(corrupted) + b"\x00"


def decoder_inputs() -> list[tuple[str, str, bytes]]:
    hello, stats = encode_frame(1, 1, b""), encode_frame(4, 2, b"")
    big = encode_frame(3, 7, bytes((i % 255) + 1 for i in range(MAX_PAYLOAD)))
    return [
        ("garbage_before_frame", "garbage, the host's flushing 0x00, then a frame", b"\x13\x37\xff\x42\x00" + hello),
        ("garbage_glued_to_frame", "garbage without a delimiter spoils the frame it touches; the next one is read",
         b"\x13\x37\xff\x42" + hello + stats),
        ("valid_cobs_garbage_glued_to_frame", "garbage that is valid COBS: the glued frame fails its CRC",
         b"\x02\x41" + hello + stats),
        ("two_frames_back_to_back", "two frames in one chunk", hello + stats),
        ("truncated_frame", "a frame cut short: nothing yet, its bytes wait", hello[:6]),
        ("truncated_frame_then_flush", "a cut frame, a 0x00, then a good frame", hello[:6] + b"\x00" + stats),
        ("bad_crc", "one flipped payload bit", flip_crc_frame() + stats),
        ("over_long_frame", "500 bytes without a delimiter, then a good frame", b"\x7f" * 500 + b"\x00" + stats),
        ("largest_frame", f"a {MAX_PAYLOAD}-byte payload ({len(big) - 1} encoded bytes) is accepted", big),
        ("payload_over_limit", "a well-formed packet with a 401-byte payload is too long",
         raw_packet_frame(3, 7, 401, b"\x05" * 401) + stats),
        ("zero_length_frames", "empty frames (0x00 0x00) are ignored, not errors", b"\x00\x00" + hello + b"\x00"),
        ("empty_packet", "a COBS frame that decodes to nothing", b"\x01\x00"),
        ("length_field_too_large", "length 5 but 3 payload bytes (CRC right)", raw_packet_frame(3, 8, 5, b"abc")),
        ("length_field_too_small", "length 3 but 5 payload bytes (CRC right)", raw_packet_frame(3, 8, 3, b"abcde")),
        ("length_field_huge", "length 0xFFFF (CRC right)", raw_packet_frame(3, 8, 0xFFFF, b"abc")),
        ("cobs_overrun", "a COBS code byte pointing past the frame's end", b"\x09\x01\x02\x00" + hello),
    ]


def event_of(result) -> dict:
    """A decoder result as it appears in the vectors file."""
    if isinstance(result, Packet):
        return {"packet": {"type": result.type, "seq": result.seq, "payload_hex": result.payload.hex()}}
    return {"error": result.status}


def decoder_case(name: str, about: str, data: bytes) -> dict:
    decoder = FrameDecoder()
    events = [event_of(r) for r in decoder.feed(data)]
    return {"name": name, "about": about, "input_hex": data.hex(), "events": events,
            "frames_ok": decoder.frames_ok, "crc_errors": decoder.crc_errors,
            "framing_errors": decoder.framing_errors, "pending_bytes": len(decoder.pending)}


def build_vectors() -> dict:
    return {
        "about": "Golden vectors of docs/protocol.md; written by `python -m tests.protocol.make_vectors`, checked "
                 "by tests/protocol/test_codec.py (Python) and tests/protocol/test_protocol_c.py (C).",
        "protocol_version": PROTOCOL_VERSION,
        "constants": {"max_payload": MAX_PAYLOAD, "max_packet": MAX_PACKET, "max_encoded": MAX_ENCODED,
                      "seq_unknown": SEQ_UNKNOWN},
        "result_sizes": {"input_size": INPUT_SIZE, "output_size": OUTPUT_SIZE},
        "messages": [{"name": name, "type": message.TYPE, "seq": seq, "payload_hex": message.payload().hex(),
                      "frame_hex": encode_message(message, seq).hex()} for name, seq, message in messages()],
        "decoder_cases": [decoder_case(*case) for case in decoder_inputs()],
    }


def render() -> str:
    return json.dumps(build_vectors(), indent=1) + "\n"


if __name__ == "__main__":
    VECTORS_PATH.write_text(render())
    print(f"wrote {VECTORS_PATH}")
