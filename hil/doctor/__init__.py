"""``python -m hil doctor``: the first connection to a board, step by step, each with ok / the problem / the fix.

Self-contained: :mod:`.steps` (the report), :mod:`.judgments` (pure checks also used by the runner: HELLO's
clock against the board file, cycle counts), :mod:`.environment` (what the host sees: USB ports, groups,
udev rules, processes; replaced by fakes in tests), :mod:`.host_checks` (USB, permissions, flasher),
:mod:`.link_checks` (HELLO, other baud rates, clock, inferences, stack), :mod:`.silent_board` (what the runner
prints when a board stays silent), :mod:`.doctor` (the walk) and :mod:`.cli` (the subcommand).
"""
from hil.doctor.judgments import cycle_count_problem, hello_clock_problem
from hil.doctor.silent_board import explain_silent_board

__all__ = ["cycle_count_problem", "explain_silent_board", "hello_clock_problem"]
