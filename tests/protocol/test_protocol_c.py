"""The firmware's C protocol and app, built for the host under ASan + UBSan, against the golden vectors,
the Python codec (differential, random streams) and the model's reference outputs."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest

from hil.protocol import (MAX_ENCODED, MAX_PACKET, MAX_PAYLOAD, SEQ_UNKNOWN, Error, FrameDecoder, Hello,
                          HelloRequest, InferRaw, InferTensor, LayerRequest, Result, Session, SessionStart, Stats,
                          StatsRequest,
                          decode_message,
                          encode_frame, encode_message)
from tests.protocol.make_vectors import VECTORS_PATH, event_of, raw_frame

VECTORS = json.loads(VECTORS_PATH.read_text())


def hex_or_dash(data: bytes) -> str:
    return data.hex() or "-"


def c_events(lines: list[str]) -> tuple[list[dict], tuple[int, ...]]:
    """Parse the driver's answer to one decode command."""
    found = []
    for line in lines[:-1]:
        word, *rest = line.split()
        if word == "packet":
            payload = "" if rest[2] == "-" else rest[2]
            found.append({"packet": {"type": int(rest[0]), "seq": int(rest[1]), "payload_hex": payload}})
        else:
            found.append({"error": rest[0]})
    assert lines[-1].startswith("end "), lines
    return found, tuple(int(v) for v in lines[-1].split()[1:])


def decode_in_c(driver, streams: list[bytes]) -> list[tuple[list[dict], tuple[int, ...]]]:
    lines, answers, current = driver.run([f"decode {hex_or_dash(s)}" for s in streams]), [], []
    for line in lines:
        current.append(line)
        if line.startswith("end "):
            answers.append(c_events(current))
            current = []
    return answers


def test_constants_agree(protocol_driver):
    assert protocol_driver.run(["constants"]) == [f"constants {MAX_PAYLOAD} {MAX_PACKET} {MAX_ENCODED} {SEQ_UNKNOWN}"]


def test_crc32_is_zlibs(protocol_driver):
    import zlib

    rng = random.Random(3)
    blobs = [b"", b"123456789"] + [rng.randbytes(rng.randrange(1, 600)) for _ in range(100)]
    answers = protocol_driver.run([f"crc {hex_or_dash(b)}" for b in blobs])
    assert answers == [f"crc {zlib.crc32(b):08x}" for b in blobs]


@pytest.mark.parametrize("vector", VECTORS["messages"], ids=lambda v: v["name"])
def test_c_encodes_and_decodes_message_vectors(protocol_driver, vector):
    payload = vector["payload_hex"] or "-"
    frame = vector["frame_hex"]
    assert protocol_driver.run([f"encode {vector['type']} {vector['seq']} {payload}"]) == [f"frame {frame}"]
    [(found, counters)] = decode_in_c(protocol_driver, [bytes.fromhex(frame)])
    assert found == [{"packet": {"type": vector["type"], "seq": vector["seq"], "payload_hex": vector["payload_hex"]}}]
    assert counters == (1, 0, 0, 0)


def test_c_decoder_cases_match_the_vectors(protocol_driver):
    cases = VECTORS["decoder_cases"]
    answers = decode_in_c(protocol_driver, [bytes.fromhex(c["input_hex"]) for c in cases])
    for case, (found, counters) in zip(cases, answers):
        expected = (case["frames_ok"], case["crc_errors"], case["framing_errors"], case["pending_bytes"])
        assert (found, counters) == (case["events"], expected), case["name"]


def random_payloads(rng: random.Random, count: int) -> list[bytes]:
    """Sizes around COBS's 254-byte runs and the limit; zero-free runs as well as zero-rich bytes."""
    sizes = [0, 1, 244, 245, 246, 249, 250, 253, 254, 255, 396, 399, 400] + [rng.randrange(0, 401) for _ in range(count)]
    return [bytes(rng.randrange(1, 256) for _ in range(n)) if i % 2 else rng.randbytes(n) for i, n in enumerate(sizes)]


def test_c_encoder_equals_python_on_random_packets(protocol_driver):
    rng = random.Random(11)
    packets = [(rng.randrange(256), rng.randrange(65536), p) for p in random_payloads(rng, 300)]
    answers = protocol_driver.run([f"encode {t} {s} {hex_or_dash(p)}" for t, s, p in packets])
    assert answers == [f"frame {encode_frame(t, s, p).hex()}" for t, s, p in packets]


def test_c_encoder_refuses_small_buffers_and_long_payloads(protocol_driver):
    frame = encode_frame(3, 1, b"\x07" * 20)
    answers = protocol_driver.run([f"encode 3 1 {'07' * 20} {len(frame)}", f"encode 3 1 {'07' * 20} {len(frame) - 1}",
                                   f"encode 3 1 {'07' * 401}", "encode 3 1 - 0"])
    assert answers == [f"frame {frame.hex()}", "frame none", "frame none", "frame none"]


def random_stream(rng: random.Random) -> bytes:
    """Frames, corrupted frames, garbage, truncations and delimiters, glued together."""
    parts = []
    for _ in range(rng.randrange(1, 8)):
        frame = bytearray(encode_frame(rng.randrange(256), rng.randrange(65536), rng.randbytes(rng.randrange(0, 60))))
        kind = rng.randrange(6)
        if kind == 1:
            frame[rng.randrange(len(frame))] ^= 1 << rng.randrange(8)
        elif kind == 2:
            frame = frame[:rng.randrange(len(frame))]
        elif kind == 3:
            frame = bytearray(rng.randbytes(rng.randrange(0, 900)))
        elif kind == 4:
            frame = bytearray(b"\x00" * rng.randrange(1, 3)) + frame
        parts.append(bytes(frame))
    return b"".join(parts)


def test_c_decoder_equals_python_on_random_streams(protocol_driver):
    rng = random.Random(5)
    streams = [random_stream(rng) for _ in range(400)]
    for stream, (found, counters) in zip(streams, decode_in_c(protocol_driver, streams)):
        decoder = FrameDecoder()
        expected = [event_of(r) for r in decoder.feed(stream)]
        python = (decoder.frames_ok, decoder.crc_errors, decoder.framing_errors, len(decoder.pending))
        assert (found, counters) == (expected, python), stream.hex()


# --- the app, on the buffer board, with a generated model ---------------------------------------------------

def app_replies(driver, streams: list[bytes], hello: Hello | None = None, overflows: int = 0,
                isr_ticks: int = 0) -> list[list]:
    """Run each stream through tofhil_app_run; decode every reply frame (no frame error allowed)."""
    answers = driver.run([f"run {hex_or_dash(s)} {overflows} {isr_ticks}" for s in streams])
    replies = []
    for line in answers:
        _, output, dropped = line.split()
        assert dropped == "0"
        decoder = FrameDecoder()
        packets = decoder.feed(b"" if output == "-" else bytes.fromhex(output))
        assert decoder.crc_errors == decoder.framing_errors == 0 and not decoder.pending
        sizes = (hello.input_size, hello.output_size) if hello else (None, None)
        # every start of tofhil_app_run announces itself with an unasked HELLO (seq 0xFFFF): a host that sees
        # it knows the board reset
        boot, *packets = packets
        assert boot.seq == 0xFFFF and isinstance(decode_message(boot), Hello)
        replies.append([(p.seq, decode_message(p, *sizes)) for p in packets])
    return replies


@pytest.fixture(scope="module")
def hello(app_drivers, tiny_model) -> Hello:
    [[(seq, reply)]] = app_replies(app_drivers[True], [encode_message(HelloRequest(), 17)])
    assert seq == 17
    return reply


def test_hello_describes_model_and_board(hello, tiny_model):
    from training.export.reference import ReferenceRunner

    tflite, library, _ = tiny_model
    runner = ReferenceRunner(tflite)
    assert hello.model_sha256 == library.sha256
    assert (hello.input_size, hello.output_size, hello.max_payload) == (128, 8, MAX_PAYLOAD)
    assert hello.input_scale == pytest.approx(runner.input_quantization[0], rel=1e-7)
    assert (hello.input_zero_point, hello.output_zero_point) == (runner.input_quantization[1],
                                                                runner.output_quantization[1])
    assert hello.output_scale == pytest.approx(runner.output_quantization[0], rel=1e-7)
    assert (hello.board, hello.firmware_version, hello.timer_unit, hello.has_preprocessing) == (
        "buffer", "test-1", "ns", True)


def test_infer_tensor_outputs_equal_the_reference(app_drivers, hello, tiny_model):
    from training.export.reference import ReferenceRunner

    inputs = np.random.default_rng(2).integers(-128, 128, (24, 128)).astype(np.int8)
    # all requests in one stream: the app takes the next request while answering the previous one
    stream = b"".join(encode_message(InferTensor(row), 100 + i) for i, row in enumerate(inputs))
    [replies] = app_replies(app_drivers[True], [stream], hello)
    expected = ReferenceRunner(tiny_model[0]).run(inputs.reshape(24, 8, 8, 2)).reshape(24, -1)
    assert [seq for seq, _ in replies] == list(range(100, 124))
    assert all(r.status_name == "OK" and r.infer_ticks > 0 and r.preprocess_ticks == 0 for _, r in replies)
    assert np.array_equal(np.array([r.output for _, r in replies]), expected)


def frames_from(base: InferRaw, count: int, rng) -> list[InferRaw]:
    frames = []
    for _ in range(count):
        distance = np.clip(np.array(base.distance_mm) + rng.integers(-60, 60, 64), -544, 4643)
        signal = np.clip(np.array(base.signal_per_spad) + rng.integers(-30, 30, 64), 1, 6421)
        frames.append(InferRaw(distance, signal, base.target_status, echo=True))
    return frames


def test_infer_raw_echo_and_outputs_equal_host_preprocessing(app_drivers, hello, tiny_model, tmp_path):
    from training.export.c_build import HostLibrary, build_host_library
    from training.export.reference import ReferenceRunner

    frames = frames_from(raw_frame(), 20, np.random.default_rng(4))
    frames.append(InferRaw([3000] * 64, [10] * 64, [5] * 64, echo=True))  # nothing within 400 mm: rejected
    stream = b"".join(encode_message(f, i) for i, f in enumerate(frames))
    [replies] = app_replies(app_drivers[True], [stream], hello)
    library = tiny_model[1]
    host = HostLibrary(build_host_library(library.directory, tmp_path, "gcc"), 128, 8, np.int8, np.int8)
    raw = [np.array([getattr(f, k) for f in frames]) for k in ("distance_mm", "signal_per_spad", "target_status")]
    inputs, kept = host.preprocess(*raw)
    assert kept.tolist() == [True] * 20 + [False]
    results = [r for _, r in replies]
    assert np.array_equal(np.array([r.echoed_input for r in results[:20]]), inputs)
    expected = ReferenceRunner(tiny_model[0]).run(inputs.reshape(20, 8, 8, 2)).reshape(20, -1)
    assert np.array_equal(np.array([r.output for r in results[:20]]), expected)
    assert all(r.preprocess_ticks > 0 for r in results)
    assert results[20] == Result(2, 0, results[20].preprocess_ticks, shown=results[20].shown)
    assert results[20].shown is not None and not results[20].in_session  # no SESSION_START in this stream


def request(type_: int, seq: int, payload: bytes) -> bytes:
    return encode_frame(type_, seq, payload)


BAD_REQUESTS = [
    ("unknown type", request(0x55, 7, b""), 7, "UNKNOWN_MESSAGE"),
    ("a reply type", request(0x81, 8, b""), 8, "UNKNOWN_MESSAGE"),
    ("HELLO_REQ with payload", request(0x01, 9, b"x"), 9, "BAD_PAYLOAD"),
    ("STATS_REQ with payload", request(0x04, 10, b"xy"), 10, "BAD_PAYLOAD"),
    ("INFER_TENSOR short", request(0x03, 11, bytes(127)), 11, "BAD_PAYLOAD"),
    ("INFER_TENSOR long", request(0x03, 12, bytes(129)), 12, "BAD_PAYLOAD"),
    ("INFER_RAW short", request(0x02, 13, bytes(320)), 13, "BAD_PAYLOAD"),
    ("INFER_RAW bad options", request(0x02, 14, b"\x02" + bytes(320)), 14, "BAD_PAYLOAD"),
    ("bad CRC", bytes.fromhex(next(c for c in VECTORS["decoder_cases"] if c["name"] == "bad_crc")["input_hex"])
     .split(b"\x00")[0] + b"\x00", SEQ_UNKNOWN, "BAD_CRC"),
    ("bad COBS", b"\x09\x01\x02\x00", SEQ_UNKNOWN, "BAD_FRAME"),
    ("over-long frame", b"\x7f" * 600 + b"\x00", SEQ_UNKNOWN, "FRAME_TOO_LONG"),
]


@pytest.mark.parametrize("name, stream, seq, status", BAD_REQUESTS, ids=[r[0] for r in BAD_REQUESTS])
def test_bad_requests_get_one_error_reply(app_drivers, name, stream, seq, status):
    [replies] = app_replies(app_drivers[True], [stream])
    assert replies == [(seq, Error.of(status))]


def test_infer_raw_without_preprocessing_is_refused(app_drivers):
    [replies] = app_replies(app_drivers[False], [encode_message(HelloRequest(), 1) + encode_message(raw_frame(), 2)])
    assert replies[0][1].has_preprocessing is False
    assert replies[1] == (2, Error.of("NO_PREPROCESSING"))


def test_stats_count_frames_errors_and_overflows(app_drivers, hello):
    stream = (b"\x00\x00" + encode_message(InferTensor([1] * 128), 1) + b"\x09\x01\x00" + BAD_REQUESTS[8][1]
              + request(0x55, 2, b"") + encode_message(StatsRequest(), 3))
    [replies] = app_replies(app_drivers[True], [stream], hello, overflows=5)
    assert replies[-1] == (3, Stats(0, 0, frames_ok=3, crc_errors=1, framing_errors=1, rx_overflows=5,
                                    requests_rejected=3))


def test_interrupts_inside_a_timed_section_are_taken_out_and_counted(app_drivers, hello):
    """The next request's bytes arrive during an inference when two are in flight: the handler's ticks must not
    be the model's. The buffer board runs a 700-tick handler right after every timed mark."""
    tensor = InferTensor([1] * 128)
    stream = encode_message(tensor, 1) + encode_message(tensor, 2) + encode_message(StatsRequest(), 3)
    [quiet], [busy] = (app_replies(app_drivers[True], [stream], hello, isr_ticks=ticks) for ticks in (0, 700))
    assert [r.infer_ticks for _, r in busy[:2]] == [r.infer_ticks for _, r in quiet[:2]] == [1000, 1000]
    assert (quiet[-1][1].isr_ticks_removed, quiet[-1][1].isr_count_removed) == (0, 0)
    assert (busy[-1][1].isr_ticks_removed, busy[-1][1].isr_count_removed) == (1400, 2)  # one per inference


def test_random_streams_get_one_reply_per_frame(app_drivers, hello):
    rng = random.Random(9)
    streams = [random_stream(rng) for _ in range(150)]
    for stream, replies in zip(streams, app_replies(app_drivers[True], streams, hello)):
        decoder = FrameDecoder()
        completed = decoder.feed(stream)
        assert len(replies) == len(completed), stream.hex()



def test_layer_requests_return_every_builtin_ref_intermediate_tensor(app_drivers, hello, tiny_model, tmp_path):
    from training.hil_inputs.layer_references import compute_layer_references

    path = tmp_path / "model.tflite"
    path.write_bytes(tiny_model[0])
    inputs = np.random.default_rng(5).integers(-128, 128, (3, 128)).astype(np.int8)
    layers = compute_layer_references(path, inputs, np.ones(3, bool))
    count = len(layers["layer_names"])
    requests = [(i, layer) for i in range(3) for layer in range(count)]
    stream = b"".join(encode_message(LayerRequest(layer, 0, inputs[i]), 200 + n)
                      for n, (i, layer) in enumerate(requests))
    [replies] = app_replies(app_drivers[True], [stream], hello)
    assert [seq for seq, _ in replies] == [200 + n for n in range(len(requests))]
    for (i, layer), (_, reply) in zip(requests, replies):
        assert (reply.layer, reply.layer_count, reply.offset, reply.is_int8) == (layer, count, 0, True)
        assert np.array_equal(np.array(reply.values, np.int8), layers[f"layer_{layer}"][i]), (i, layer)
    assert all(reply.ticks > 0 for _, reply in replies if reply.layer == 0)  # the conv takes time


LAYER_INPUT = bytes(128)
BAD_LAYER_REQUESTS = [
    ("LAYER_REQ short", request(0x05, 21, b"\x00\x00\x00" + bytes(127)), 21, "BAD_PAYLOAD"),
    ("LAYER_REQ empty", request(0x05, 22, b""), 22, "BAD_PAYLOAD"),
    ("LAYER_REQ layer past the last", request(0x05, 23, b"\x06\x00\x00" + LAYER_INPUT), 23, "BAD_ARGUMENT"),
    ("LAYER_REQ layer 255", request(0x05, 24, b"\xff\x00\x00" + LAYER_INPUT), 24, "BAD_ARGUMENT"),
    ("LAYER_REQ offset at the end", request(0x05, 25, b"\x05\x08\x00" + LAYER_INPUT), 25, "BAD_ARGUMENT"),
    ("LAYER_REQ offset huge", request(0x05, 26, b"\x00\xff\xff" + LAYER_INPUT), 26, "BAD_ARGUMENT"),
]


@pytest.mark.parametrize("name, stream, seq, status", BAD_LAYER_REQUESTS, ids=[r[0] for r in BAD_LAYER_REQUESTS])
def test_bad_layer_requests_get_one_error_reply(app_drivers, name, stream, seq, status):
    [replies] = app_replies(app_drivers[True], [stream])
    assert replies == [(seq, Error.of(status))]


def test_layer_request_at_an_offset_sends_the_rest(app_drivers, hello, tiny_model, tmp_path):
    stream = encode_message(LayerRequest(0, 0, [3] * 128), 1) + encode_message(LayerRequest(0, 200, [3] * 128), 2)
    [[(_, whole), (_, rest)]] = app_replies(app_drivers[True], [stream], hello)
    assert (whole.size, rest.size, rest.offset) == (288, 288, 200)
    assert rest.data == whole.data[200:]


# --- the label shown: the decision pipeline stepped on the device, session by session ----------------------

@pytest.fixture(scope="module")
def two_postures(tiny_model):
    """Two int8 input tensors the model classifies as two different classes, neither the no-posture class 0."""
    from training.export.reference import ReferenceRunner

    inputs = np.random.default_rng(8).integers(-128, 128, (64, 128)).astype(np.int8)
    top = ReferenceRunner(tiny_model[0]).run(inputs.reshape(64, 8, 8, 2)).reshape(64, -1).argmax(axis=1)
    first = next(i for i in range(64) if top[i] != 0)
    second = next(i for i in range(64) if top[i] not in (0, top[first]))
    return (inputs[first], int(top[first])), (inputs[second], int(top[second]))


def host_replay(results: list[Result], starts: list[int], hello: Hello) -> list[int]:
    """tofhil.postprocessing over the device's outputs, the filter reset at the given result positions."""
    from tests.protocol.model_library import CLASS_NAMES
    from tofhil.postprocessing import LabelFilter, Postprocessing, decide, int8_threshold

    spec = Postprocessing(threshold=0.0)
    fallback = spec.fallback_index(CLASS_NAMES)
    threshold = int8_threshold(spec.threshold, hello.output_scale, hello.output_zero_point)
    decisions = decide(np.array([r.output for r in results]), np.ones(len(results), bool), threshold, fallback)
    label_filter, shown = LabelFilter(spec.filter_length, spec.keep_last_valid, fallback), []
    for i, decision in enumerate(decisions.tolist()):
        if i in starts:
            label_filter.reset()
        shown.append(label_filter.step(decision))
    return shown


def tensor_stream(items: list[tuple[int, object]]) -> bytes:
    return b"".join(encode_message(message, seq) for seq, message in items)


def test_hello_announces_the_decision_pipeline(app_drivers):
    [[(_, with_pipeline)]] = app_replies(app_drivers[True], [encode_message(HelloRequest(), 1)])
    [[(_, without)]] = app_replies(app_drivers[False], [encode_message(HelloRequest(), 1)])
    assert (with_pipeline.protocol_version, with_pipeline.has_postprocessing, without.has_postprocessing) == (
        2, True, False)


def test_session_start_answers_the_pipelines_constants(app_drivers, hello, tiny_model):
    from training.export.postprocess_context import postprocess_facts  # noqa: F401 - the facts' source

    [[(seq, session)]] = app_replies(app_drivers[True], [encode_message(SessionStart(), 40)])
    header = (tiny_model[1].directory / "tofhil_postprocess.h").read_text()
    threshold_q = int(header.split("#define TOFHIL_POSTPROCESS_THRESHOLD_Q ")[1].split()[0])
    assert (seq, session) == (40, Session(True, threshold_q, 3, True, 0, 8))
    [[(_, none)]] = app_replies(app_drivers[False], [encode_message(SessionStart(), 41)])
    assert none == Session(False, 0, 0, False, 0, 0)


def test_shown_labels_equal_the_host_replay_and_a_session_start_resets_them(app_drivers, hello, two_postures):
    (a, label_a), (b, label_b) = two_postures
    frames = [a] * 6 + [b] * 7 + [a] * 2
    items = [(1, SessionStart())] + [(2 + i, InferTensor(f)) for i, f in enumerate(frames)]
    items += [(20, SessionStart())] + [(21 + i, InferTensor(f)) for i, f in enumerate([b] * 6)]
    [replies] = app_replies(app_drivers[True], [tensor_stream(items)], hello)
    results = [r for _, r in replies if isinstance(r, Result)]
    assert [type(r).__name__ for _, r in replies].count("Session") == 2 and len(results) == 21
    shown = [r.shown for r in results]
    assert shown == host_replay(results, [0, 15], hello)
    assert all(r.in_session for r in results)
    # ST's filter (LABEL_FILTER_N 3) shows a label on the 5th identical decision; the reset before the last six
    # frames shows the no-posture class again until its 5th frame (without it, label b would stay shown)
    assert shown[:6] == [0, 0, 0, 0, label_a, label_a]
    assert shown[12] == label_b and shown[13:15] == [label_b, label_b]
    assert shown[15:] == [0, 0, 0, 0, label_b, label_b]


def test_a_resent_request_does_not_step_the_filter_twice(app_drivers, hello, two_postures):
    (a, label_a), _ = two_postures
    # frame seq 3 sent three times (its reply lost twice): still the 2nd frame of the session
    items = [(1, SessionStart()), (2, InferTensor(a)), (3, InferTensor(a)), (3, InferTensor(a)),
             (3, InferTensor(a)), (4, InferTensor(a)), (5, InferTensor(a)), (6, InferTensor(a))]
    [replies] = app_replies(app_drivers[True], [tensor_stream(items)], hello)
    results = [(seq, r) for seq, r in replies if isinstance(r, Result)]
    assert [seq for seq, _ in results] == [2, 3, 3, 3, 4, 5, 6]
    # shown on the 5th frame (seq 6); stepping each resend would show it at seq 4 already
    assert [r.shown for _, r in results] == [0, 0, 0, 0, 0, 0, label_a]


def test_a_resent_session_start_does_not_reset(app_drivers, hello, two_postures):
    (a, label_a), _ = two_postures
    items = [(1, SessionStart())] + [(2 + i, InferTensor(a)) for i in range(5)] + [(1, SessionStart()),
                                                                                 (7, InferTensor(a))]
    [replies] = app_replies(app_drivers[True], [tensor_stream(items)], hello)
    assert [r.shown for _, r in replies if isinstance(r, Result)] == [0, 0, 0, 0, label_a, label_a]


def test_a_skipped_seq_in_a_session_is_refused_until_the_missing_one_comes(app_drivers, hello, two_postures):
    (a, _), _ = two_postures
    items = [(10, SessionStart()), (12, InferTensor(a)), (11, InferTensor(a)), (12, InferTensor(a))]
    [replies] = app_replies(app_drivers[True], [tensor_stream(items)], hello)
    assert [(seq, type(r).__name__) for seq, r in replies] == [(10, "Session"), (12, "Error"), (11, "Result"),
                                                              (12, "Result")]
    assert replies[1][1] == Error.of("OUT_OF_ORDER")


def test_a_hello_ends_the_session(app_drivers, hello, two_postures):
    (a, _), _ = two_postures
    items = [(1, SessionStart()), (2, InferTensor(a)), (3, HelloRequest()), (9, InferTensor(a))]
    [replies] = app_replies(app_drivers[True], [tensor_stream(items)], hello)
    results = [r for _, r in replies if isinstance(r, Result)]
    assert [r.in_session for r in results] == [True, False]  # seq 9 is no gap: there is no session any more
