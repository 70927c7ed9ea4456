"""Judge an STM32 board description against its chip: UART instance facts and the clock tree's legality.

Returns the problems; the board parser turns the first into its usual error (file, key, expected, got).
"""
from __future__ import annotations

from tofhil.chips.stm32f4 import USARTS, chip_limits
from tofhil.chips.stm32f4_rules import clock_tree_problems


def board_problems(spec) -> list[tuple[str, str, str]]:
    """Every rule the board breaks, as (key, what is expected, what the file says)."""
    try:
        limits = chip_limits(spec.chip)
    except KeyError as exc:
        return [("chip", exc.args[0], spec.chip)]
    problems = []
    uart = USARTS.get(spec.uart.instance)
    if uart is not None:
        if uart.base != spec.uart.base:
            problems.append(("uart.base", f"{uart.base:#x} for {spec.uart.instance}", f"{spec.uart.base:#x}"))
        if uart.irq != spec.uart.irq:
            problems.append(("uart.irq", f"{uart.irq} for {spec.uart.instance}", str(spec.uart.irq)))
        for key in ("tx", "rx"):
            pin = getattr(spec.uart, key)
            if pin not in uart.pins:
                problems.append((f"uart.{key}", f"one of {sorted(uart.pins)} for {spec.uart.instance}", pin))
            elif uart.pins[pin] != spec.uart.af:
                problems.append(("uart.af", f"{uart.pins[pin]} ({spec.uart.instance} on {pin})", str(spec.uart.af)))
    for key, expected in clock_tree_problems(spec.clock, limits):
        problems.append((f"clock.{key}", expected, str(getattr(spec.clock, key))))
    return problems
