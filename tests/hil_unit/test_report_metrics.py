"""Every figure of the report on the hand-made case of report_fixtures.py, checked against hand computation."""
import json
import subprocess
import sys

import numpy as np
import pytest

from hil.report.metrics import build_report
from hil.report.records import load_validation
from hil.report.report_file import report_json
from hil.report.stedgeai import dequantize, st_metrics
from hil.report.timing import summary_stats
from tests.hil_unit.report_fixtures import hand_case, perfect_case, write_folder
from tofhil.metrics import wilson_interval


@pytest.fixture()
def report(tmp_path):
    return build_report(load_validation(write_folder(tmp_path, hand_case())))


def build(tmp_path, case):
    return build_report(load_validation(write_folder(tmp_path, case)))


@pytest.mark.parametrize("k, n, low, high", [
    (8, 10, 0.4901625, 0.9433178),  # statsmodels proportion_confint(8, 10, method="wilson")
    (0, 10, 0.0, 0.2775328),
    (10, 10, 0.7224672, 1.0),
    (50, 100, 0.4038315, 0.5961685),
    (4, 7, 0.2504584, 0.8417801),
])
def test_wilson_interval_known_values(k, n, low, high):
    assert wilson_interval(k, n) == pytest.approx((low, high), abs=1e-7)


def test_wilson_interval_of_nothing_is_none():
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


def test_accuracies_name_their_split_and_carry_a_ci(report):
    device, host, host_float = report.accuracy.device, report.accuracy.host_int8, report.accuracy.host_float
    assert (device.correct, device.total) == (4, 7)  # frames 0, 2, 3, 7 right; 1, 4, 6 wrong
    assert (host.correct, host.total) == (5, 7)  # frames 0..6 kept; 1 and 6 wrong
    assert (host_float.correct, host_float.total) == (6, 7)
    assert device.split == "test" and device.ci_method == "wilson"
    assert device.ci95 == pytest.approx(list(wilson_interval(4, 7)))


def test_agreement_exact_match_top1_and_the_mismatch_list(report):
    agreement = report.agreement
    assert agreement.frames == 6  # frames 5 (device rejected) and 7 (host rejected) are not compared
    assert (agreement.exact_match.count, agreement.exact_match.total) == (4, 6)
    assert (agreement.top1.count, agreement.top1.total) == (5, 6)
    [mismatch] = agreement.class_mismatches.frames
    assert (mismatch.index, mismatch.file, mismatch.frame) == (4, "s3/data_1.npz", 0)
    assert (mismatch.device_class, mismatch.host_class, mismatch.label) == ("None", "Like", "Like")
    assert mismatch.device_output == [127, -128, -128] and mismatch.host_output == [-128, 127, -128]
    assert [m.index for m in agreement.output_mismatches.frames] == [3, 4]
    assert agreement.output_mismatches.frames[0].max_abs_diff == 1  # 127 vs 126, -128 vs -127


def test_confusion_matrices_and_per_class_with_a_class_without_samples(report):
    device = report.classification.device
    assert device.confusion_matrix == [[1, 1, 1], [1, 3, 0], [0, 0, 0]]
    assert device.per_class["None"].precision == pytest.approx(1 / 2)
    assert device.per_class["None"].recall == pytest.approx(1 / 3)
    assert device.per_class["Like"].recall == pytest.approx(3 / 4)
    fist = device.per_class["Fist"]
    assert fist.support == 0 and fist.recall is None and fist.note == "no samples"
    assert fist.precision == 0.0  # predicted once (frame 6), never right
    assert device.no_samples == ["Fist"]
    assert report.classification.host_int8.confusion_matrix == [[1, 1, 1], [0, 4, 0], [0, 0, 0]]


def test_breakdowns_per_user_and_session(report):
    users = {row.user: row for row in report.breakdowns.user}
    assert (users["User1"].device.correct, users["User1"].device.total) == (3, 4)
    assert (users["User2"].device.correct, users["User2"].device.total) == (1, 3)
    assert users["User2"].host_int8.correct == 2 and users["User2"].frames == 4
    assert [row.session for row in report.breakdowns.session] == ["s1", "s2", "s3"]


def test_no_breakdown_for_a_single_user_or_session(tmp_path):
    case = hand_case()
    for record in case["records"]:
        record["user"], record["session"] = "User9", "only"
    assert build(tmp_path, case).breakdowns.tables() == []


def test_st_metrics_by_hand():
    predicted, reference = [[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [1.0, 0.0]]
    metrics = st_metrics(predicted, reference)
    assert metrics["acc"] == 0.5 and metrics["mae"] == 0.5
    assert metrics["rmse"] == pytest.approx(np.sqrt(0.5))
    assert metrics["l2r"] == pytest.approx(1.0) and metrics["cos"] == pytest.approx(0.5)
    assert st_metrics(np.zeros((0, 2)), np.zeros((0, 2)))["rmse"] is None
    assert dequantize([127, -128], 1 / 256, -128).tolist() == [255 / 256, 0.0]


def test_stedgeai_rows_on_the_hand_case(report):
    rows = {row.row: row for row in report.stedgeai}
    assert list(rows) == ["device vs labels", "host int8 vs labels", "host float vs labels", "device vs host int8"]
    assert rows["device vs labels"].frames == 6 and rows["device vs labels"].acc == pytest.approx(3 / 6)
    assert rows["device vs host int8"].acc == pytest.approx(5 / 6)
    # device vs host: frames 3 and 4 differ. Frame 3: 1 LSB (1/256) on two outputs;
    # frame 4: two outputs 255/256 apart. Mean over 18 outputs:
    assert rows["device vs host int8"].mae == pytest.approx((1 / 256 + 1 / 256 + 2 * 255 / 256) / 18)


def test_identical_outputs_give_ideal_stedgeai_cross_row(tmp_path):
    cross = build(tmp_path, perfect_case()).stedgeai[3]
    assert (cross.acc, cross.rmse, cross.mae, cross.l2r) == (1.0, 0.0, 0.0, 0.0)
    assert cross.cos == pytest.approx(1.0)


def test_raw_mode_preprocessing_and_filter_disagreements(report):
    raw = report.raw_mode
    assert raw.preprocessing_mismatches.compared == 6 and raw.preprocessing_mismatches.count == 1
    [mismatch] = raw.preprocessing_mismatches.frames
    assert (mismatch.index, mismatch.differing_elements, mismatch.max_abs_diff) == (2, 2, 3)
    assert [f.index for f in raw.filter.device_rejected_host_kept.frames] == [5]
    assert [f.index for f in raw.filter.device_kept_host_rejected.frames] == [7]


def test_tensor_mode_has_no_raw_section_and_expects_only_host_kept_frames(tmp_path):
    case = hand_case()
    case["meta"]["mode"] = "tensor"
    del case["records"][7]  # the host's filter rejected frame 7: the runner never sends it in tensor mode
    report = build(tmp_path, case)
    assert report.raw_mode is None
    assert (report.frames.expected, report.frames.complete) == (7, True)


def test_percentiles_and_moments_by_hand():
    stats = summary_stats([84000] * 6 + [168000])
    assert (stats["mean"], stats["min"], stats["max"], stats["p50"]) == (96000, 84000, 168000, 84000)
    assert stats["std"] == pytest.approx(np.sqrt(864e6))  # population std: (6 * 12000^2 + 72000^2) / 7
    assert stats["p95"] == pytest.approx(84000 + 0.7 * 84000)  # rank 0.95 * 6 = 5.7, linear
    assert stats["p99"] == pytest.approx(84000 + 0.94 * 84000)
    assert summary_stats([]) is None


def test_latency_on_a_real_board_in_cycles_and_microseconds(report):
    inference = report.latency.inference
    assert inference.unit == "cycles" and inference.stats.count == 7  # the rejected frame is not timed
    assert inference.us.max == pytest.approx(2000.0)  # 168,000 cycles at 84 MHz
    assert report.latency.preprocessing.us.mean == pytest.approx(100.0)


def test_latency_on_the_emulator_is_instructions_not_time(tmp_path):
    case = hand_case()
    case["meta"].update(timer_kind=1, board="qemu-stm32f405")
    case["meta"]["hello"].update(timer_kind=1, timer_hz=168_000_000, core_clock_hz=168_000_000)
    for record in case["records"]:
        record["infer_ticks"] = 168 if record["status"] == "ok" else 0
    report = build(tmp_path, case)
    inference = report.latency.inference
    assert report.board_kind == "qemu" and inference.unit == "instructions"
    assert inference.label == "instructions (QEMU -icount, not cycles)"
    assert inference.stats.mean == pytest.approx(1000.0) and inference.us is None


def test_latency_on_the_host_is_wall_time_in_microseconds(tmp_path):
    case = hand_case()
    case["meta"].update(timer_kind=2, board="host")
    case["meta"]["hello"].update(timer_kind=2, timer_hz=1_000_000_000)
    for record in case["records"]:
        record["infer_ticks"] = 2500
    inference = build(tmp_path, case).latency.inference
    assert inference.unit == "us" and inference.stats.p50 == pytest.approx(2.5)


def test_link_footprint_and_stack(report):
    assert report.link.frames_per_s == 4.0 and report.link.bytes_per_s == 2000.0
    firmware = report.firmware
    assert (firmware.flash_kib, firmware.ram_kib, firmware.stack_used_bytes) == (20.0, 3.0, 812)


def test_incomplete_run_is_reported_as_such(tmp_path):
    case = hand_case()
    del case["records"][6:]
    case["meta"].pop("wall_seconds")
    report = build(tmp_path, case)
    assert report.frames.complete is False and report.frames.received == 6
    assert report.link.frames_per_s is None
    json.loads(report_json(report))  # strict JSON


def test_report_package_imports_no_tensorflow():
    code = ("import sys, hil.report, hil.report.mlflow_log, hil.report.gates; "
            "sys.exit(1 if {'tensorflow', 'keras'} & set(sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
