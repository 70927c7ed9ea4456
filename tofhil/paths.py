"""Where the shared, non-Python parts live: the C templates and the board descriptions.

Both are found through these two functions only, so a checkout, an editable install and a wheel (which
carries ``firmware_templates`` as package data) resolve them the same way.
"""
from __future__ import annotations

import os
from pathlib import Path

BOARDS_DIR_VARIABLE = "TOFHIL_BOARDS_DIR"


def templates_dir() -> Path:
    """The ``firmware_templates`` tree (runtime, model and firmware templates)."""
    import firmware_templates

    return Path(firmware_templates.__file__).resolve().parent


def boards_dir() -> Path:
    """The folder of board descriptions: ``$TOFHIL_BOARDS_DIR``, else ``configs/boards`` of the checkout."""
    override = os.environ.get(BOARDS_DIR_VARIABLE)
    if override:
        return Path(override)
    return templates_dir().parent / "configs" / "boards"
