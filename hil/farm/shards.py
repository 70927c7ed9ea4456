"""Which boards a sharded validation uses, from the options: ``--parallel N`` emulated boards of one
``--board``, several ``--board`` values of one kind, labgrid places (``--place``, ``--reserve``)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from hil.errors import HilError

EMULATED_KINDS = ("host", "qemu")  # a process the harness starts: N of them are N boards

# A board holds about 7 of this process's file descriptors (its link, serial.log, the emulator's log and
# pipes); pyserial waits on a link with select(), which takes descriptors below FD_SETSIZE (1024) only. 8 a
# board and 64 kept for the rest of the process: --parallel 500 would fail mid-start with 146 boards up.
FDS_PER_BOARD, FDS_KEPT, FD_SETSIZE = 8, 64, 1024


def max_boards() -> int:
    """The most boards one run can hold on this machine (its open-file limit, and select()'s 1024)."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = FD_SETSIZE if soft == resource.RLIM_INFINITY else min(soft, FD_SETSIZE)
    return max(1, (limit - FDS_KEPT) // FDS_PER_BOARD)


def check_board_count(count: int) -> None:
    """A one-line refusal of more boards than :func:`max_boards`, saying why."""
    most = max_boards()
    if count > most:
        raise HilError(f"{count} boards: each holds about {FDS_PER_BOARD} of this process's file descriptors and "
                       f"its link is waited on with select(), which takes descriptors below {FD_SETSIZE} (open-file "
                       f"limit here: see ulimit -n); at most {most} boards in one run (on 2 cores more than 4 "
                       "emulated boards add little: docs/board-farm.md)")


@dataclass(frozen=True)
class Shard:
    name: str  # the board's name in results.jsonl and the per-board table: unique within the run
    board: str  # the board description (configs/boards/<board>.yaml)
    place: str | None = None  # a labgrid place to acquire (--place)
    reserve: str | None = None  # labgrid reservation tags: a place is found at run time (--reserve)

    @property
    def folder(self) -> str:
        """Its log folder's name (serial.log, qemu.log) under ``OUTPUT/boards/``."""
        return re.sub(r"[^A-Za-z0-9._-]", "_", self.name)


def plan_shards(boards: list[str], parallel: int | None, places: list[str], reserve: str | None,
                port: str | None = None) -> list[Shard]:
    """The shards, or a one-line error naming the options that do not go together. One shard means an
    ordinary single-board run (the caller keeps its usual path)."""
    from tofhil.boards import load_board

    boards = list(boards)
    if not boards:
        raise HilError("a sharded run needs --board (the board on every shard)")
    specs = [load_board(name) for name in boards]
    kinds = {spec.kind for spec in specs}
    if len(kinds) > 1:
        raise HilError(f"--board {' '.join(boards)}: boards of different kinds ({', '.join(sorted(kinds))}) "
                       "measure latency in different units; shard over boards of one kind")
    if (places or reserve) and len(set(boards)) > 1:
        raise HilError("--place/--reserve: give one --board, the board every place holds")
    if port and (len(boards) > 1 or (parallel or 1) > 1 or places or reserve):
        raise HilError("--port attaches one board; drop it to shard over several boards")
    if places:
        if parallel and parallel > 1:
            raise HilError("--parallel N starts N emulated boards; with --place give one --place per board")
        if len(set(places)) != len(places):
            raise HilError(f"--place {' '.join(places)}: a place is named twice")
        shards = [Shard(place, boards[0], place=place) for place in places]
        return shards + [Shard(f"reserved-{i + 1}", boards[0], reserve=reserve) for i in range(1 if reserve else 0)]
    if reserve:  # "reserved-N" until the coordinator allocates a place; then named after it (sharded.held_places)
        return [Shard(f"reserved-{i + 1}", boards[0], reserve=reserve) for i in range(parallel or 1)]
    if parallel and parallel > 1:
        if len(boards) > 1:
            raise HilError("--parallel N with several --board values: give one board (N copies of it), "
                           "or several boards without --parallel")
        if specs[0].kind not in EMULATED_KINDS:
            raise HilError(f"--parallel {parallel}: board {boards[0]} is {specs[0].kind}; --parallel starts "
                           f"emulated boards ({', '.join(EMULATED_KINDS)}); real boards are sharded through "
                           "labgrid places (--place, --reserve)")
        return [Shard(f"{boards[0]}#{i + 1}", boards[0]) for i in range(parallel)]
    if len(boards) > 1 and specs[0].kind not in EMULATED_KINDS:
        raise HilError(f"--board {' '.join(boards)}: several physical boards need labgrid places (--place); "
                       "USB discovery finds one board per run")
    names = [f"{board}#{boards[:i + 1].count(board)}" if boards.count(board) > 1 else board
             for i, board in enumerate(boards)]
    return [Shard(name, board) for name, board in zip(names, boards)]


DEFAULT_COORDINATOR = "127.0.0.1:20408"  # labgrid-coordinator's default listen address


@dataclass
class FarmRequest:
    """The farm options of ``hil run`` / ``pytest hil`` as given (checked again by :func:`plan_shards`)."""

    boards: list[str]
    parallel: int | None = None
    places: list[str] | None = None
    coordinator: str | None = None
    reserve: str | None = None

    @property
    def sharded(self) -> bool:
        """Several boards, ``--parallel`` (1 included: one board that is brought back when lost) or a labgrid
        place: the farm path. One local board without these keeps the single-board path."""
        return len(self.boards) > 1 or self.parallel is not None or bool(self.places) or bool(self.reserve)

    def coordinator_address(self) -> str:
        import os

        return self.coordinator or os.environ.get("LG_COORDINATOR") or DEFAULT_COORDINATOR

    def shards(self, board: str, port: str | None = None) -> list[Shard]:
        """``board`` is the resolved board (the first --board, else the run config's hil.board)."""
        return plan_shards(self.boards or [board], self.parallel, list(self.places or []), self.reserve, port)
