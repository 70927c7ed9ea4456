"""ST Edge AI backends (``python -m hil benchmark``) against fakes of ST's tools: a fake ``stm32ai_dc`` package
(tests/fakes/stm32ai_dc, the real client's classes and result types) and a fake ``stedgeai`` executable
(tests/fakes/bin). No network: no cloud run is made from these tests."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hil.st_benchmark import compare, deadline, our_figures, st_cloud, stedgeai
from hil.st_benchmark.errors import ComparisonError, StEdgeAiError
from hil.st_benchmark.cli import main_benchmark
from tests.hil_unit.st_helpers import cloud, results_of, write_hil_report

FAKES = Path(__file__).resolve().parents[1] / "fakes"
REPO = Path(__file__).resolve().parents[2]


BOTH_CLIENTS = pytest.mark.parametrize("fake_client", ["46924c0", "f971224"], indirect=True)


def row(comparison: dict, name: str) -> dict:
    return next(r for r in comparison["rows"] if r["name"] == name)


# ---- ST Edge AI Developer Cloud -------------------------------------------------------------------------------

@BOTH_CLIENTS
def test_success_measures_both_models_and_prints_the_comparison(fake_client, run_dir, capsys):
    assert cloud(run_dir) == 0
    results = results_of(run_dir)
    assert results["status"] == "complete" and results["board"] == "NUCLEO-F401RE"
    float_bench = results["measurements"]["float"]["benchmark"]
    assert (float_bench["cycles"], float_bench["duration_ms"]) == (129_360, 1.54)
    assert float_bench["total_flash_bytes"] == 11_008 + 14_715  # ST's published weights + runtime library
    assert float_bench["total_ram_bytes"] == 1_096 + 2_130  # activations + library (I/O inside activations)
    assert results["measurements"]["int8"]["analyze"]["macc"] == 8_134
    assert results["measurements"]["int8"]["benchmark"]["validation"]["metrics"][0]["l2r"] == 0.0071
    comparison = json.loads((run_dir / "out" / "comparison.json").read_text())
    assert row(comparison, "ST runtime int8")["figures"]["cycles"] == {
        "value": 63_000, "source": "ST cloud benchmark (NUCLEO-F401RE, ST Edge AI 2.2.0)"}
    ours = row(comparison, "our runtime int8")["figures"]
    assert ours["instructions"] == {"value": 14_800, "source": "our emulator (qemu-stm32f405)"}
    assert "cycles" not in ours  # an instruction count never lands in the cycles column
    assert ours["flash_bytes"]["value"] == 7_372 and ours["accuracy"]["value"] == 0.925
    assert "on-device accuracy: split test, 95 % CI [88.00%, 95.00%] (200 frames)" in row(
        comparison, "our runtime int8")["notes"]
    out = capsys.readouterr().out
    assert "instructions (emulator, not cycles)" in out and "14,800" in out and "129,360" in out
    assert (run_dir / "out" / "comparison.txt").read_text().startswith("| runtime")


def test_uploads_are_content_addressed_and_cleaned_up(fake_client, run_dir):
    assert cloud(run_dir) == 0
    calls = fake_client.CALLS
    uploads = [Path(args["path"]).name for name, args in calls if name == "upload_model"]
    assert uploads[0].startswith("tofhil_") and uploads[0].endswith("_best_model.h5")
    assert uploads[1].endswith("_model_int8.tflite")
    assert sorted(args["name"] for name, args in calls if name == "delete_model") == sorted(uploads)
    benchmarks = [args for name, args in calls if name == "benchmark"]
    assert [b["board"] for b in benchmarks] == ["NUCLEO-F401RE"] * 2
    assert {args["series"] for name, args in calls if name == "analyze"} == {"stm32f4"}


def test_board_can_be_chosen_case_insensitively(fake_client, run_dir):
    assert cloud(run_dir, "--st-board", "stm32h747i-disco") == 0
    assert results_of(run_dir)["board"] == "STM32H747I-DISCO"
    assert {args["series"] for name, args in fake_client.CALLS if name == "analyze"} == {"stm32h7"}


def test_login_failure_is_one_line_naming_the_variables(fake_client, run_dir, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "bad-login")
    assert cloud(run_dir) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("[st-cloud]")]
    assert len(errors) == 1 and "Invalid credentials" in errors[0] and "STM32AI_PASSWORD" in errors[0]
    assert results_of(run_dir)["error"]["kind"] == "login"


def test_missing_credentials_without_stored_token(fake_client, run_dir, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("STM32AI_PASSWORD")
    monkeypatch.setattr(st_cloud, "TOKEN_FILE", tmp_path / "no-token")
    assert cloud(run_dir) == 2
    err = capsys.readouterr().err
    assert "STM32AI_PASSWORD not set" in err and "no-token" in err
    assert not [c for c in fake_client.CALLS if c[0] == "CloudBackend"]  # never tried a login without credentials


def test_stored_token_is_used_when_no_credentials(fake_client, run_dir, monkeypatch, tmp_path):
    for name in ("STM32AI_USERNAME", "STM32AI_PASSWORD"):
        monkeypatch.delenv(name)
    (tmp_path / "token").write_text("{}")
    monkeypatch.setattr(st_cloud, "TOKEN_FILE", tmp_path / "token")
    monkeypatch.setenv("FAKE_STM32AI_STORED_TOKEN", "1")
    assert cloud(run_dir) == 0
    assert fake_client.CALLS[0] == ("CloudBackend", {"username": None, "version": None})


def test_board_not_in_the_farm_lists_the_available_ones(fake_client, run_dir, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "no-f401")
    assert cloud(run_dir) == 2
    err = capsys.readouterr().err
    assert "'NUCLEO-F401RE' is not in" in err and "--st-board" in err
    assert "B-U585I-IOT02A, STM32H747I-DISCO, STM32MP257F-EV1, STM32N6570-DK" in err
    results = results_of(run_dir)
    assert results["error"]["kind"] == "board" and len(results["available_boards"]) == 4
    assert not [c for c in fake_client.CALLS if c[0] == "upload_model"]


@pytest.mark.timeout(30)
def test_a_hanging_benchmark_ends_in_a_timeout_that_keeps_the_footprints(fake_client, run_dir, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "hang-benchmark")
    monkeypatch.setenv("FAKE_STM32AI_HANG_S", "60")
    assert cloud(run_dir, "--st-timeout", "0.3") == 2
    captured = capsys.readouterr()
    assert re.search(r"benchmark float model: benchmark float model: no answer within [0-9.]+ s", captured.err)
    assert "--st-timeout" in captured.err and "st_cloud_results.json" in captured.err
    results = results_of(run_dir)
    assert results["status"] == "failed" and results["error"]["kind"] == "timeout"
    assert results["measurements"]["int8"]["analyze"]["total_flash_bytes"] == 16_812
    assert "ST cloud analyze (estimate, ST Edge AI 2.2.0)" in captured.out  # the partial table is still shown


@pytest.mark.timeout(30)
def test_the_clients_own_timeout_is_reported_as_a_timeout(fake_client, run_dir, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "client-timeout")
    assert cloud(run_dir, "--st-timeout", "0.2") == 2
    assert "the client gave up after" in capsys.readouterr().err
    assert results_of(run_dir)["error"]["kind"] == "timeout"


@pytest.mark.parametrize("scenario, words", [
    ("malformed-benchmark", "KeyError: 'graphs'"),
    ("wrong-type", "malformed reply: dict has no field 'rom_size'"),
])
def test_a_malformed_reply_is_a_reply_error(fake_client, run_dir, monkeypatch, capsys, scenario, words):
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", scenario)
    assert cloud(run_dir) == 2
    err = capsys.readouterr().err
    assert words in err and "stm32ai_dc version" in err
    results = results_of(run_dir)
    assert results["error"]["kind"] == "reply" and "analyze" in results["measurements"]["float"]


@pytest.mark.parametrize("scenario, kind, words", [
    ("quota", "quota", "quota of this account is used up"),
    ("network-down", "network", "Max retries exceeded"),
    ("upload-refused", "service", "the cloud refused best_model.h5"),
])
def test_cloud_failures_are_named(fake_client, run_dir, monkeypatch, capsys, scenario, kind, words):
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", scenario)
    assert cloud(run_dir) == 2
    assert words in capsys.readouterr().err
    assert results_of(run_dir)["error"]["kind"] == kind


def test_figures_the_farm_did_not_report_stay_empty(fake_client, run_dir, monkeypatch):
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "missing-cycles")
    assert cloud(run_dir) == 0
    bench = results_of(run_dir)["measurements"]["float"]["benchmark"]
    assert bench["cycles"] is None and bench["not_reported"] == ["cycles", "duration_ms"]
    comparison = json.loads((run_dir / "out" / "comparison.json").read_text())
    assert "cycles" not in row(comparison, "ST runtime float")["figures"]


def test_missing_client_says_how_to_install_and_writes_nothing(run_dir, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "stm32ai_dc", None)  # makes the import fail even if installed
    monkeypatch.setitem(sys.modules, "common", None)  # ST's layout from 3.1 on: common.stm32ai_dc
    assert main_benchmark(["--backend", "st-cloud", "--run-dir", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert "not on PyPI" in err and "STM32AI_USERNAME" in err
    assert "PYTHONPATH=<clone> (ST's layout from 3.1 on; <clone>/common before)" in err
    assert not (run_dir / "hil" / "st-cloud").exists()


def test_missing_int8_model_names_the_export_command(fake_client, run_dir, capsys):
    (run_dir / "export" / "model_int8.tflite").unlink()
    assert cloud(run_dir) == 2
    assert "python -m training export" in capsys.readouterr().err


def test_command_line_exits_2_without_traceback(run_dir):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(FAKES), str(REPO)]), FAKE_STM32AI_SCENARIO="bad-login",
               STM32AI_USERNAME="a", STM32AI_PASSWORD="b")
    done = subprocess.run([sys.executable, "-m", "hil.st_benchmark.cli", "--backend", "st-cloud", "--run-dir",
                           str(run_dir)], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: ST Edge AI Developer Cloud, login")


# ---- issue 16: right figures from both of ST's client shapes ---------------------------------------------------
# The int8 scenario of the fake (tests/fakes/stm32ai_dc/backend/cloud/cloud.py): 3,232 B weights, 12,980 B kernel
# and 600 B toolchain code; 736 B activations, 1,580 + 20 B library RAM. ST's client turns it into rom_size 16,812
# and ram_size 2,336 (the newer client's benchmark and both clients' analyze), or into rom_size 3,232 and
# ram_size 736 plus estimated_library_* 13,580 / 1,600 (the older client's benchmark).

INT8_FLASH, INT8_RAM = 16_812, 2_336


@BOTH_CLIENTS
def test_benchmark_totals_are_right_from_either_client_shape(fake_client, run_dir, capsys):
    assert cloud(run_dir) == 0
    bench = results_of(run_dir)["measurements"]["int8"]["benchmark"]
    assert (bench["total_flash_bytes"], bench["total_ram_bytes"]) == (INT8_FLASH, INT8_RAM)
    assert (bench["weights_flash_bytes"], bench["library_flash_bytes"]) == (3_232, 13_580)
    assert (bench["activations_ram_bytes"], bench["library_ram_bytes"]) == (736, 1_600)
    comparison = json.loads((run_dir / "out" / "comparison.json").read_text())
    figures = row(comparison, "ST runtime int8")["figures"]
    assert (figures["flash_bytes"]["value"], figures["ram_bytes"]["value"]) == (INT8_FLASH, INT8_RAM)
    table_row = next(line for line in (run_dir / "out" / "comparison.txt").read_text().splitlines()
                     if line.startswith("| ST runtime int8"))
    assert [cell.strip() for cell in table_row.split("|")[2:4]] == ["16.42", "2.28"]  # 16,812 B, 2,336 B in KiB


@BOTH_CLIENTS
def test_analyze_totals_include_the_toolchain_like_the_benchmark(fake_client, run_dir):
    assert cloud(run_dir) == 0
    measured = results_of(run_dir)["measurements"]
    for kind in ("float", "int8"):
        analyze, bench = measured[kind]["analyze"], measured[kind]["benchmark"]
        assert (analyze["total_flash_bytes"], analyze["total_ram_bytes"]) == \
            (bench["total_flash_bytes"], bench["total_ram_bytes"])
    assert measured["int8"]["analyze"]["library_flash_bytes"] == 12_980 + 600


@BOTH_CLIENTS
def test_graphless_analyze_reply_gives_the_nodes_macc(fake_client, run_dir, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "graphless-analyze")
    assert cloud(run_dir) == 0
    assert results_of(run_dir)["measurements"]["int8"]["analyze"]["macc"] == 8_134
    assert "MACC 0" not in capsys.readouterr().err


def test_a_macc_the_reply_does_not_carry_is_unknown():
    from hil.st_benchmark import st_results

    class Graphless:  # what the older client builds from a reply with neither graph nor node list
        macc, info = 0, {"graphs": []}
    assert st_results._macc(Graphless()) is None
    assert "MACC unknown" in st_cloud.summary({"macc": None, "total_flash_bytes": 1, "total_ram_bytes": 2})


def test_an_expired_stored_token_is_a_login_error_with_the_fix(fake_client, run_dir, monkeypatch, tmp_path, capsys):
    for name in ("STM32AI_USERNAME", "STM32AI_PASSWORD"):
        monkeypatch.delenv(name)
    (tmp_path / "token").write_text("{}")
    monkeypatch.setattr(st_cloud, "TOKEN_FILE", tmp_path / "token")
    monkeypatch.setenv("FAKE_STM32AI_STORED_TOKEN", "expired")
    assert cloud(run_dir) == 2
    err = capsys.readouterr().err
    assert "login: TypeError" in err and "delete the stored token ~/.stmai_token" in err
    assert "malformed reply" not in err and "stm32ai_dc version" not in err
    assert results_of(run_dir)["error"]["kind"] == "login"


def test_st_scripts_credential_variables_are_accepted(fake_client, run_dir, monkeypatch, tmp_path):
    for name in ("STM32AI_USERNAME", "STM32AI_PASSWORD"):
        monkeypatch.delenv(name)
    monkeypatch.setattr(st_cloud, "TOKEN_FILE", tmp_path / "no-token")
    monkeypatch.setenv("stmai_username", "zoo-user@example.com")
    monkeypatch.setenv("stmai_password", "zoo-secret")
    assert cloud(run_dir) == 0
    assert fake_client.CALLS[0] == ("CloudBackend", {"username": "zoo-user@example.com", "version": None})


def test_the_default_benchmark_wait_is_st_own(fake_client, run_dir):
    assert cloud(run_dir) == 0
    timeouts = {args["timeout"] for name, args in fake_client.CALLS if name == "benchmark"}
    assert timeouts == {2500}  # common/benchmarking/common_benchmark.py passes timeout=2500 to the client


def test_uploads_are_deleted_after_a_failure(fake_client, run_dir, monkeypatch):
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "malformed-benchmark")
    assert cloud(run_dir) == 2
    uploads = [Path(args["path"]).name for name, args in fake_client.CALLS if name == "upload_model"]
    deleted = [args["name"] for name, args in fake_client.CALLS if name == "delete_model"]
    assert len(uploads) == 2 and sorted(deleted) == sorted(uploads)
    assert results_of(run_dir)["uploads_left"] == {}


def test_a_refused_deletion_is_a_warning_listed_in_the_results(fake_client, run_dir, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "delete-refused")
    assert cloud(run_dir) == 0
    left = results_of(run_dir)["uploads_left"]
    assert len(left) == 2 and set(left.values()) == {"the cloud refused the deletion"}
    assert capsys.readouterr().err.count("stays in your cloud workspace (the cloud refused the deletion)") == 2


def test_an_stm32n6_board_gets_st_neural_art_parameters(fake_client, run_dir):
    assert cloud(run_dir, "--st-board", "STM32N6570-DK") == 0
    options = [args["options"] for name, args in fake_client.CALLS if name == "benchmark"]
    assert {(o.target, o.stNeuralArt, type(o.atonnOptions).__name__) for o in options} == \
        {("stm32n6", "default", "AtonParameters")}
    # as ST's common/benchmarking/common_benchmark.py: AtonParameters(enable_epoch_controller=True)
    assert {o.atonnOptions.enable_epoch_controller for o in options} == {True}
    assert {args["target"] for name, args in fake_client.CALLS if name == "analyze"} == {"stm32n6"}


def test_an_stm32mp_board_is_refused_with_the_reason(fake_client, run_dir, capsys):
    assert cloud(run_dir, "--st-board", "STM32MP257F-EV1") == 2
    err = capsys.readouterr().err
    assert "STM32MP257F-EV1 is an STM32MP (Linux MPU) board" in err and "MpuBenchmarkResult" in err
    assert not [c for c in fake_client.CALLS if c[0] == "upload_model"]
    assert results_of(run_dir)["error"]["kind"] == "board"


def test_the_effective_st_edge_ai_version_is_recorded_and_shown(fake_client, run_dir):
    assert cloud(run_dir) == 0
    assert results_of(run_dir)["st_edge_ai_version"] == {"requested": None, "effective": "2.2.0"}
    comparison = json.loads((run_dir / "out" / "comparison.json").read_text())
    assert "ST Edge AI 2.2.0" in row(comparison, "ST runtime float")["figures"]["flash_bytes"]["source"]


@pytest.mark.parametrize("fake_client, effective", [("46924c0", "2.1.0"), ("f971224", "2.2.0")], indirect=["fake_client"])
def test_st_version_numbering_differs_between_clients(fake_client, run_dir, effective):
    """--st-version 10.1.0 (the platform numbering ST's model-zoo configs use) is matched by the older client
    only; the newer one falls back to the latest, which the results file then says."""
    assert cloud(run_dir, "--st-version", "10.1.0") == 0
    record = results_of(run_dir)["st_edge_ai_version"]
    assert (record["requested"], record["effective"]) == ("10.1.0", effective)
    assert record["note"].startswith(f"--st-version 10.1.0 became ST Edge AI version {effective} in the client")


# ---- local stedgeai ---------------------------------------------------------------------------------------------

@pytest.fixture
def fake_stedgeai(monkeypatch):
    monkeypatch.setenv("PATH", f"{FAKES / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_STEDGEAI_MODE", "ok")
    return FAKES / "bin" / "stedgeai"


def local(run: Path, *extra: str) -> int:
    return main_benchmark(["--backend", "stedgeai", "--run-dir", str(run), "--output-dir", str(run / "local"),
                           *extra])


@pytest.mark.parametrize("mode, origin", [("ok", "network_c_info.json"), ("text-only", "network_analyze_report.txt")])
def test_stedgeai_analyze_reads_the_footprint(fake_stedgeai, run_dir, monkeypatch, capsys, mode, origin):
    monkeypatch.setenv("FAKE_STEDGEAI_MODE", mode)
    assert local(run_dir) == 0
    results = json.loads((run_dir / "local" / "stedgeai_results.json").read_text())
    figures = results["measurements"]["float"]["analyze"]
    assert figures["report_file"].endswith(origin)
    assert (figures["macc"], figures["weights_flash_bytes"], figures["library_flash_bytes"]) == (8_134, 11_008, 14_715)
    assert (figures["total_flash_bytes"], figures["total_ram_bytes"]) == (25_723, 3_226)
    out = capsys.readouterr().out
    assert "ST Edge AI Core 2.2.0 analyze (local, stm32f4)" in out and "25.12" in out


@pytest.mark.parametrize("mode, words", [
    ("fail", "exited with 1: E103(CliArgumentError)"),
    ("garbage", "cannot read the analyze report"),
])
def test_stedgeai_failures_are_named(fake_stedgeai, run_dir, monkeypatch, capsys, mode, words):
    monkeypatch.setenv("FAKE_STEDGEAI_MODE", mode)
    assert local(run_dir) == 2
    err = capsys.readouterr().err
    assert words in err and "stedgeai_results.json" in err


@pytest.mark.timeout(30)
def test_stedgeai_that_hangs_is_stopped(fake_stedgeai, run_dir, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_STEDGEAI_MODE", "hang")
    assert local(run_dir, "--st-timeout", "1") == 2
    assert "did not finish within 1 s" in capsys.readouterr().err


def test_stedgeai_is_found_through_stedgeai_core_dir(tmp_path):
    exe = tmp_path / "core" / "Utilities" / stedgeai.OS_FOLDER.get(sys.platform, "linux") / "stedgeai"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    assert stedgeai.find_stedgeai(environ={"STEDGEAI_CORE_DIR": str(tmp_path / "core"), "PATH": str(tmp_path)}) == exe


def test_stedgeai_missing_says_how_to_install(run_dir, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("STEDGEAI_CORE_DIR", raising=False)
    assert local(run_dir) == 2
    assert "stedgeai not found" in capsys.readouterr().err
    with pytest.raises(StEdgeAiError, match="no stedgeai executable there"):
        stedgeai.find_stedgeai(tmp_path / "nope")


def test_text_report_ignores_the_equals_form_decoy():
    text = " model: macc=2,528 weights=2,696 activations=-- io=--\n macc               :   2,432\n" \
           " weights (ro)       :   6,856 B (6.70 KiB) (1 segment)\n"
    figures = stedgeai.figures_from_text(text)
    assert (figures["macc"], figures["weights_flash_bytes"], figures["total_flash_bytes"]) == (2_432, 6_856, None)


# ---- the comparison's reading of our reports ------------------------------------------------------------------

def test_a_physical_board_reports_cycles_in_the_cycles_column(run_dir):
    report = write_hil_report(run_dir / "board", {
        "board": "nucleo-f401re", "board_kind": "physical",
        "latency": {"inference": {"unit": "cycles", "stats": {"mean": 61_000},
                                  "us": {"count": 38, "mean": 726.2, "min": 700.0, "max": 800.0, "std": 20.0,
                                         "p50": 720.0, "p95": 790.0, "p99": 799.0}}}})
    ours = compare.our_row(run_dir, report).figures
    assert ours["cycles"] == (61_000, "our board (nucleo-f401re)")
    assert ours["ms"] == (pytest.approx(0.7262), "our board (nucleo-f401re)") and "instructions" not in ours


def test_a_schema1_report_from_before_the_typed_report_is_read(run_dir):
    """tests/fixtures/hil_report_schema1: written by the code before HilReport (host board, wall time in us)."""
    report = write_hil_report(run_dir / "hil" / "host-raw-old", {})
    ours = compare.our_row(run_dir, report)
    assert ours.figures["ms"] == (pytest.approx(3.5481578947368426e-3), "our host build (host)")
    assert ours.figures["accuracy"] == (1.0, "our host build (host)")
    assert any(note.startswith("on-device accuracy: split validation split") and "(38 frames)" in note
               for note in ours.notes)


@pytest.mark.parametrize("schema", [3, 0, None, "1"])
def test_a_report_of_another_schema_is_refused_by_name(run_dir, schema):
    report = write_hil_report(run_dir / "other", {"schema": schema})
    with pytest.raises(ComparisonError) as raised:
        our_figures.hil_figures(report)
    assert str(raised.value) == (f"{report}: HIL report schema {schema!r}; this version of tof-hil reads schemas "
                                 "1, 2")


def test_a_report_key_of_the_wrong_type_or_missing_is_named(run_dir):
    report = write_hil_report(run_dir / "odd", {"latency": {"inference": {"unit": 7}}})
    with pytest.raises(ComparisonError, match=r"odd/hil_report.json.latency.inference.unit: expected a string"):
        our_figures.hil_figures(report)
    content = json.loads(report.read_text())
    del content["accuracy"]
    report.write_text(json.dumps(content))
    with pytest.raises(ComparisonError, match=r"odd/hil_report.json: no 'accuracy' \(HilReport needs it\)"):
        our_figures.hil_figures(report)


def test_firmware_size_is_used_only_without_a_library_footprint(run_dir):
    (run_dir / "export" / "model_report.json").unlink()
    ours = compare.our_row(run_dir).figures
    assert ours["flash_bytes"] == (21_000, "our emulator (qemu-stm32f405), whole firmware ELF")


def test_unreadable_hil_report_names_the_file(run_dir):
    report = write_hil_report(run_dir / "broken", "{ not json")
    with pytest.raises(ComparisonError, match="broken/hil_report.json: cannot read the HIL report"):
        our_figures.hil_figures(report)


def test_a_hil_report_can_embed_the_newest_comparison(fake_client, run_dir):
    assert compare.comparison_section(run_dir) is None
    assert main_benchmark(["--backend", "st-cloud", "--run-dir", str(run_dir)]) == 0
    hil_report = next(run_dir.glob("hil/qemu-*/hil_report.json"))
    section = compare.comparison_section(run_dir, hil_report)
    assert section["st_results"].endswith("st_cloud_results.json") and "/hil/st-cloud/NUCLEO-F401RE-" in \
        section["st_results"]
    assert [r["name"] for r in section["rows"]] == ["ST runtime float", "ST runtime int8", "our runtime int8"]


def test_a_waiting_step_shows_progress():
    stream = io.StringIO()
    progress = deadline.Progress("st-cloud", every_s=0.05, stream=stream)

    def slow_step():  # returns once the progress line has been printed
        for _ in range(400):
            if "elapsed" in stream.getvalue():
                return "done"
            time.sleep(0.025)
        return "no progress line"

    outcome = deadline.call_with_deadline(slow_step, "benchmark int8 model", 30, progress)
    assert outcome.value == "done"
    assert stream.getvalue().startswith("[st-cloud] benchmark int8 model: 0 s elapsed (limit 30 s)")


def test_a_legacy_benchmark_reply_of_the_newer_client_is_read_the_older_way():
    """Without the tool's c-info report (``info`` None) the newer client copies the legacy report's weights and
    activations into rom_size/ram_size, as the older client always does (f971224 cloud.py, 'elif result:')."""
    from collections import namedtuple

    from hil.st_benchmark import st_results

    fields = ("activations_size weights macc rom_size total_ram_io_size ram_size date_time cli_version_str info "
              "cycles duration_ms device cycles_by_macc estimated_library_flash_size estimated_library_ram_size")
    legacy = namedtuple("BenchmarkResult", fields)(
        activations_size=0, weights=0, macc=8_134, rom_size=3_232, total_ram_io_size=0, ram_size=736,
        date_time="", cli_version_str="9.1.0", info=None, cycles=63_000, duration_ms=0.75, device="F401",
        cycles_by_macc=7, estimated_library_flash_size=13_580, estimated_library_ram_size=1_600)
    figures = st_results.benchmark_figures(legacy)
    assert (figures["total_flash_bytes"], figures["total_ram_bytes"]) == (16_812, 2_336)
