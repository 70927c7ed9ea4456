"""Bad input to ``python -m hil`` and ``pytest hil`` (issue 18): options refused before a board starts or a file
is written, a finished validation never touched, a dropped link one line naming the board and the cause with
the results kept for ``--resume``, a corrupt or changed model named for what it is.

Everything real: the CLI (its ``main()`` in this process where an option or a folder is refused, a subprocess
where a board link breaks or a step fails), the host board's firmware on its pty, a TCP relay (a real socket)
that hangs up where a board or its emulator would.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import serial

from tests.conftest import require

REPO = Path(__file__).resolve().parents[2]
SUITE = str(REPO / "hil" / "suite")

pytest_plugins = ["pytester"]


def run_hil(*args, timeout: float = 600, process: bool = True) -> subprocess.CompletedProcess:
    """``python -m hil ARGS`` in a subprocess, or (``process=False``) its ``main()`` in this process."""
    if not process:
        from hil.cli import main
        from tests.cli_runner import run_main

        return run_main(main, [str(a) for a in args], timeout=timeout)
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "hil", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, env=env)


def assert_one_error(result: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, no traceback, one ``error:`` line on stderr (the last line) holding every needle."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, f"exit {result.returncode}; stderr:\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 1 and errors[0] == lines[-1], f"expected one error line last:\n{result.stderr}"
    for needle in needles:
        assert needle in errors[0], f"{needle!r} not in {errors[0]!r}"
    return errors[0]


@pytest.fixture(scope="module")
def tiny_run() -> Path:
    """A small trained and exported run (synthetic data), shared by the suite (tests/shared_runs.py)."""
    from tests.shared_runs import tiny_run as shared_tiny_run

    require(shutil.which("gcc") is not None, "gcc is not installed")
    return shared_tiny_run(1)


def copy_run(run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("hil"))
    return copy


@pytest.mark.parametrize("option, value, message", [
    ("--limit", "-1", "argument --limit: expected a positive whole number, got '-1'"),
    ("--limit", "0", "argument --limit: expected a positive whole number, got '0'"),
    ("--timeout", "0", "argument --timeout/--hil-timeout: expected a number of seconds > 0, got '0'"),
    ("--timeout", "-5", "argument --timeout/--hil-timeout: expected a number of seconds > 0, got '-5'"),
    ("--attempts", "0", "argument --attempts: expected a positive whole number, got '0'"),
    ("--flasher", "jtag", "argument --flasher: unknown flasher 'jtag'"),
])
def test_bad_option_values_are_refused_before_anything_runs(tiny_run, tmp_path, option, value, message):
    out = tmp_path / "out"
    result = run_hil("run", "--board", "host", "--run-dir", tiny_run, "--output-dir", out, option, value,
                     process=False)
    assert_one_error(result, message)
    assert not out.exists()


@pytest.mark.parametrize("option, value", [("--limit", "-1"), ("--limit", "0"), ("--hil-timeout", "0"),
                                           ("--attempts", "0")])
def test_pytest_hil_refuses_the_same_values(pytester, tiny_run, option, value):
    result = pytester.runpytest_subprocess(SUITE, "-p", "no:cacheprovider", "--rootdir", str(REPO), "--board",
                                           "host", "--run-dir", str(tiny_run), option, value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*argument {option}*expected a*got '{value}'*"])


def test_a_finished_validation_is_left_untouched(tiny_run, tmp_path):
    out = tmp_path / "out"
    first = run_hil("run", "--board", "host", "--run-dir", tiny_run, "--output-dir", out, "--limit", "20",
                    "--gate", "min_accuracy=0", process=False)
    assert first.returncode == 0, first.stderr[-3000:]
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert {"results.jsonl", "references.npz", "serial.log", "hil_report.json"} <= set(before)
    again = run_hil("run", "--board", "host", "--run-dir", tiny_run, "--output-dir", out, "--limit", "20",
                    process=False)
    assert_one_error(again, f"{out / 'results.jsonl'} exists: pass --resume")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_an_output_folder_that_cannot_be_written_is_one_line(tiny_run):
    result = run_hil("run", "--board", "host", "--run-dir", tiny_run, "--output-dir", "/proc/tofhil-out",
                     process=False)
    assert_one_error(result, "--output-dir /proc/tofhil-out: cannot write there")


class HangingUpRelay(threading.Thread):
    """A TCP relay to a real board that hangs up after passing on the board's ``frames``-th reply frame: a board
    that closes the link after HELLO (1), or a board (an emulator) that dies mid-run."""

    def __init__(self, board_url: str, frames: int):
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"socket://127.0.0.1:{self.server.getsockname()[1]}"
        self.board_url, self.frames = board_url, frames

    def run(self):
        connection, _ = self.server.accept()
        board = serial.serial_for_url(self.board_url, timeout=0.01)
        connection.settimeout(0.01)
        seen = 0
        try:
            while True:
                try:
                    data = connection.recv(4096)
                    if not data:
                        return
                    board.write(data)
                except socket.timeout:
                    pass
                reply = board.read(4096)
                ends = [i for i, byte in enumerate(reply) if byte == 0]
                if seen + len(ends) >= self.frames:  # pass on up to the last frame, then hang up
                    connection.sendall(reply[:ends[self.frames - seen - 1] + 1])
                    return
                seen += len(ends)
                connection.sendall(reply)
        finally:
            connection.close()
            board.close()
            self.server.close()


@pytest.fixture
def host_board(tiny_run, tmp_path):
    from hil.runner import build_firmware, ensure_export
    from hil.targets.host import HostTarget
    from tofhil.boards import load_board
    from tofhil.folders import RunFolder

    image = build_firmware(ensure_export(RunFolder.open(tiny_run)), "host")
    with HostTarget(load_board("host"), tmp_path / "board") as board:
        yield board.start(image)


@pytest.mark.parametrize("frames, when", [(1, "while streaming"), (7, "while streaming")],
                         ids=["closed after HELLO", "killed mid-run"])
def test_a_dropped_link_is_one_line_and_the_results_resume(tiny_run, tmp_path, host_board, frames, when):
    out = tmp_path / "out"
    relay = HangingUpRelay(host_board, frames)
    relay.start()
    result = run_hil("run", "--board", "host", "--port", relay.url, "--run-dir", tiny_run, "--output-dir", out,
                     "--mode", "tensor", "--limit", "30", "--timeout", "0.5", "--attempts", "3")
    assert_one_error(result, "board host: the link broke", when, f"{out / 'results.jsonl'} (--resume continues)")
    kept = (out / "results.jsonl").read_text().splitlines() if (out / "results.jsonl").exists() else []
    resumed = run_hil("run", "--board", "host", "--port", host_board, "--run-dir", tiny_run, "--output-dir", out,
                      "--mode", "tensor", "--limit", "30", "--resume", "--gate", "min_accuracy=0")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    lines = (out / "results.jsonl").read_text().splitlines()
    assert lines[:len(kept)] == kept  # what was streamed before the link broke is kept as it was
    records = [json.loads(line) for line in lines]
    indices = [r["index"] for r in records]
    assert len(indices) == len(set(indices)) and len(indices) > len(kept)
    # results are logged a whole session at a time (the device's label filter runs per session): what was kept
    # before the link broke is every frame of the sessions it finished, at least one when it broke mid-run
    sessions = {}
    for record in records:
        sessions.setdefault(record["session"], set()).add(record["index"])
    kept_sessions = {}
    for record in map(json.loads, kept):
        kept_sessions.setdefault(record["session"], set()).add(record["index"])
    assert all(members == sessions[name] for name, members in kept_sessions.items()), kept_sessions
    assert len(kept_sessions) >= (1 if frames > 1 else 0)


def test_a_corrupt_model_is_named_for_what_it_is(tiny_run, tmp_path):
    run = copy_run(tiny_run, tmp_path)
    model = run / "saved_models" / "best_model.keras"
    model.write_bytes(os.urandom(100))  # newer than the export: the export runs again and fails on it
    result = run_hil("run", "--board", "host", "--run-dir", run, "--output-dir", tmp_path / "out")
    line = assert_one_error(result, f"export of {run} failed: {model}: not a Keras model",
                            "a .keras file is a zip archive and this one is not")
    assert "not found" not in result.stderr.lower() and line.count("error:") == 1


def test_a_model_changed_after_the_export_is_refused_not_built_from_the_old_library(tiny_run, tmp_path):
    run = copy_run(tiny_run, tmp_path)
    tflite = run / "export" / "model_int8.tflite"
    old = tflite.read_bytes()
    tflite.write_bytes(old[:-1] + bytes([old[-1] ^ 1]))  # one bit: its .sha256 file no longer matches it
    actual = hashlib.sha256(tflite.read_bytes()).hexdigest()
    result = run_hil("build", "--board", "host", "--run-dir", run)
    assert_one_error(result, f"{tflite}: sha256 {actual} is not the model the C library beside it was generated "
                             f"from ({hashlib.sha256(old).hexdigest()})", "python -m training export")


@pytest.mark.parametrize("target, expected", [
    ("missing-folder/doctor.json", "missing-folder does not exist; create it or name another file"),
    (".", "is a folder; name a file"),
])
def test_doctor_json_that_cannot_be_written_is_one_line_before_the_board_is_touched(tmp_path, target, expected):
    """Issue 27: ``--json`` into a folder that does not exist ended in a FileNotFoundError traceback after the
    whole walk; now it is refused first (the board named does not exist either: the --json check comes first)."""
    result = run_hil("doctor", "--board", "no-such-board", "--json", tmp_path / target, process=False)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert expected in result.stderr and "--json" in result.stderr
    assert not (tmp_path / "missing-folder").exists()
