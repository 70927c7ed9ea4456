"""The pytest plugin, tested with pytester on the host board: options, a passing and a failing gate, stale
firmware, a board that does not answer, a model file with its config (--model/--config). Each runs the real HIL suite (hil/suite) in a subprocess."""
from __future__ import annotations

from pathlib import Path

from hil.report.report_file import read_report
from hil.runner import BoardOptions, BoardSession, build_firmware, ensure_export
from hil.targets.host import HostTarget
from tofhil.boards import load_board
from tofhil.folders import RunFolder

REPO = Path(__file__).resolve().parents[2]
SUITE = str(REPO / "hil" / "suite")

pytest_plugins = ["pytester"]


def _run_suite(pytester, *args):
    return pytester.runpytest_subprocess(SUITE, "-p", "no:cacheprovider", "--rootdir", str(REPO), *args,
                                         timeout=600)


def test_options_are_registered(pytester):
    result = pytester.runpytest_subprocess("--help")
    for option in ("--board", "--run-dir", "--port", "--probe", "--flasher", "--no-flash", "--mode", "--limit",
                   "--gate", "--hil-set"):
        result.stdout.fnmatch_lines([f"*{option}*"])


def test_suite_passes_on_the_host_board_and_reports(pytester, tiny_runs, tmp_path):
    out = tmp_path / "hil"
    result = _run_suite(pytester, "--board", "host", "--run-dir", str(tiny_runs[0]), "--limit", "40",
                        "--gate", "min_accuracy=0", "--hil-output-dir", str(out))
    result.assert_outcomes(failed=0, errors=0, passed=result.parseoutcomes()["passed"])
    assert result.parseoutcomes()["passed"] >= 20
    for mode in ("raw", "tensor"):
        assert (out / mode / "hil_report.json").is_file()
    result.stdout.fnmatch_lines([f"*HIL report: {out}*"])


def test_tightened_gate_fails_with_measured_value_threshold_and_evidence(pytester, tiny_runs, tmp_path):
    # 20 frames cannot put the lower bound of a 95 % interval above 0.999, whatever the accuracy
    out = tmp_path / "hil"
    result = _run_suite(pytester, "--board", "host", "--run-dir", str(tiny_runs[0]), "--limit", "20",
                        "--mode", "tensor", "--gate", "min_accuracy=0.999", "--hil-output-dir", str(out))
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(["*FAILED*test_gate*min_accuracy*"])
    text = result.stdout.str()
    assert "0.999" in text and str(out / "tensor" / "hil_report.json") in text


def test_stale_firmware_is_refused_with_both_hashes(pytester, tiny_runs, tmp_path):
    first, second = (RunFolder.open(r) for r in tiny_runs)
    image = build_firmware(ensure_export(first), "host")
    with HostTarget(load_board("host"), tmp_path) as board:  # a board running the FIRST run's firmware
        url = board.start(image)
        result = _run_suite(pytester, "--board", "host", "--port", url, "--run-dir", str(second.path),
                            "--limit", "10", "--mode", "tensor", "--hil-output-dir", str(tmp_path / "hil"))
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) == 0 and outcomes.get("failed", 0) + outcomes.get("errors", 0) > 0
    text = result.stdout.str()
    assert "StaleFirmwareError" in text
    assert ensure_export(first).model_sha256() in text and ensure_export(second).model_sha256() in text


def test_board_that_does_not_answer_fails_clearly_and_in_bounded_time(pytester, tiny_runs, tmp_path):
    # loop:// sends our own requests back: the board never says HELLO
    out = tmp_path / "hil"
    result = _run_suite(pytester, "--board", "host", "--port", "loop://", "--run-dir", str(tiny_runs[0]),
                        "--mode", "tensor", "--limit", "5", "--hil-output-dir", str(out))
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) == 0 and outcomes.get("failed", 0) + outcomes.get("errors", 0) > 0
    result.stdout.fnmatch_lines(["*DeviceTimeoutError: no HELLO from the board after 40 tries*"])
    # the board is not hammered: one handshake (40 HELLO requests) for the whole session, not one per test
    sent = [line for line in (out / "board" / "serial.log").read_text().splitlines() if " TX " in line]
    assert len(sent) == 40


def test_session_survives_a_board_restart(tiny_runs, tmp_path):
    """A host-board restart mid-session: handshake again, model re-checked, link reopened (new pty)."""
    run = RunFolder.open(tiny_runs[0])
    with BoardSession(BoardOptions("host"), run, tmp_path) as session:
        before = session.target.link_url
        session.restart()
        assert session.target.link_url != before
        assert session.client.hello.model_sha256 == session.export.model_sha256()
        assert session.client.counters.resets == 1
        assert session.client.stats().frames_ok >= 1


def test_serial_log_records_both_directions(tiny_runs, tmp_path):
    run = RunFolder.open(tiny_runs[0])
    with BoardSession(BoardOptions("host"), run, tmp_path) as session:
        session.client.stats()
    lines = (tmp_path / "serial.log").read_text().splitlines()
    assert any(" TX " in line for line in lines) and any(" RX " in line for line in lines)




def test_suite_validates_a_model_file_with_its_config(pytester, tiny_runs, synth_dataset, tmp_path, monkeypatch):
    """``pytest hil --model FILE --config CONFIG``: a model trained elsewhere (here an int8 .tflite, the shared run's
    export read as a plain file) with ST's 4.x evaluation config (test_path alone), through the run-shaped folder;
    the device equal to BUILTIN_REF on every frame."""
    model = tiny_runs[0] / "export" / "model_int8.tflite"
    config = REPO / "tests" / "fixtures" / "st_configs" / "gen_4x" / "evaluation_config.yaml"
    for variable, value in (("MODEL", model), ("DATA", synth_dataset), ("OUT", tmp_path / "st_out")):
        monkeypatch.setenv(f"ST_FIXTURE_{variable}", str(value))
    out = tmp_path / "hil"
    result = _run_suite(pytester, "--board", "host", "--model", str(model), "--config", str(config), "--limit", "20",
                        "--mode", "raw", "--gate", "min_accuracy=null", "--hil-output-dir", str(out),
                        "--hil-set", "export.footprint=false")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and outcomes.get("errors", 0) == 0, result.stdout.str()[-3000:]
    assert outcomes["passed"] >= 10
    assert (out / "model" / "export" / "model_int8.tflite").read_bytes() == model.read_bytes()
    assert "footprint: false" in (out / "model" / "config.yaml").read_text()  # --hil-set reaches the model's config
    report = read_report(out / "raw")
    assert report.agreement.exact_match.rate == 1.0 and report.agreement.frames > 0
    assert report.accuracy.device.split.startswith("test set")
    result.stdout.fnmatch_lines([f"*HIL report: {out}*"])
