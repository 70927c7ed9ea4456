"""Sharded validation on local boards (issue 14): ``--parallel N`` host and QEMU boards share one frame queue
and merge into one report equal frame for frame to a single-board run; a QEMU killed mid-run gives its frames
back and is restarted; a board lost for good ends the run with exit 2 and one line, and ``--resume`` finishes
it. Real host-firmware processes on ptys and real qemu-system-arm processes, killed with SIGKILL."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hil.errors import HilError
from hil.farm.shards import plan_shards
from hil.farm.sharded import validate_sharded
from hil.report.report_file import read_report
from hil.runner import BoardOptions, BoardSession
from tests.conftest import require
from tests.hil_e2e.conftest import result_outputs

REPO = Path(__file__).resolve().parents[2]


def _need_qemu():
    require(shutil.which("qemu-system-arm") is not None, "qemu-system-arm is not installed")
    require(shutil.which("arm-none-eabi-gcc") is not None, "arm-none-eabi-gcc is not installed")


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def _sessions(settings, out: Path, made: list):
    def make_session(shard):
        session = BoardSession(BoardOptions(shard.board, timeout_s=0.5, max_attempts=4), settings.run,
                               out / "boards" / shard.folder)
        made.append(session)
        return session
    return make_session


def test_two_host_boards_merge_into_the_single_board_results(farm_inputs, tmp_path):
    settings, frames, references, single = farm_inputs
    out = tmp_path / "sharded"
    shards = plan_shards(["host"], 2, [], None)
    validate_sharded(shards, _sessions(settings, out, []), frames, references, "raw", out, progress=False)
    assert result_outputs(out) == single
    boards = {r["board"] for r in _records(out)}
    assert boards == {"host#1", "host#2"}  # both computed frames, each record names its board
    meta = json.loads((out / "run_meta.json").read_text())
    assert sum(s["frames"] for s in meta["shards"].values()) == len(single)


def test_a_qemu_killed_mid_run_gives_its_frames_back_and_is_restarted(farm_inputs, tmp_path):
    _need_qemu()
    settings, frames, references, single = farm_inputs
    out = tmp_path / "qemu2"
    made: list[BoardSession] = []
    killed = []

    def kill_one_board_mid_run():
        results = out / "results.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if results.is_file() and len(results.read_bytes().splitlines()) >= len(single) // 3:
                process = made[1].target.process
                killed.append(process.pid)
                os.kill(process.pid, signal.SIGKILL)
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_one_board_mid_run, daemon=True)
    killer.start()
    shards = plan_shards(["qemu-stm32f405"], 2, [], None)
    validate_sharded(shards, _sessions(settings, out, made), frames, references, "raw", out, progress=False)
    killer.join(5)
    assert killed, "no QEMU was killed: the run ended before a third of the frames"
    assert result_outputs(out) == single  # every frame once, equal to the single host board's results
    meta = json.loads((out / "run_meta.json").read_text())
    lost = meta["shards"]["qemu-stm32f405#2"]
    assert lost["restarts"] == 1 and lost["lost"] and lost["failure"] is None
    assert len(made) == 3  # two boards, and the killed one brought up again


def test_the_options_that_do_not_go_together_are_refused_naming_them():
    with pytest.raises(HilError, match="--parallel 2: board nucleo-f401re is physical"):
        plan_shards(["nucleo-f401re"], 2, [], None)
    with pytest.raises(HilError, match="different kinds"):
        plan_shards(["host", "qemu-stm32f405"], None, [], None)
    with pytest.raises(HilError, match="--port attaches one board"):
        plan_shards(["host"], 2, [], None, port="/dev/pts/9")
    with pytest.raises(HilError, match="named twice"):
        plan_shards(["nucleo-f401re"], None, ["a", "a"], None)
    assert [s.name for s in plan_shards(["host", "host"], None, [], None)] == ["host#1", "host#2"]


def _cli(*args: str, timeout: float = 600) -> subprocess.Popen:
    command = [sys.executable, "-m", "hil", "run", "--quiet", "--mode", "raw", "--gate", "min_accuracy=0", *args]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _children(pid: int) -> list[int]:
    found = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in found.splitlines() if "qemu" in line]


def _by_frame(out: Path) -> dict[tuple, tuple]:
    """{(file, frame in file): (status, output, input)}: comparable across a --limit run and the whole set."""
    return {(r["file"], r["frame"]): (r["status"], tuple(r["output"] or ()), tuple(r["input"] or ()))
            for r in _records(out)}


def test_boards_lost_for_good_end_in_exit_2_with_one_line_and_resume_finishes(tiny_runs, farm_inputs, tmp_path):
    """Every QEMU the run starts is killed once a third of the frames are in: the restarts run out, the run
    ends with exit 2 and one line naming each board and its cause; ``--resume`` completes it exactly."""
    _need_qemu()
    single = _by_frame(farm_inputs[0].output_dir)  # the single host board's results, by file and frame
    out, limit = tmp_path / "lost", 150
    common = ("--run-dir", str(tiny_runs[0]), "--output-dir", str(out), "--board", "qemu-stm32f405",
              "--parallel", "2", "--timeout", "0.5", "--attempts", "4", "--limit", str(limit))
    runner = _cli(*common)
    results = out / "results.jsonl"
    while runner.poll() is None:
        if results.is_file() and len(results.read_bytes().splitlines()) >= limit // 3:
            for pid in _children(runner.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:  # gone between ps and kill
                    pass
        time.sleep(0.05)
    stdout, stderr = runner.communicate()
    assert runner.returncode == 2, stderr[-2000:]
    assert "Traceback" not in stderr
    error = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(error) == 1
    assert "board qemu-stm32f405#1:" in error[0] and "board qemu-stm32f405#2:" in error[0]
    assert "given up after 3 restarts" in error[0] and "--resume" in error[0]
    partial = _by_frame(out)
    assert limit // 3 <= len(partial) < limit
    assert all(single[key] == value for key, value in partial.items())  # what was kept is right
    resumed = _cli(*common, "--resume")
    stdout, stderr = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, stderr[-2000:]
    indices = [r["index"] for r in _records(out)]
    assert sorted(indices) == list(range(limit))  # every frame once
    assert all(single[key] == value for key, value in _by_frame(out).items())  # equal to the single board's
    report = read_report(out)
    assert report.frames.complete and len(report.boards) == 2
    assert "per board" in stdout
