"""Judge an STM32 board description against the chip: UART instance facts and the clock tree's legality."""
from __future__ import annotations

from hil.errors import BoardSpecError
from tofhil.chips.stm32f4 import USARTS, chip_limits
from tofhil.chips.stm32f4_rules import clock_tree_problems


def check_board_against_chip(spec) -> None:
    """Raise BoardSpecError naming the file, key and expected value for the first rule the board breaks."""
    where = spec.source
    try:
        limits = chip_limits(spec.chip)
    except KeyError as exc:
        raise BoardSpecError(f"{where}: chip: {exc.args[0]}") from None
    uart = USARTS.get(spec.uart.instance)
    if uart is not None:
        for key, wanted, got in (("base", f"{uart.base:#x}", f"{spec.uart.base:#x}"),
                                 ("irq", str(uart.irq), str(spec.uart.irq))):
            if wanted != got:
                raise BoardSpecError(f"{where}: uart.{key}: expected {wanted} for {spec.uart.instance}, got {got}")
        for key in ("tx", "rx"):
            pin = getattr(spec.uart, key)
            if pin not in uart.pins:
                raise BoardSpecError(f"{where}: uart.{key}: expected one of {sorted(uart.pins)} for "
                                     f"{spec.uart.instance}, got {pin}")
            if uart.pins[pin] != spec.uart.af:
                raise BoardSpecError(f"{where}: uart.af: expected {uart.pins[pin]} ({spec.uart.instance} on {pin}), "
                                     f"got {spec.uart.af}")
    problems = clock_tree_problems(spec.clock, limits)
    if problems:
        key, expected = problems[0]
        raise BoardSpecError(f"{where}: clock.{key}: expected {expected}, got {getattr(spec.clock, key)}")
