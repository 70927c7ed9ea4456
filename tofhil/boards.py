"""Board descriptions: ``configs/boards/<name>.yaml`` parsed once into frozen :class:`BoardSpec` objects.

The one description of a board that every stage reads: the exporter's footprint build, the firmware project
generator, the HIL targets (QEMU command line, flashers, USB ids). The schema is in docs/architecture.md;
parsing and validation in :mod:`tofhil.board_parse`.
"""
from __future__ import annotations

from tofhil.errors import BoardSpecError
from tofhil.board_parse import NAME_PATTERN, parse_board, parse_board_file
from tofhil.board_spec import (BoardSpec, Budget, ClockSpec, MemoryMap, MemoryRegion, QemuSpec, UartSpec,
                               UsbIds)
from tofhil.paths import boards_dir

__all__ = ["ALIASES", "BoardSpec", "Budget", "ClockSpec", "MemoryMap", "MemoryRegion", "QemuSpec", "UartSpec",
           "UsbIds", "board_choices", "list_boards", "load_board", "parse_board", "parse_board_file"]

# older names still accepted in configs and on the command line
ALIASES = {"netduinoplus2": "qemu-stm32f405"}


def list_boards() -> list[str]:
    """Names of the boards described in the boards folder (aliases excluded)."""
    return sorted(path.stem for path in boards_dir().glob("*.yaml"))


def board_choices() -> tuple[str, ...]:
    """Every name ``load_board`` accepts: the boards and their aliases."""
    return tuple(list_boards()) + tuple(sorted(ALIASES))


def load_board(name: str) -> BoardSpec:
    """Parse and validate ``<boards_dir>/<name>.yaml`` (``name`` may be an alias)."""
    name = ALIASES.get(name, name)
    path = boards_dir() / f"{name}.yaml"
    if not NAME_PATTERN.match(str(name)) or not path.is_file():
        raise BoardSpecError(f"unknown board {name!r}: no {path}; known boards: {', '.join(board_choices())}")
    return parse_board_file(path)


