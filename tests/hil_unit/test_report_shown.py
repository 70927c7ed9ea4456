"""The report's "what the user sees" section on a sequence small enough to check by hand."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from hil.report.gates import FAIL, PASS, GateThresholds, evaluate_gates
from hil.report.metrics import build_report
from hil.report.records import load_validation
from hil.report.summary import summary_text
from tests.hil_unit.report_fixtures import CLASSES, vec, write_folder
from tests.hil_unit.report_fixtures import hand_case
from tofhil.sequence_arrays import sequence_arrays

def report_of(folder) -> dict:
    """The report's figures (no PNGs: the figures are the render tests' business)."""
    return build_report(load_validation(folder))


UNSURE_FIST = [-60, -128, 100]  # Fist at (100 + 128) / 256 = 0.89: below 0.9 (int8 102)


def sequence_case(mode: str = "raw") -> dict:
    """Session a: 8 frames of Like, all confident (shown from the 5th, 400 ms at 10 frames/s); frame 2 rejected
    by the device's filter, which restarts the count. Session b: 6 frames of Fist, never confident enough."""
    case = copy.deepcopy(hand_case())
    labels = [1] * 8 + [2] * 6
    sessions = ["a"] * 8 + ["b"] * 6
    outputs = [vec(1)] * 8 + [UNSURE_FIST] * 6
    status = ["ok"] * 14
    status[2] = "rejected"
    times = np.concatenate([100 + 0.1 * np.arange(8), 200 + 0.1 * np.arange(6)])
    case["records"] = [{"index": i, "file": f"{sessions[i]}/data.npz", "frame": i, "user": "User1",
                        "session": sessions[i], "label": labels[i], "status": status[i],
                        "output": outputs[i] if status[i] == "ok" else None, "input": None, "infer_ticks": 84000,
                        "preprocess_ticks": 8400, "attempts": 1} for i in range(14)]
    kept = np.array([s == "ok" for s in status])
    case["references"] = {"host_int8": np.array(outputs, np.int8), "host_float": np.zeros((14, 3), np.float32),
                          "host_input": np.zeros((14, 4), np.int8), "host_kept": kept,
                          "labels": np.array(labels, np.int64)}
    frames = type("F", (), {"times_s": times, "sessions": np.array(sessions)})
    case["references"].update(sequence_arrays(frames, {"threshold": 0.9, "filter_length": 3,
                                                       "keep_last_valid": True, "no_posture_class": "None"}))
    case["meta"]["mode"] = mode
    if mode == "tensor":  # the rejected frame is never streamed
        case["records"] = [r for r in case["records"] if r["status"] == "ok"]
    return case


@pytest.mark.parametrize("mode", ["raw", "tensor"])
def test_shown_figures_by_hand(tmp_path, mode):
    report = report_of(write_folder(tmp_path, sequence_case(mode)))
    shown = report.shown
    # session a: decisions 1,1,0(rejected),1,1,1,1,1 -> the count restarts at frame 3: shown 1 at frame 7 only
    # session b: every decision 0 -> None shown throughout; 13 scored frames hold a posture, 12 show None
    assert shown.scored == 13 and shown.frames == 14
    assert shown.shown_accuracy.count == 1 and shown.shown_accuracy.total == 13
    assert shown.per_frame_accuracy.count == 13  # every argmax is right; Fist is just unsure
    assert (shown.no_posture.count, shown.no_posture.total) == (12, 13)
    assert shown.above_threshold.count == 7
    like = next(row for row in shown.per_class if row.class_name == "Like")
    assert like.time_to_label.frames.median == 7
    assert like.time_to_label.ms.median == pytest.approx(700.0)
    fist = next(row for row in shown.per_class if row.class_name == "Fist")
    assert fist.time_to_label.never == 1 and fist.time_to_label.frames is None
    a, b = shown.per_session
    assert (a.session, a.label_changes.changes) == ("a", 1)
    assert a.label_changes.per_minute == pytest.approx(60 / 0.7)
    assert b.label_changes.changes == 0 and b.class_name == "Fist"
    assert shown.threshold_int8 == 102
    text = summary_text(report)
    assert "what the user sees" in text and "frames above the threshold 0.9: 53.85 % (7/13)" in text


def test_recording_order_not_file_order(tmp_path):
    case = sequence_case()
    times = case["references"]["times_s"]
    times[:8] = times[:8][::-1]  # session a recorded backwards: frame 7 first
    report = report_of(write_folder(tmp_path, case))
    # backwards: 1,1,1,1,1,0(rejected),1,1 -> Like shown on the 5th frame of the recording (index 3 in the file)
    like = next(row for row in report.shown.per_class if row.class_name == "Like")
    assert like.time_to_label.frames.median == 4


def test_shown_gates(tmp_path):
    report = report_of(write_folder(tmp_path, sequence_case()))
    gates = GateThresholds(min_accuracy=None, min_exact_agreement=None, min_shown_accuracy=0.5,
                           max_no_posture_rate=0.05)
    results = {r.name: r for r in evaluate_gates(report, gates)}
    assert results["min_shown_accuracy"].status == FAIL
    assert results["min_shown_accuracy"].measured == pytest.approx(report.shown.shown_accuracy.ci95[0])
    assert results["max_no_posture_rate"].status == FAIL
    assert results["max_no_posture_rate"].measured == pytest.approx(report.shown.no_posture.ci95[1])
    assert "'no posture' rate" in results["max_no_posture_rate"].message
    loose = GateThresholds(min_accuracy=None, min_exact_agreement=None, min_shown_accuracy=0.0,
                           max_no_posture_rate=1.0)
    assert {r.name: r.status for r in evaluate_gates(report, loose)}["max_no_posture_rate"] == PASS


def test_older_references_replay_with_st_defaults(tmp_path):
    """references.npz without times, sessions or the section: sessions from the results, no milliseconds."""
    case = sequence_case()
    for key in ("times_s", "sessions", "postprocessing_json"):
        del case["references"][key]
    shown = report_of(write_folder(tmp_path, case)).shown
    assert shown.shown_accuracy.count == 1 and shown.postprocessing.threshold == 0.9
    assert shown.per_class[0].time_to_label.ms is None
    assert [row.session for row in shown.per_session] == ["a", "b"]
    assert CLASSES[0] == shown.postprocessing.shown_when_nothing_passes


def test_calibration_of_the_device_outputs(tmp_path):
    calibration = report_of(write_folder(tmp_path, sequence_case())).calibration
    # 7 Like frames at 255/256 and 6 Fist frames at 228/256, all right
    assert calibration.ece == pytest.approx(7 / 13 * (1 / 256) + 6 / 13 * (28 / 256))
    assert [b.frames for b in calibration.bins] == [6, 7]


def test_threshold_sweep_from_one_stream(tmp_path):
    from hil.report.sweep import sweep_text

    report = report_of(write_folder(tmp_path, sequence_case()))
    points = {(p.threshold, p.filter_length): p for p in report.sweep.points}
    # the shipped point equals the shown section
    assert points[(0.9, 3)].shown_accuracy == pytest.approx(report.shown.shown_accuracy.rate)
    # at 0.85 the unsure Fist (0.89) passes: with no filter every scored frame shows its argmax
    assert points[(0.85, 0)].shown_accuracy == pytest.approx(11 / 13)
    assert points[(0.85, 0)].no_posture == pytest.approx(2 / 13)  # the first frame of each session
    assert "filter 3" in sweep_text(report.sweep)
