"""Pure judgments of what a board reports, shared by the doctor and the runner (``hil run``, ``pytest hil``)."""
from __future__ import annotations

from tofhil.chips.stm32f4 import FALLBACK_BAUD

TIMER_DWT = 0  # HELLO timer_kind of the DWT cycle counter (docs/protocol.md)
HSI_HZ = 16_000_000


def hello_clock_problem(hello, spec) -> str | None:
    """A message when the core clock in HELLO is not the board file's (e.g. a PLL that did not lock)."""
    if not getattr(spec, "is_arm", False) or spec.clock is None or hello.core_clock_hz == spec.clock.core_hz:
        return None
    why = ""
    if spec.clock.source == "hsi_pll" and hello.core_clock_hz == HSI_HZ:
        why = (f": its PLL did not lock (the firmware gave up waiting for PLLRDY, or for the flash wait states, "
               f"and kept the 16 MHz HSI; it then talks at {FALLBACK_BAUD:,} baud, not {spec.uart.baud:,}), so "
               "cycle counts are not what the board file says; check the board's power and the clock section of "
               "the board file")
    return (f"board {spec.name} runs at {hello.core_clock_hz:,} Hz, but {spec.source.name} says "
            f"clock.core_hz {spec.clock.core_hz:,}{why}")


def cycle_count_problem(hello, ticks: list[int]) -> str | None:
    """A message when a DWT board reports 0 cycles for an inference: its cycle counter is stopped.

    The firmware reports each inference as CYCCNT(end) - CYCCNT(start); a stopped counter gives 0 (a
    counter cannot run backwards in an unsigned difference, so "not increasing" shows up as 0 as well).
    """
    if hello.timer_kind != TIMER_DWT or all(t > 0 for t in ticks):
        return None
    return (f"board {hello.board} reported {ticks.count(0)} inference(s) taking 0 cycles: its DWT cycle counter "
            "is stopped (a debugger cleared DEMCR.TRCENA, as pyOCD does when its session ends, and the firmware "
            "did not re-arm it); flash a firmware built by this version, which re-arms the counter, and reset "
            "the board without a debugger attached")
