"""The C compiler flags every build of our C shares: the exporter's library builds and the firmware project.

One place, so the footprint the exporter measures, the firmware the board runs and the emulated speed all come
from the same optimisation.
"""
from __future__ import annotations

# -ffp-contract=off: no fused multiply-add may change the float32 preprocessing (bit-exact with Python)
COMMON_FLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-ffp-contract=off")
# the generated project's optimisation: the fastest that keeps the shipped model within 8 KiB of flash
# (bench/bench_inference.py: -O2 7.0 KiB and ~18k instructions; -O3 9.3 KiB; -Os 6.1 KiB but ~2x slower)
DEFAULT_OPT = "-O2"
