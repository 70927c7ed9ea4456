"""Validation on labgrid places (issue 14), for real: a labgrid-coordinator and a labgrid-exporter on 127.0.0.1
(free ports, stopped by PID at the end) export two places whose serial ports are emulated boards
(``qemu-system-arm -serial pty``: a /dev/pts device the exporter serves through ser2net as RFC2217). Sharded
run on both places; a place someone else holds is refused naming the holder; ``--reserve`` waits for a place;
the exporter restarted mid-run (ser2net comes back on a new port) loses no frame."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hil.errors import HilError
from hil.farm.shards import FarmRequest
from hil.farm.sharded import run_farm
from hil.runner import BoardOptions, build_firmware, ensure_export
from tofhil.processes import spawn, terminate
from tests.conftest import require
from tests.hil_e2e.conftest import result_outputs

BOARD = "qemu-stm32f405"
PLACES = ("tofhil-a", "tofhil-b")
BIN = Path(sys.executable).parent
FRAMES = 160


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(condition, what: str, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Lab:
    """The coordinator, one exporter (name ``exp1``) and the emulated boards behind its two places."""

    def __init__(self, root: Path, elf: Path):
        self.root, self.elf = root, elf
        self.address = f"127.0.0.1:{_free_port()}"
        self.env = {**os.environ, "LG_COORDINATOR": self.address}
        self.qemus, self.ptys = [], []
        self.coordinator = spawn([str(BIN / "labgrid-coordinator"), "-l", self.address], cwd=root,
                                 stdout=(root / "coordinator.log").open("ab"), stderr=subprocess.STDOUT)
        for _ in PLACES:
            self._start_qemu()
        self.write_exporter_config()
        self.exporter = None
        self.start_exporter()
        for place in PLACES:
            self.client("-p", place, "create")
            self.client("-p", place, "add-match", f"exp1/{place}/NetworkSerialPort")
            self.client("-p", place, "set-tags", f"board={BOARD}")

    def _start_qemu(self, from_thread: bool = False) -> None:
        log = self.root / f"qemu{len(self.qemus)}.log"
        command = ["qemu-system-arm", "-M", "netduinoplus2", "-display", "none", "-monitor", "none", "-icount",
                   "shift=0", "-kernel", str(self.elf), "-serial", "null", "-serial", "pty"]
        # from a test's thread: no spawn() (its parent-death signal fires when the thread ends, and its
        # preexec_fn is unsafe beside grpc's threads); close() stops it by PID
        start = (lambda *a, **k: subprocess.Popen(*a, start_new_session=True, **k)) if from_thread else spawn
        process = start(command, stdin=subprocess.DEVNULL, stdout=log.open("ab"), stderr=subprocess.STDOUT)
        pty = _wait_for(lambda: re.findall(r"/dev/pts/\d+", log.read_text()), "QEMU's pty")[0]
        self.qemus.append(process)
        self.ptys.append(pty)

    def write_exporter_config(self) -> None:
        (self.root / "exporter.yaml").write_text("".join(
            f"{place}:\n  RawSerialPort:\n    port: {pty}\n    speed: 921600\n" for place, pty in zip(PLACES, self.ptys)))

    def replace_board(self, index: int) -> None:
        """A new QEMU for place ``index`` (it gets a new pty): the exporter's YAML names the new pty and the
        exporter is restarted, as docs/board-farm.md tells a lab user to do."""
        terminate(self.qemus[index])
        self._start_qemu(from_thread=True)
        self.qemus[index], self.ptys[index] = self.qemus.pop(), self.ptys.pop()
        self.write_exporter_config()
        self.stop_exporter()
        self.start_exporter()

    def start_exporter(self) -> None:
        # not spawn(): its parent-death signal fires when the starting *thread* ends, and the restart mid-run
        # comes from a thread; close() stops it by PID
        self.exporter = subprocess.Popen(start_new_session=True, args=[str(BIN / "labgrid-exporter"), "-c", self.address, "-n", "exp1", "--hostname",
                               "127.0.0.1", str(self.root / "exporter.yaml")], cwd=self.root,
                              stdout=(self.root / "exporter.log").open("ab"), stderr=subprocess.STDOUT,
                              env=self.env)
        _wait_for(lambda: "exp1/" in self.client("resources", check=False).stdout, "the exported resources")

    def stop_exporter(self) -> None:
        terminate(self.exporter)

    def client(self, *args: str, user: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        env = {**self.env, **({"LG_USERNAME": user} if user else {})}
        result = subprocess.run([str(BIN / "labgrid-client"), *args], env=env, capture_output=True, text=True,
                                timeout=60)
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def holder(self, place: str) -> str:
        return re.search(r"acquired: (\S+)", self.client("-p", place, "show").stdout).group(1)

    def close(self) -> None:
        for process in (self.exporter, *self.qemus, self.coordinator):
            terminate(process)


@pytest.fixture(scope="module")
def lab(tiny_runs, tmp_path_factory):
    for tool in ("qemu-system-arm", "arm-none-eabi-gcc", "ser2net"):
        require(shutil.which(tool) is not None, f"{tool} is not installed (./run.sh installs it)")
    require((BIN / "labgrid-coordinator").exists(), "labgrid is not installed (pip install labgrid==26.0.1)")
    from tofhil.folders import RunFolder

    image = build_firmware(ensure_export(RunFolder.open(tiny_runs[0])), BOARD)
    lab = Lab(tmp_path_factory.mktemp("lab"), Path(image.elf))
    try:
        yield lab
    finally:
        lab.close()


def _first(farm_inputs, count: int = FRAMES):
    """The first ``count`` frames of the test set, their references and single-board outputs: ser2net as
    labgrid starts it has no TCP_NODELAY (~40 ms a round trip), so the whole set would take half a minute."""
    import dataclasses

    from tofhil.validation_inputs import FRAME_ARRAYS, RAW_ARRAYS

    settings, frames, references, single = farm_inputs
    raw = dataclasses.replace(frames.raw, **{k: getattr(frames.raw, k)[:count] for k in RAW_ARRAYS})
    frames = dataclasses.replace(frames, raw=raw, **{k: getattr(frames, k)[:count] for k in FRAME_ARRAYS})
    references = {key: value[:count] if getattr(value, "ndim", 0) else value for key, value in references.items()}
    return settings, frames, references, {i: v for i, v in single.items() if i < count}


def _farm(lab: Lab, farm_inputs, out: Path, places=(), reserve=None, count: int = FRAMES):
    import dataclasses

    from tofhil.validation_inputs import write_references

    settings, frames, references, _ = _first(farm_inputs, count)
    out.mkdir(parents=True)
    write_references(references, out / "references.npz")
    request = FarmRequest([BOARD], places=list(places), coordinator=lab.address, reserve=reserve)
    run_farm(request, BoardOptions(BOARD, timeout_s=1.0, max_attempts=5),
             dataclasses.replace(settings, board=BOARD, output_dir=out), frames, references, progress=False)
    return out


def test_sharded_run_on_two_places_equals_the_single_board_run_and_releases_them(lab, farm_inputs, tmp_path):
    out = _farm(lab, farm_inputs, tmp_path / "two", places=PLACES)
    assert result_outputs(out) == _first(farm_inputs)[3]
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert {r["board"] for r in records} == set(PLACES)
    meta = json.loads((out / "run_meta.json").read_text())
    assert all(meta["shards"][p]["link_url"].startswith("rfc2217://127.0.0.1:") for p in PLACES)
    assert all(lab.holder(place) == "None" for place in PLACES)  # released


def test_a_place_someone_else_holds_is_refused_naming_the_holder(lab, farm_inputs, tmp_path):
    lab.client("-p", PLACES[0], "acquire", user="alice")
    try:
        with pytest.raises(HilError) as refused:
            _farm(lab, farm_inputs, tmp_path / "locked", places=PLACES)
        assert f"--place {PLACES[0]}" in str(refused.value) and "/alice" in str(refused.value)
        assert lab.holder(PLACES[1]) == "None"  # the place acquired before the refusal was released
        assert not (tmp_path / "locked" / "results.jsonl").exists()
    finally:
        lab.client("-p", PLACES[0], "release", user="alice")


def test_reserve_waits_for_a_free_place(lab, farm_inputs, tmp_path):
    for place in PLACES:
        lab.client("-p", place, "acquire", user="alice")
    freed = []

    def free_one_later():
        time.sleep(3)
        lab.client("-p", PLACES[1], "release", user="alice")
        freed.append(time.monotonic())

    threading.Thread(target=free_one_later, daemon=True).start()
    try:
        started = time.monotonic()
        out = _farm(lab, farm_inputs, tmp_path / "reserved", reserve=f"board={BOARD}", count=FRAMES // 2)
    finally:
        lab.client("-p", PLACES[0], "release", user="alice")
    assert freed and freed[0] - started >= 2.5  # it waited for alice
    assert result_outputs(out) == _first(farm_inputs, FRAMES // 2)[3]
    meta = json.loads((out / "run_meta.json").read_text())
    # issue 28: the board is named after the place the coordinator allocated, not "reserved-1"
    assert list(meta["shards"]) == [PLACES[1]] and meta["shards"][PLACES[1]]["place"] == PLACES[1]
    assert {json.loads(line)["board"] for line in (out / "results.jsonl").read_text().splitlines()} == {PLACES[1]}
    assert lab.holder(PLACES[1]) == "None"
    assert "Reservation" not in lab.client("reservations").stdout  # cancelled with the release


def test_exporter_restarted_mid_run_loses_no_frame_and_keeps_the_places(lab, farm_inputs, tmp_path):
    """Issue 28 (1): bob's ``--reserve`` is queued while the run holds both places; the exporter restarts
    mid-run. The run keeps its places while the ports are re-resolved (released, they went to bob's reservation
    and the run dropped its board with "Place ... was not reserved for ...")."""
    out = tmp_path / "restarted"
    single = _first(farm_inputs, 2 * FRAMES)[3]  # time for the exporter to stop and come back mid-run
    ports, bob = [], []

    def restart_exporter_mid_run():
        results = out / "results.jsonl"
        _wait_for(lambda: results.is_file() and len(results.read_bytes().splitlines()) >= 20,
                  "the first frames", 120)
        ports.append(re.findall(r"'port': (\d+)", lab.client("-p", PLACES[0], "show").stdout))
        reserved = lab.client("reserve", "--shell", f"board={BOARD}", user="bob").stdout
        bob.append(re.search(r"LG_TOKEN=(\S+)", reserved).group(1))
        lab.stop_exporter()
        lab.start_exporter()

    restarter = threading.Thread(target=restart_exporter_mid_run, daemon=True)
    restarter.start()
    try:
        _farm(lab, farm_inputs, out, places=PLACES, count=2 * FRAMES)
        restarter.join(30)
    finally:
        for token in bob:
            lab.client("cancel-reservation", token, user="bob", check=False)
    assert ports and bob, "the exporter was not restarted during the run"
    assert result_outputs(out) == single
    meta = json.loads((out / "run_meta.json").read_text())
    assert sum(meta["shards"][p]["restarts"] for p in PLACES) >= 1
    assert [meta["shards"][p]["failure"] for p in PLACES] == [None, None]  # no board dropped
    new_url = meta["shards"][PLACES[0]]["link_url"]
    assert new_url.split(":")[-1].split("?")[0] not in ports[0]  # ser2net came back on another port


def test_pytest_hil_on_two_places(lab, tiny_runs, tmp_path):
    """``pytest hil --place A --place B --coordinator ADDR``: the suite passes with the frames sharded over
    both places, and both are released when the session ends."""
    import hil

    repo = Path(hil.__file__).resolve().parents[1]
    out = tmp_path / "suite"
    command = [sys.executable, "-m", "pytest", str(repo / "hil" / "suite"), "-p", "no:cacheprovider", "-q",
               "--rootdir", str(repo), "--board", BOARD, "--place", PLACES[0], "--place", PLACES[1],
               "--coordinator", lab.address, "--run-dir", str(tiny_runs[0]), "--limit", "40", "--mode", "raw",
               "--gate", "min_accuracy=0", "--hil-output-dir", str(out)]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    records = [json.loads(line) for line in (out / "raw" / "results.jsonl").read_text().splitlines()]
    assert len(records) == 40 and {r["board"] for r in records} == set(PLACES)
    assert all(lab.holder(place) == "None" for place in PLACES)


def test_ctrl_c_mid_run_releases_the_place_and_keeps_the_results(lab, tiny_runs, tmp_path):
    import signal

    import hil

    repo = Path(hil.__file__).resolve().parents[1]
    out = tmp_path / "interrupted"
    command = [sys.executable, "-m", "hil", "run", "--quiet", "--mode", "raw", "--gate", "min_accuracy=0",
               "--board", BOARD, "--place", PLACES[0], "--coordinator", lab.address, "--run-dir", str(tiny_runs[0]),
               "--output-dir", str(out)]
    runner = subprocess.Popen(command, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = out / "results.jsonl"
    _wait_for(lambda: runner.poll() is not None or (results.is_file() and len(results.read_bytes().splitlines())
                                                    >= 10), "the first frames", 180)
    assert lab.holder(PLACES[0]) != "None"
    runner.send_signal(signal.SIGINT)
    stdout, stderr = runner.communicate(timeout=60)
    assert runner.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr and "--resume continues" in stderr
    assert lab.holder(PLACES[0]) == "None"
    assert len(result_outputs(out)) >= 10


def _hil_run(lab: Lab, run_dir: Path, out: Path, *options: str, coordinator: str | None = None):
    import hil

    repo = Path(hil.__file__).resolve().parents[1]
    command = [sys.executable, "-m", "hil", "run", "--quiet", "--mode", "raw", "--gate", "min_accuracy=0",
               "--limit", "40", "--board", BOARD, "--coordinator", coordinator or lab.address, "--run-dir",
               str(run_dir), "--output-dir", str(out), *options]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)


def test_a_refused_place_or_a_dead_coordinator_is_one_line_and_writes_nothing(lab, tiny_runs, tmp_path):
    """Issue 28 (4): a place held by someone leaves no references.npz (nothing is written before the places
    are held), and labgrid's "acquired place ..." / "released place ..." and its root logger's "coordinator is
    unavailable" are not printed above the one-line error."""
    lab.client("-p", PLACES[1], "acquire", user="alice")
    try:
        refused = _hil_run(lab, tiny_runs[0], tmp_path / "refused", "--place", PLACES[0], "--place", PLACES[1])
    finally:
        lab.client("-p", PLACES[1], "release", user="alice")
    assert refused.returncode == 2, refused.stderr[-2000:]
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith(f"error: --place {PLACES[1]}: ") and "/alice" in line
    assert "acquired place" not in refused.stdout and "released place" not in refused.stdout
    assert not (tmp_path / "refused").exists()
    assert lab.holder(PLACES[0]) == "None"

    unavailable = _hil_run(lab, tiny_runs[0], tmp_path / "nobody", "--place", PLACES[0],
                           coordinator=f"127.0.0.1:{_free_port()}")
    assert unavailable.returncode == 2
    [line] = unavailable.stderr.strip().splitlines()
    assert line.startswith("error: labgrid coordinator 127.0.0.1:") and "cannot connect" in line
    assert not (tmp_path / "nobody").exists()


def test_a_places_qemu_back_within_seconds_is_used_again(lab, farm_inputs, tmp_path, monkeypatch, capfd):
    """Issue 28 (3): the place's QEMU dies and a new one is up (exporter told) about 3 s later. ser2net still
    listens, so each bring-up fails at once: the restarts back off (1, 2, 4 s, each said) instead of spending
    all three within a second, and the board is used again; one place, so nothing else could answer."""
    out = tmp_path / "back"
    killed = []
    if lab.qemus[0].poll() is not None:  # a test before it on this pytest-xdist worker left it dead
        lab.replace_board(0)

    def kill_and_bring_back():
        results = out / "results.jsonl"
        _wait_for(lambda: results.is_file() and len(results.read_bytes().splitlines()) >= 20, "the first frames",
                  120)
        os.kill(lab.qemus[0].pid, 9)
        killed.append(time.monotonic())
        time.sleep(2.5)  # longer than the three restarts used to take
        lab.replace_board(0)

    monkeypatch.setattr(threading, "excepthook", lambda args: None)  # pyserial's RFC2217 reader thread
    bringer = threading.Thread(target=kill_and_bring_back, daemon=True)
    bringer.start()
    _farm(lab, farm_inputs, out, places=PLACES[:1])
    bringer.join(60)
    assert killed, "the place's QEMU was not killed during the run"
    assert result_outputs(out) == _first(farm_inputs)[3]
    shard = json.loads((out / "run_meta.json").read_text())["shards"][PLACES[0]]
    assert shard["failure"] is None and shard["restarts"] >= 1
    err = capfd.readouterr().err
    assert f"board {PLACES[0]}: lost (" in err and "bringing it up again in 1 s (1 of 3)" in err


def test_a_places_qemu_killed_mid_run_leaves_its_frames_to_the_other_place(lab, farm_inputs, tmp_path,
                                                                          monkeypatch):
    """The lab's first board stays dead after it (the next test starts with it dead). Its place's pty disappears with it; the frames it
    had go to the other place, every frame is answered once, and the run ends with the lost place named."""
    out = tmp_path / "place-lost"
    single = _first(farm_inputs, 2 * FRAMES)[3]

    def kill_first_board_mid_run():
        results = out / "results.jsonl"
        _wait_for(lambda: results.is_file() and len(results.read_bytes().splitlines()) >= 20, "the first frames",
                  120)
        os.kill(lab.qemus[0].pid, 9)

    uncaught = []  # pyserial's RFC2217 reader thread dies on the dropped connection: no traceback printed
    monkeypatch.setattr(threading, "excepthook", lambda args: uncaught.append(args.exc_type))
    killer = threading.Thread(target=kill_first_board_mid_run, daemon=True)
    killer.start()
    _farm(lab, farm_inputs, out, places=PLACES, count=2 * FRAMES)
    killer.join(30)
    assert uncaught == []
    assert result_outputs(out) == single
    meta = json.loads((out / "run_meta.json").read_text())
    lost = meta["shards"][PLACES[0]]
    assert lost["lost"] and lost["given_back"] >= 1
    assert meta["shards"][PLACES[1]]["frames"] > meta["shards"][PLACES[0]]["frames"]
    assert all(lab.holder(place) == "None" for place in PLACES)


def test_a_place_dead_at_the_start_is_listed_with_its_cause_and_never_restarted(lab, tiny_runs, tmp_path):
    """Issue 28 (2), last in the module: the first place's QEMU is dead (killed by the test above). The run goes on
    with the other place; the dead one is "did not come up" once (no "lost ... bringing it up again" lines for a
    board that never had a frame) and is in summary.txt and the report's board table with its cause."""
    out = tmp_path / "dead"
    if lab.qemus[0].poll() is None:  # the test above ran on another pytest-xdist worker (or was not selected)
        os.kill(lab.qemus[0].pid, 9)
        lab.qemus[0].wait(10)
    result = _hil_run(lab, tiny_runs[0], out, "--place", PLACES[0], "--place", PLACES[1])
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"warning: board {PLACES[0]} did not come up: " in result.stderr
    assert "going on with 1 board\n" in result.stderr
    assert "bringing it up again" not in result.stderr and "lost (" not in result.stderr
    report = json.loads((out / "hil_report.json").read_text())
    rows = {row["board"]: row for row in report["boards"]}
    assert rows[PLACES[1]]["frames"] == 40 and rows[PLACES[0]]["frames"] == 0
    assert rows[PLACES[0]]["failure"].startswith("did not come up: ")
    summary = (out / "summary.txt").read_text()
    [row] = [line for line in summary.splitlines() if line.startswith(PLACES[0])]
    assert "did not come up" in row
    assert "acquired place" in (out / "labgrid.log").read_text()  # labgrid's own lines, not on the terminal
    assert "acquired place" not in result.stdout and "released place" not in result.stdout
