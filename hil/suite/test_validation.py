"""The test set through the board, in each mode: complete, identical to the host, and judged by the gates."""
from __future__ import annotations

import dataclasses
import json

REPORT_FILES = ("results.jsonl", "references.npz", "run_meta.json", "hil_report.json", "summary.txt",
                "serial.log")


def test_every_frame_has_exactly_one_result(hil_outcome):
    indices = [json.loads(line)["index"] for line in (hil_outcome.output_dir / "results.jsonl").open()]
    frames = hil_outcome.report.frames
    assert len(indices) == len(set(indices)) == frames.received == frames.expected, frames


def test_device_outputs_identical_to_host_int8(hil_outcome, record_property):
    agreement = hil_outcome.report.agreement
    record_property("exact_match_rate", agreement.exact_match.rate)
    assert agreement.frames > 0
    assert agreement.output_mismatches.count == 0, agreement.output_mismatches.frames[:5]


def test_on_device_accuracy_equals_host_int8(hil_outcome, record_property):
    accuracy = hil_outcome.report.accuracy
    record_property("device_accuracy", accuracy.device.accuracy)
    record_property("device_accuracy_ci95", accuracy.device.ci95)
    assert accuracy.device.correct == accuracy.host_int8.correct
    assert accuracy.device.total == accuracy.host_int8.total


def test_raw_frames_preprocessed_as_on_the_host(hil_outcome):
    raw = hil_outcome.report.raw_mode
    if hil_outcome.report.mode == "tensor":
        assert raw is None  # tensor mode sends the host's own tensors: nothing to compare
        return
    assert raw.preprocessing_mismatches.compared > 0
    assert raw.preprocessing_mismatches.count == 0, raw.preprocessing_mismatches.frames[:5]
    assert raw.filter.device_rejected_host_kept.count == 0
    assert raw.filter.device_kept_host_rejected.count == 0


def test_latency_measured_in_the_boards_unit(hil_outcome, record_property):
    latency = hil_outcome.report.latency.inference
    assert latency is not None, "no frame reported an inference time"
    record_property("latency", json.dumps({"unit": latency.unit, **dataclasses.asdict(latency.stats)}))
    stats = latency.stats
    assert stats.count > 0
    assert 0 < stats.min <= stats.p50 <= stats.max
    assert latency.unit == {"host": "us", "qemu": "instructions", "physical": "cycles"}[
        hil_outcome.report.board_kind]


def test_every_report_file_written(hil_outcome):
    missing = [name for name in REPORT_FILES if not (hil_outcome.output_dir / name).is_file()
               and not (hil_outcome.output_dir.parent / "board" / name).is_file()]
    assert not missing, f"missing in {hil_outcome.output_dir}: {missing}"
    assert list(hil_outcome.output_dir.glob("*.png")), "no figure written"


def test_gate(hil_gate, hil_outcome, record_property):
    """One test per gate of hil.gates: fails with the measured value, the threshold and the evidence path."""
    result = next(g for g in hil_outcome.gates if g.name == hil_gate)
    record_property(f"gate_{hil_gate}", f"{result.status}: {result.measured} vs {result.threshold} {result.unit}")
    assert result.passed is not False, result.message
