"""``python -m hil compare OUT_A OUT_B``: two HIL output folders side by side (emulator vs board, two boards, two
builds), frame by frame.

``pairs.py`` lines up the frames both folders hold; ``mcnemar.py`` is the paired test of two accuracies;
``comparison.py`` computes every figure as one JSON-ready dict; ``render.py`` prints it; ``cli.py`` is the
command (exit 1 when an output differs, so CI can gate on "the board equals the emulator").
"""
from __future__ import annotations

from hil.compare.comparison import compare_folders

__all__ = ["compare_folders"]
