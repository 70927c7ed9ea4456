"""Report files: strict JSON, a summary whose last line names the folder, PNGs that open, MLflow linked."""
import json
import os
import warnings

import pytest

from hil.report.gates import GateThresholds, evaluate_gates
from hil.report import build_report, load_validation, summary_text, write_report_files
from hil.report.mlflow_log import log_report, log_report_to_mlflow, report_metrics, tracking_target
from hil.report.report_type import InterruptsRemoved
from tests.hil_unit.report_fixtures import hand_case, write_folder


@pytest.fixture()
def loaded(tmp_path):
    data = load_validation(write_folder(tmp_path / "out", hand_case()))
    return data, build_report(data)


def _assert_png(path):
    import matplotlib.image as image
    pixels = image.imread(path)
    assert pixels.shape[0] >= 200 and pixels.shape[1] >= 200 and pixels.std() > 0.01


def test_every_file_is_written_whole(loaded):
    data, report = loaded
    gates = evaluate_gates(report, GateThresholds(min_accuracy=0.2))
    files = write_report_files(data, report, gates)
    names = sorted(path.name for path in files.all())
    assert names == ["confusion_matrix_device.png", "hil_report.json", "latency_histogram.png",
                     "reliability_diagram.png", "summary.txt"]
    stored = json.loads(files.report_json.read_text())
    assert stored["accuracy"]["device"]["ci95"] == report.accuracy.device.ci95
    assert [g["status"] for g in stored["gates"]][:2] == ["pass", "fail"]
    for figure in files.figures:
        _assert_png(figure)
    leftovers = [name for name in os.listdir(data.out_dir) if ".tmp" in name]
    assert leftovers == []  # temporary names were all renamed


def test_summary_names_split_ci_units_and_ends_with_the_folder(loaded):
    data, report = loaded
    text = summary_text(report)
    assert text.rstrip("\n").splitlines()[-1] == f"output folder: {data.out_dir}"
    for expected in ("on device (int8)", "57.14 %", "25.05-84.18 %", "accuracy on test", "exact match", "DWT cycles",
                     "microseconds", "no samples", "device vs host int8", "s3/data_1.npz", "User2",
                     "preprocessing mismatches", "4.0 frames/s", "20.00 KiB", "812 of 2048",
                     "microseconds (+-1 %, nominal clock)", "microseconds: +-1 %: the HSI's factory trim"):
        assert expected in text, expected


def test_emulator_summary_says_instructions_not_cycles(tmp_path):
    case = hand_case()
    case["meta"].update(timer_kind=1, mode="tensor")
    case["meta"]["hello"]["timer_hz"] = 168_000_000
    report = build_report(load_validation(write_folder(tmp_path, case)))
    text = summary_text(report)
    assert "instructions (QEMU -icount, not cycles)" in text and "DWT" not in text and "raw mode:" not in text


def test_tracking_target_reads_the_run_config(tmp_path):
    run = tmp_path / "experiments_outputs" / "2026_01_01_00_00_00"
    run.mkdir(parents=True)
    assert tracking_target(run) == (f"sqlite:///{run.parent / 'mlflow.db'}", "handposture")
    (run / "config.yaml").write_text("general: {project_name: tiny}\nmlflow: {uri: 'sqlite:////x/y.db'}\n")
    assert tracking_target(run) == ("sqlite:////x/y.db", "tiny")


@pytest.fixture()
def mlflow_module():
    import mlflow

    previous = mlflow.get_tracking_uri()
    yield mlflow
    mlflow.set_tracking_uri(previous)  # the URI is process-global: leave it as found


def test_report_is_logged_as_a_child_of_the_training_run(loaded, tmp_path, mlflow_module):
    mlflow = mlflow_module
    data, report = loaded
    run = tmp_path / "experiments_outputs" / "2026_01_01_00_00_00"
    run.mkdir(parents=True)
    (run / "config.yaml").write_text("general: {project_name: tiny}\n")
    uri = f"sqlite:///{run.parent / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.create_experiment("tiny", artifact_location=(run.parent / "mlartifacts").as_uri())
    with mlflow.start_run(experiment_id=experiment, run_name=run.name, tags={"run_folder": str(run)}) as training:
        pass
    write_report_files(data, report)
    (data.out_dir / "serial.log").write_text("bytes on the wire")
    gates = evaluate_gates(report, GateThresholds(min_accuracy=0.2))
    hil_run_id = log_report(data.out_dir, report, run_dir=run, gate_results=gates)
    logged = mlflow.get_run(hil_run_id)
    assert logged.data.tags["mlflow.parentRunId"] == training.info.run_id
    assert logged.data.tags["training_run_id"] == training.info.run_id
    assert logged.data.metrics["hil_device_accuracy"] == pytest.approx(4 / 7)
    assert logged.data.metrics["hil_inference_us_max"] == pytest.approx(2000.0)
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(hil_run_id, "hil")}
    assert {"hil/hil_report.json", "hil/latency_histogram.png", "hil/results.jsonl"} <= artifacts
    assert "hil/serial.log" not in artifacts  # bulky logs stay in the output folder
    assert logged.data.tags["gate.min_accuracy"] == "pass" and logged.data.tags["gate.min_exact_agreement"] == "fail"


def test_tracking_failure_is_a_warning_and_loses_nothing(loaded, tmp_path):
    data, report = loaded
    files = write_report_files(data, report)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = log_report_to_mlflow(report, files.all(), tracking_uri=f"sqlite:///{blocker}/sub/mlflow.db",
                                      experiment="x")
    assert result is None
    assert any("MLflow tracking" in str(w.message) and str(data.out_dir) in str(w.message) for w in caught)
    assert files.report_json.is_file()


def test_report_metrics_are_flat_numbers(loaded):
    metrics = report_metrics(loaded[1])
    assert metrics["hil_exact_match_rate"] == pytest.approx(4 / 6)
    assert metrics["hil_inference_cycles_p50"] == 84000 and metrics["hil_firmware_flash_bytes"] == 20480
    assert all(isinstance(value, float) for value in metrics.values())


def test_make_report_writes_judges_and_keeps_json_strict(tmp_path):
    from hil.report import make_report

    case = hand_case()
    case["references"]["host_float"][0, 0] = float("nan")  # a broken float score must not break the JSON
    folder = write_folder(tmp_path, case)
    made = make_report(folder, GateThresholds(min_accuracy=0.9), track=False)
    stored = json.loads((folder / "hil_report.json").read_text())
    assert [g["name"] for g in stored["gates"] if g["status"] == "fail"] == ["min_accuracy", "min_exact_agreement"]
    assert made.gates[0].evidence_path == str(folder / "hil_report.json") and made.mlflow_run_id is None
    assert stored["stedgeai"][2]["rmse"] is None  # NaN became null
    assert (folder / "summary.txt").read_text().rstrip().endswith(f"output folder: {folder}")


def test_interrupt_time_the_firmware_took_out_is_reported(tmp_path):
    case = hand_case()
    case["meta"]["stats"].update(isr_ticks_removed=8_400, isr_count_removed=200)  # STATS of the board
    report = build_report(load_validation(write_folder(tmp_path / "out", case)))
    assert report.interrupts_removed == InterruptsRemoved(ticks=8_400, count=200, unit="cycles", removed=8_400.0,
                                                          per_inference=8_400 / 7)  # 7 frames on the device
    assert ("interrupt handlers taken out of the timed sections by the firmware: 200 entries, 8,400 cycles "
            "(1,200.0 per inference)") in summary_text(report)
    assert build_report(load_validation(write_folder(tmp_path / "old", hand_case()))).interrupts_removed is None
