"""A validation sharded over several boards: one frame queue, one ``results.jsonl`` (each line names its board),
one ``run_meta.json`` with a ``shards`` entry per board; the report is then built as for one board, so the
merged results equal a single-board run's frame for frame. ``--resume`` continues from ``results.jsonl``."""
from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
import threading
import time
from pathlib import Path

from hil.errors import HilError
from hil.farm.frame_queue import FrameQueue
from hil.farm.shards import Shard
from hil.farm.worker import ResultsSink, ShardWorker, plural
from hil.frame_stream import frame_indices, progress_bar, write_run_meta
from hil.report.results_log import ResultsLog, completed_indices
from hil.session_stream import session_units, unfinished_units
from tofhil.atomic import write_text_atomic

MAX_RESTARTS = 3


def validate_sharded(shards: list[Shard], make_session, frames, references: dict, mode: str, output_dir: Path,
                     progress: bool = True, resume: bool = False, max_restarts: int = MAX_RESTARTS,
                     keep: tuple = ()) -> Path:
    """Stream the frames through every shard's board; ``make_session(shard)`` returns an unopened
    :class:`~hil.runner.BoardSession` (sessions in ``keep`` are the caller's: left open at the end, as the pytest
    plugin's ``hil_board``). Ends with every frame answered, or a :class:`HilError` naming each lost
    board and its cause (the results so far stay in ``results.jsonl`` for ``--resume``)."""
    output_dir = Path(output_dir)
    results = output_dir / "results.jsonl"
    if not resume and results.exists():
        raise HilError(f"{results} exists: pass --resume to continue that run, or another --output-dir")
    done = completed_indices(results) if resume else set()
    # whole sessions, so each stays on one board; an unfinished one (--resume) starts again from its first frame
    units = unfinished_units(session_units(frames, frame_indices(frames, references, mode),
                                           references.get("times_s")), done)
    indices = [index for unit in units for index in unit]
    queue, stop = FrameQueue(units), threading.Event()
    log = ResultsLog(results)
    bar = progress_bar(len(indices), len(done), progress, f"{plural(len(shards), 'board')} {mode}")
    sink = ResultsSink(log, queue, bar, done)
    workers = [ShardWorker(shard, make_session, queue, sink, frames, references, mode, stop, max_restarts)
               for shard in shards]
    try:
        _bring_up(workers, mode)
        started = time.perf_counter()  # the streaming's wall time, as a single-board run's (bring-up apart)
        started_workers = [worker for worker in workers if worker.came_up]  # one that never came up is not
        for worker in started_workers:  # brought up again
            worker.start()
        while any(worker.is_alive() for worker in started_workers):
            for worker in started_workers:
                worker.join(0.2)
        wall = time.perf_counter() - started
        failed = [worker for worker in workers if worker.failure]
        if queue.outstanding:
            lines = "; ".join(f"board {w.shard.name}: {w.failure}" for w in failed) or "no board left"
            raise HilError(f"{lines}; {queue.outstanding} sessions unfinished; the results so far are in {results} "
                           "(--resume continues)")
        for worker in failed:
            if worker.came_up:  # one that never came up was said at the start
                print(f"warning: board {worker.shard.name} dropped out: {worker.failure}; the other boards "
                      "answered its frames", file=sys.stderr, flush=True)
        _write_merged_meta(workers, frames, mode, output_dir, wall, len(indices))
    except KeyboardInterrupt:
        stop.set()
        queue.close()
        for worker in workers:
            if worker.ident is not None:
                worker.join(5)
        raise
    finally:
        log.close()
        bar.close()
        for worker in workers:
            if worker.session is not None and any(worker.session is kept for kept in keep):
                continue
            worker._drop_session()
    return output_dir


def _bring_up(workers: list[ShardWorker], mode: str) -> None:
    """Every board up before streaming: one at a time (the first builds the firmware, the rest reuse it).
    A board that does not come up is left out with its cause (listed as such in run_meta.json, the report's
    board table and summary.txt; never restarted); none coming up is the first one's error."""
    errors = []
    for worker in workers:
        try:
            worker.bring_up()
        except Exception as exc:  # noqa: BLE001 - judged below: one dead board of several is a warning
            worker.failure = "did not come up: " + (str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            worker._drop_session()
            errors.append(exc)
    alive = [worker for worker in workers if worker.came_up]
    if not alive:
        from tofhil.errors import ToolError

        first = errors[0]
        if isinstance(first, ToolError):
            raise first
        raise HilError(f"board {workers[0].shard.name}: could not be brought up ({type(first).__name__}: "
                       f"{workers[0].failure.removeprefix('did not come up: ')})") from None
    hello = alive[0].session.client.hello
    if mode == "raw" and not hello.has_preprocessing:
        raise HilError(f"board {hello.board}: the firmware has no on-device preprocessing; use --mode tensor")
    for worker in workers:
        if not worker.came_up:
            print(f"warning: board {worker.shard.name} {worker.failure}; going on with "
                  f"{plural(len(alive), 'board')}", file=sys.stderr, flush=True)


def _write_merged_meta(workers: list[ShardWorker], frames, mode: str, output_dir: Path, wall: float,
                       streamed: int) -> None:
    """``run_meta.json`` as one board writes it (from a board still up), plus ``shards``: per board, what it
    streamed (accumulated over ``--resume``)."""
    alive = [worker for worker in workers if worker.session is not None and worker.session.client is not None]
    meta_path = output_dir / "run_meta.json"
    previous = json.loads(meta_path.read_text()).get("shards", {}) if meta_path.is_file() else {}
    write_run_meta(alive[0].session, frames, mode, output_dir, wall, sum(w.tally.bytes_sent for w in workers),
                   sum(w.tally.bytes_received for w in workers), streamed)
    meta = json.loads(meta_path.read_text())
    shards = {}
    for worker in workers:
        entry, before = worker.tally.to_dict(), previous.get(worker.shard.name, {})
        for key in ("frames", "seconds", "bytes_sent", "bytes_received", "restarts", "given_back"):
            entry[key] = round(entry[key] + before.get(key, 0), 3)
        entry["lost"] = before.get("lost", []) + entry["lost"]
        session = worker.session
        lease = getattr(getattr(session, "options", None), "place", None)
        entry.update(board=worker.shard.board, place=getattr(lease, "name", None) or worker.shard.place,
                     link_url=getattr(getattr(session, "target", None), "link_url", None), failure=worker.failure,
                     came_up=worker.came_up or before.get("came_up", False))
        shards[worker.shard.name] = entry
    for name, entry in previous.items():  # a board of an earlier part of the run that is not used now
        shards.setdefault(name, entry)
    meta["shards"] = shards
    write_text_atomic(meta_path, json.dumps(meta, indent=2) + "\n")


def run_farm(farm, options, settings, frames, references: dict, progress: bool = True,
             resume: bool = False, prepare=None) -> Path:
    """The sharded validation of ``hil run``: plan the shards, hold their labgrid places (released at the end,
    on a failure and on Ctrl-C), stream, write the merged meta. ``prepare()``, when given, returns the frames
    and references and writes them beside the results: called once the places are held, so a place refused
    at acquire leaves nothing in the output folder."""
    shards = farm.shards(settings.board, options.port)
    with held_places(shards, farm, Path(settings.output_dir) / LABGRID_LOG) as (shards, leases):
        if prepare is not None:
            frames, references = prepare()
        make_session = session_factory(leases, options, settings.run, settings.output_dir)
        return validate_sharded(shards, make_session, frames, references, settings.mode, settings.output_dir,
                                progress, resume)


LABGRID_LOG = "labgrid.log"  # labgrid's own lines (acquired/released place, its logging) in the output folder


@contextlib.contextmanager
def held_places(shards: list[Shard], farm, log_path: Path | None = None):
    """A context holding the shards' labgrid places: yields ``(shards, {shard name: lease})``, a ``--reserve``
    shard named after the place the coordinator allocated to it. Without places: the shards, no lease."""
    if not any(shard.place or shard.reserve for shard in shards):
        yield shards, {}
        return
    from hil.farm.labgrid_place import hold_places

    with hold_places(shards, farm.coordinator_address(), log_path) as leases:
        named = [dataclasses.replace(shard, name=leases[shard.name].name) if shard.reserve else shard
                 for shard in shards]
        yield named, {new.name: leases[old.name] for old, new in zip(shards, named) if old.name in leases}


def session_factory(leases: dict, options, run, output_dir: Path, first=None):
    """``make_session(shard)``: an unopened BoardSession for the shard (on its place when it has one); ``first``
    (an open session, the pytest plugin's ``hil_board``) serves the first shard asked for, once."""
    from hil.runner import BoardSession

    given = [first] if first is not None else []

    def make_session(shard: Shard) -> BoardSession:
        if given:
            return given.pop()
        board_options = dataclasses.replace(options, board=shard.board, place=leases.get(shard.name))
        return BoardSession(board_options, run, Path(output_dir) / "boards" / shard.folder)

    return make_session
