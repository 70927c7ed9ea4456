"""Targets bring a board to "running our firmware, link open": host (pty), QEMU (TCP), physical (USB).

:data:`TARGET_KINDS` maps a board kind (``kind:`` in configs/boards/*.yaml, checked by ``tofhil.board_parse``)
to the module and class that bring it up; a new kind is one module here plus one entry. Modules are imported
only when their kind is used (the physical target pulls in the flashers and USB discovery).
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from hil.targets.base import Target

__all__ = ["TARGET_KINDS", "Target", "make_target"]

TARGET_KINDS = {"host": "hil.targets.host:HostTarget", "qemu": "hil.targets.qemu:QemuTarget",
                "physical": "hil.targets.physical:PhysicalTarget"}


def target_class(kind: str) -> type[Target]:
    module, name = TARGET_KINDS[kind].split(":")
    return getattr(importlib.import_module(module), name)


def make_target(spec: Any, options: Any, log_dir: Path) -> Target:
    """The target of ``spec.kind`` built from the command-line options (:class:`hil.runner.BoardOptions`);
    ``--port`` attaches to a host or QEMU board that is already running instead of starting one."""
    if getattr(options, "place", None) is not None:  # a labgrid place holds the board (hil/farm/)
        from hil.targets.place import PlaceTarget

        return PlaceTarget(spec, options.place, options, Path(log_dir))
    cls = target_class(spec.kind)
    if options.port and cls.attachable:
        from hil.targets.attached import AttachedTarget

        return AttachedTarget(spec, options.port)
    return cls.from_options(spec, options, Path(log_dir))
