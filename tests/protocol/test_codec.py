"""The Python codec: golden vectors, round trips (hypothesis), garbage, truncated, CRC and over-long frames,
and the message checks."""
from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hil.errors import ProtocolError
from hil.protocol import (MAX_ENCODED, MAX_PAYLOAD, STATUS_NAMES, Error, FrameDecoder, FrameError, Hello,
                          HelloRequest, InferRaw, InferTensor, Packet, Result, Stats, decode_message, encode_frame,
                          encode_message, status_text)
from hil.protocol.status import STATUS_HEADER, parse_status_list
from tests.protocol.make_vectors import VECTORS_PATH, event_of, render

VECTORS = json.loads(VECTORS_PATH.read_text())
SIZES = VECTORS["result_sizes"]


def events(results) -> list[dict]:
    return [event_of(r) for r in results]


def test_vectors_file_is_what_the_codec_writes():
    assert VECTORS_PATH.read_text() == render(), "run `python -m tests.protocol.make_vectors` and review the diff"


@pytest.mark.parametrize("vector", VECTORS["messages"], ids=lambda v: v["name"])
def test_message_vector_round_trips(vector):
    frame = bytes.fromhex(vector["frame_hex"])
    assert encode_frame(vector["type"], vector["seq"], bytes.fromhex(vector["payload_hex"])) == frame
    [packet] = FrameDecoder().feed(frame)
    assert (packet.type, packet.seq, packet.payload.hex()) == (vector["type"], vector["seq"], vector["payload_hex"])
    message = decode_message(packet, **SIZES)
    assert encode_message(message, packet.seq) == frame


@pytest.mark.parametrize("case", VECTORS["decoder_cases"], ids=lambda c: c["name"])
@pytest.mark.parametrize("chunk", [None, 1, 7])
def test_decoder_case(case, chunk):
    data, decoder = bytes.fromhex(case["input_hex"]), FrameDecoder()
    step = chunk or max(len(data), 1)
    results = [r for i in range(0, len(data), step) for r in decoder.feed(data[i:i + step])]
    assert events(results) == case["events"]
    counters = (decoder.frames_ok, decoder.crc_errors, decoder.framing_errors, len(decoder.pending))
    assert counters == (case["frames_ok"], case["crc_errors"], case["framing_errors"], case["pending_bytes"])


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 255), st.integers(0, 0xFFFF), st.binary(max_size=MAX_PAYLOAD),
       st.lists(st.integers(1, 40), min_size=1, max_size=8))
def test_any_packet_round_trips_in_any_chunking(type_, seq, payload, cuts):
    frame = encode_frame(type_, seq, payload)
    assert b"\x00" not in frame[:-1] and len(frame) - 1 <= MAX_ENCODED
    decoder, results, start = FrameDecoder(), [], 0
    for cut in cuts * (len(frame) // sum(cuts) + 1):
        results += decoder.feed(frame[start:start + cut])
        start += cut
    assert results == [Packet(type_, seq, payload)]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.integers(0, 0xFFFF))
def test_garbage_never_hides_the_next_flushed_frame(garbage, seq):
    decoder = FrameDecoder()
    results = decoder.feed(garbage + b"\x00" + encode_frame(4, seq, b""))
    assert results[-1] == Packet(4, seq, b"")
    errors = [r for r in results[:-1] if isinstance(r, FrameError)]
    assert len(errors) == decoder.crc_errors + decoder.framing_errors
    assert len(decoder.pending) == 0


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=MAX_PAYLOAD), st.integers(0, 1000), st.integers(0, 7))
def test_a_flipped_bit_is_never_a_valid_packet(payload, position, bit):
    frame = bytearray(encode_frame(3, 5, payload))
    position %= len(frame) - 1
    frame[position] ^= 1 << bit
    results = FrameDecoder().feed(bytes(frame) + b"\x00")
    assert Packet(3, 5, payload) not in results
    assert all(isinstance(r, FrameError) or r.payload != payload for r in results)


def test_decoder_memory_stays_bounded_without_delimiters():
    decoder = FrameDecoder()
    for _ in range(100):
        assert decoder.feed(b"\x55" * 1000) == []
        assert len(decoder.pending) <= MAX_ENCODED
    [error] = decoder.feed(b"\x00")
    assert error.status == "FRAME_TOO_LONG" and decoder.framing_errors == 1


@pytest.mark.parametrize("call, field", [
    (lambda: encode_frame(256, 0, b""), "type"),
    (lambda: encode_frame(1, -1, b""), "seq"),
    (lambda: encode_frame(1, 0, bytes(MAX_PAYLOAD + 1)), "payload"),
    (lambda: InferRaw([0] * 63, [0] * 64, [0] * 64), "distance_mm"),
    (lambda: InferRaw([0] * 64, [70000] * 64, [0] * 64), "signal_per_spad"),
    (lambda: InferTensor([128]), "input"),
    (lambda: Stats(-1, 0, 0, 0, 0, 0, 0), "stack_used_bytes"),
    (lambda: Result(2, 0, 0, [1, 2]), "output"),
    (lambda: Hello(1, 9, 0, 0, "00" * 32, 1.0, 0, 1.0, 0, 1, 1, 400, False, "v", "b"), "timer_kind"),
    (lambda: Hello(1, 0, 0, 0, "xyz", 1.0, 0, 1.0, 0, 1, 1, 400, False, "v", "b"), "model_sha256"),
    (lambda: Hello(1, 0, 0, 0, "00" * 32, math.inf, 0, 1.0, 0, 1, 1, 400, False, "v", "b"), "input_scale"),
    (lambda: Hello(1, 0, 0, 0, "00" * 32, 1.0, 0, 1.0, 0, 1, 1, 400, False, "é", "b"), "firmware_version"),
])
def test_bad_field_names_the_field(call, field):
    with pytest.raises(ProtocolError, match=rf"\b{field}\b"):
        call()


@pytest.mark.parametrize("packet, sizes, words", [
    (Packet(0x81, 1, bytes(65) + b"\x00\x05"), {}, "HELLO field board runs past"),
    (Packet(0x81, 1, bytes(70)), {}, "HELLO payload is 70 bytes; expected 67"),
    (Packet(0x82, 1, bytes(12)), {"input_size": 128, "output_size": 8}, "RESULT payload is 12 bytes; expected 20"),
    (Packet(0x82, 1, bytes(20)), {}, "output_size"),
    (Packet(0x82, 1, bytes([0, 1]) + bytes(18)), {"output_size": 8}, "input_size"),
    (Packet(0x82, 1, bytes([0, 8]) + bytes(18)), {"output_size": 8}, "RESULT field flags"),
    (Packet(0x86, 1, bytes(8)), {}, "SESSION payload is 8 bytes; expected 9"),
    (Packet(0x06, 1, b"x"), {}, "SESSION_START payload is 1 bytes"),
    (Packet(0x84, 1, bytes(27)), {}, "STATS payload is 27 bytes"),
    (Packet(0x8F, 1, bytes([4, 9]) + b"short"), {}, "ERROR field text"),
    (Packet(0x02, 1, bytes(320)), {}, "INFER_RAW payload is 320 bytes; expected 321"),
    (Packet(0x01, 1, b"x"), {}, "HELLO_REQ payload is 1 bytes"),
    (Packet(0x55, 7, b""), {}, "unknown message type 0x55"),
])
def test_malformed_payload_is_a_protocol_error(packet, sizes, words):
    with pytest.raises(ProtocolError, match=words):
        decode_message(packet, **sizes)


def test_result_vector_decodes_to_outputs_and_echo():
    vector = next(v for v in VECTORS["messages"] if v["name"] == "RESULT")
    result = decode_message(Packet(vector["type"], vector["seq"], bytes.fromhex(vector["payload_hex"])), **SIZES)
    assert result.status_name == "OK" and len(result.output) == 8 and len(result.echoed_input) == 128
    rejected = next(v for v in VECTORS["messages"] if v["name"] == "RESULT_FRAME_REJECTED")
    result = Result.from_payload(bytes.fromhex(rejected["payload_hex"]), None, None)
    assert result.status_name == "FRAME_REJECTED" and result.output == () and result.echoed_input is None


def test_hello_converts_ticks_in_its_unit():
    hello = decode_message(Packet(0x81, 1, bytes.fromhex(VECTORS["messages"][4]["payload_hex"])))
    assert hello.board == "qemu-stm32f405" and hello.timer_unit == "instructions"
    assert hello.ticks_to_unit(168) == pytest.approx(1000.0)
    assert isinstance(HelloRequest().payload(), bytes)


def test_status_list_is_the_c_header():
    text = STATUS_HEADER.read_text()
    assert STATUS_NAMES[:5] == ("OK", "NULL_ARGUMENT", "FRAME_REJECTED", "BAD_ARGUMENT", "BAD_CRC")
    assert all(f"X({name}," in text for name in STATUS_NAMES)
    assert status_text(4) == "frame CRC mismatch" and Error.of("BAD_CRC").code == 4
    with pytest.raises(ValueError, match="TOFHIL_STATUS_LIST"):
        parse_status_list("#define OTHER(X) X(OK, \"ok\")")


def test_protocol_imports_no_tensorflow():
    import subprocess
    import sys

    code = "import sys, hil.protocol; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["False", "False"], result.stderr
