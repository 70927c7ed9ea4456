"""Where the shared, non-Python parts live: the C templates and the board descriptions.

Both are found through these two functions only, so a checkout, an editable install and a wheel resolve them
the same way. A wheel carries ``firmware_templates`` as package data and the board YAMLs as data files
(``<prefix>/share/tof-hil/boards``).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

BOARDS_DIR_VARIABLE = "TOFHIL_BOARDS_DIR"
INSTALLED_BOARDS = Path("share") / "tof-hil" / "boards"


def templates_dir() -> Path:
    """The ``firmware_templates`` tree (runtime, model and firmware templates)."""
    import firmware_templates

    return Path(firmware_templates.__file__).resolve().parent


def boards_dir() -> Path:
    """``$TOFHIL_BOARDS_DIR``, else ``configs/boards`` of the checkout, else the installed copy."""
    override = os.environ.get(BOARDS_DIR_VARIABLE)
    if override:
        return Path(override)
    checkout = templates_dir().parent / "configs" / "boards"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / INSTALLED_BOARDS
