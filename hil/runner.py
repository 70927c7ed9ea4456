"""A validation, end to end: run folder -> export -> firmware -> board -> streamed frames -> output folder.

The library behind ``python -m hil run`` and ``pytest hil``: :class:`BoardSession` brings the board up once
(export and build as needed, cached by model hash; flash or start; handshake; stale firmware refused) and
:func:`validate` streams a test set through it into an output folder (``results.jsonl`` appended as results
arrive, ``references.npz``, ``run_meta.json``, ``serial.log``).
"""
from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import serial

from hil.doctor.judgments import cycle_count_problem, hello_clock_problem
from hil.doctor.silent_board import explain_silent_board
from hil.errors import DeviceTimeoutError, HilError, LinkError
from hil.frame_stream import frame_indices, frame_record, progress_bar, write_run_meta
from hil.links import open_link
from hil.links.serial_log import SerialLog
from hil.protocol.client import DeviceClient
from hil.report.results_log import ResultsLog, completed_indices
from hil.session_stream import session_units, stream_session, unfinished_units
from hil.targets import make_target
from tofhil.folders import ExportFolder, RunFolder
from tofhil.processes import python_step


@dataclass
class BoardOptions:
    """How to reach the board: the command-line options of ``python -m hil`` and ``pytest hil``."""

    board: str
    port: str | None = None  # a device path or a pyserial URL; bypasses discovery
    probe: str | None = None  # ST-LINK serial number, with several boards attached
    flasher: str | None = None
    flash: bool = True
    link_wrapper: str | None = None  # e.g. "faulty://?drop=0.01&seed=1&inner={url}" (fault injection)
    timeout_s: float = 2.0
    max_attempts: int = 10  # sends of one request before the run ends with a timeout error
    place: object = None  # an acquired labgrid place (hil.farm.labgrid_place.PlaceLease): the board is there


@dataclass
class BoardSession:
    """A board running the run's firmware, handshaken; ``close()`` releases everything (idempotent).

    A small strategy: ``open()`` walks new -> built -> started -> linked -> handshaken (``state``). A failure is
    sticky: it is kept in ``failure`` and raised again by every later ``open()``, so a board that cannot come
    up is not brought up again by the CLI, the pytest plugin or a board farm that reuses the session.
    """

    options: BoardOptions
    run: RunFolder
    log_dir: Path
    spec: object = None
    export: ExportFolder | None = None
    image: object = None
    target: object = None
    link: object = None
    client: DeviceClient | None = None
    serial_log: SerialLog | None = None
    timings: dict = field(default_factory=dict)
    state: str = "new"  # new | built | started | linked | handshaken
    failure: Exception | None = None
    build_variables: dict = field(default_factory=dict)  # make VAR=value of a variant image (tests' faults)

    def open(self) -> BoardSession:
        if self.failure is not None:
            raise self.failure
        if self.state == "handshaken":
            return self
        try:
            self._bring_up()
        except Exception as exc:
            self.failure = exc
            raise
        return self

    def _bring_up(self) -> None:
        from tofhil.boards import load_board

        self.spec = load_board(self.options.board)
        started = time.perf_counter()
        self.export = ensure_export(self.run)
        self.image = (build_firmware(self.export, self.options.board) if not self.build_variables else
                      build_firmware(self.export, self.options.board, self.build_variables, self.log_dir))
        self.state = "built"
        self.timings["build_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        self.target = make_target(self.spec, self.options, self.log_dir)
        url = self.target.start(self.image)
        self.state = "started"
        self._connect(url)
        self.timings["bring_up_s"] = round(time.perf_counter() - started, 2)

    def _open_link(self, url: str):
        if self.options.link_wrapper:
            url = self.options.link_wrapper.replace("{url}", url)
        return open_link(url, baudrate=self.spec.uart.baud if self.spec.uart else 921600)

    def _connect(self, url: str) -> None:
        self.link = self._open_link(url)
        self.state = "linked"
        self.serial_log = SerialLog(self.log_dir / "serial.log")
        self.client = DeviceClient(self.link, self.serial_log, timeout_s=self.options.timeout_s,
                                   max_attempts=self.options.max_attempts,
                                   expected_sha256=self.export.model_sha256())
        with self.link_broken_is_an_error("during the handshake"):
            try:
                self.client.handshake()
            except DeviceTimeoutError as exc:  # the same diagnosis as python -m hil doctor, for run and pytest hil
                diagnosis = explain_silent_board(self.spec, self.link, self.options.probe, self.options.port)
                exc.args = (f"{exc}\n{diagnosis}",)
                raise
        clock_problem = hello_clock_problem(self.client.hello, self.spec)
        if clock_problem:
            raise HilError(clock_problem)
        self.state = "handshaken"

    @contextlib.contextmanager
    def link_broken_is_an_error(self, when: str, results: Path | None = None):
        """A link the board (or its emulator) closed is a :class:`LinkError` naming the board and the cause,
        not pyserial's traceback; what was streamed stays in ``results`` for ``--resume``."""
        try:
            yield
        except serial.SerialException as exc:
            kept = f"; the results so far are in {results} (--resume continues)" if results else ""
            log = f"; serial log: {self.serial_log.path}" if getattr(self.serial_log, "path", None) else ""
            raise LinkError(f"board {self.options.board}: the link broke {when} ({exc}){kept}{log}") from None

    def restart(self) -> None:
        """Reset the board through its target, then handshake again and re-check the model before going on
        (the link is reopened when the target's URL changed, as the host board's pty does)."""
        old_url = getattr(self.target, "link_url", None)
        self.serial_log.note("resetting the board")
        self.target.reset()
        new_url = getattr(self.target, "link_url", None)
        link = None
        if new_url != old_url:
            self.link.close()
            link = self.link = self._open_link(new_url)
        self.client.recover_after_reset(link)

    @property
    def planned_resets(self) -> tuple[int, ...]:
        """Frame indices at which a fault-injecting link asks for a board reset."""
        return tuple(getattr(self.link, "reset_at", ()))

    @property
    def injected_faults(self) -> dict | None:
        return getattr(self.link, "faults", None)

    def close(self) -> None:
        for closer in (getattr(self.link, "close", None), getattr(self.serial_log, "close", None),
                       getattr(self.target, "stop", None)):
            if closer:
                try:
                    closer()
                except Exception:  # noqa: BLE001 - closing must go on; the original error matters
                    pass
        if self.failure is None:
            self.state = "new"

    def __enter__(self) -> BoardSession:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()


def ensure_export(run: RunFolder) -> ExportFolder:
    """The run's export folder, made with ``python -m training export`` when missing or older than the model."""
    if (run.export_dir / "model_int8.tflite").is_file():
        export = ExportFolder.open(run.export_dir)
        if export.is_current_for(run):
            return export
    print(f"exporting {run.path} (python -m training export)", file=sys.stderr, flush=True)
    python_step("training", ["export", run.path], f"export of {run.path} failed", error=HilError)
    return ExportFolder.open(run.export_dir)


def build_firmware(export: ExportFolder, board: str, variables: dict | None = None, scratch: Path | None = None):
    from tofhil.firmware import build_project, build_variant_image, generate_project

    project = generate_project(export.path, board)
    if variables:
        return build_variant_image(project, variables, Path(scratch) / "variant")
    return build_project(project)


def validate(session: BoardSession, frames, references: dict, mode: str, output_dir: Path,
             progress: bool = True, resume: bool = False, on_frame=None) -> Path:
    """Stream ``frames`` through the board session by session (:mod:`hil.session_stream`); each session's results
    are appended to ``output_dir/results.jsonl`` when its last frame is answered."""
    output_dir = Path(output_dir)
    done = completed_indices(output_dir / "results.jsonl") if resume else set()
    if not resume and (output_dir / "results.jsonl").exists():
        raise HilError(f"{output_dir / 'results.jsonl'} exists: pass --resume to continue that run, or another "
                       "--output-dir")
    hello = session.client.hello
    if mode == "raw" and not hello.has_preprocessing:
        raise HilError(f"board {hello.board}: the firmware has no on-device preprocessing; use --mode tensor")
    units = unfinished_units(session_units(frames, frame_indices(frames, references, mode),
                                           references.get("times_s")), done)
    streamed = sum(len(unit) for unit in units)
    log, started = ResultsLog(output_dir / "results.jsonl"), time.perf_counter()
    sent_before = session.client.counters.bytes_sent
    received_before = session.client.counters.bytes_received
    already = len(done) - sum(1 for unit in units for index in unit if index in done)
    bar = progress_bar(streamed, already, progress, f"{session.options.board} {mode}")
    try:
        resets = set(session.planned_resets)
        with session.link_broken_is_an_error("while streaming", output_dir / "results.jsonl"):
            for unit in units:
                answered = stream_session(session, unit, frames, references, mode, resets)
                for record in session_records(answered, frames, session.client.hello, session.options.board):
                    if record["index"] not in done:  # logged by an interrupted run: streamed again for the filter
                        log.append(record)
                bar.update(len(unit))
                if on_frame:
                    for index, *_ in answered:
                        on_frame(index)
    finally:
        log.close()
        bar.close()
    with session.link_broken_is_an_error("after streaming", output_dir / "results.jsonl"):
        write_run_meta(session, frames, mode, output_dir, time.perf_counter() - started,
                    session.client.counters.bytes_sent - sent_before,
                    session.client.counters.bytes_received - received_before, streamed)
    return output_dir


def session_records(answered: list, frames, hello, board_name: str) -> list[dict]:
    """The ``results.jsonl`` records of one streamed session (:func:`hil.session_stream.stream_session`)."""
    records = []
    for index, result, attempts, step in answered:
        problem = None if result.status else cycle_count_problem(hello, [result.infer_ticks])
        if problem:  # a stopped DWT counter (a debugger cleared DEMCR) must not pass the latency gate
            raise HilError(f"frame {index}: {problem}")
        record = frame_record(frames, index, result, attempts, step)
        record["board"] = board_name  # which board computed it (a sharded run names each of its boards)
        records.append(record)
    return records
