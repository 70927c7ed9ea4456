"""Judge an STM32 board description against its chip: UART instance facts and the clock tree's legality.

Returns the problems; the board parser turns the first into its usual error (file, key, expected, got).
"""
from __future__ import annotations

from tofhil.chips.stm32f4 import USARTS, chip_limits
from tofhil.chips.stm32f4 import HSI_HZ
from tofhil.chips.stm32f4_rules import baud_error, clock_tree_problems, nearest_brr, usart_baud


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
    if uart is not None:
        problems += _baud_problems(spec, uart)
    return problems


def _baud_problems(spec, uart) -> list[tuple[str, str, str]]:
    """The firmware programs the nearest divisor with OVER8 = 0 (BRR >= 16, RM0368 19.6.3): it must land
    within 2.5 % of the board file's rate, from the bus clock the firmware derives (core_hz / APB divider)."""
    core_hz = spec.clock.core_hz if spec.clock.source == "hsi_pll" or spec.kind == "qemu" else HSI_HZ
    bus_hz = core_hz // getattr(spec.clock, f"{uart.bus}_div")
    brr = nearest_brr(bus_hz, spec.uart.baud, over8=0)
    actual = usart_baud(bus_hz, brr, over8=0)
    if abs(baud_error(actual, spec.uart.baud)) > 0.025:
        return [("uart.baud", f"a rate the USART makes within 2.5 % from its {bus_hz / 1e6:g} MHz bus clock "
                              f"(BRR at least 16: at most {bus_hz // 16:,} baud)", f"{spec.uart.baud:,}")]
    return []
