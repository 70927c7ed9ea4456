"""The plain context dict the firmware templates render from, every value checked before it reaches C.

A board YAML has already been validated by :mod:`tofhil.board_parse`; this module re-checks each value
at the point it becomes C text (string literal, integer, hex address, register code), so a template
can never emit something that does not compile or means something else.
"""
from __future__ import annotations

import re
from importlib import metadata

from tofhil.errors import FirmwareBuildError
from tofhil.board_spec import BoardSpec
from tofhil.c_flags import DEFAULT_OPT
from tofhil.chips.stm32f4 import FALLBACK_BAUD, PPRE_CODES, USARTS

TIMER_MACROS = {"dwt": "TOFHIL_TIMER_DWT_CYCLES", "systick_icount": "TOFHIL_TIMER_SYSTICK_ICOUNT",
                "host_ns": "TOFHIL_TIMER_HOST_NS"}
# (enable register macro, bit, bus divider key) of each supported USART, from the chip facts
UART_CLOCKS = {name: (f"TOFHIL_{usart.enable_register}_ADDRESS", usart.enable_bit, f"{usart.bus}_div")
               for name, usart in USARTS.items()}
_C_STRING = re.compile(r"^[A-Za-z0-9 ._+:/-]{1,48}$")


def firmware_version() -> str:
    """The tof-hil package version, reported in HELLO."""
    try:
        return metadata.version("tof-hil")
    except metadata.PackageNotFoundError:
        return "0.0.0+checkout"


def c_string(what: str, value: str) -> str:
    """``value`` if it can sit between double quotes in C as is."""
    if not isinstance(value, str) or not _C_STRING.match(value):
        raise FirmwareBuildError(f"{what} {value!r} cannot go into the firmware: expected 1-48 characters "
                                 "of letters, digits, space and ._+:/-")
    return value


def c_uint(what: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FirmwareBuildError(f"{what} = {value!r} cannot go into the firmware: expected an integer "
                                 f"in [{low}, {high}]")
    return value


def c_hex_address(what: str, value: int, alignment: int = 4) -> str:
    c_uint(what, value, 0, 0xFFFFFFFF)
    if value % alignment:
        raise FirmwareBuildError(f"{what} = {value:#x} is not {alignment}-byte aligned")
    return f"0x{value:08X}"


def model_sha256(value: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise FirmwareBuildError(f"model sha256 {value!r} is not 64 lowercase hex digits")
    return value


def pin(what: str, name: str) -> tuple[int, int]:
    """``PA2`` -> (port index 0, pin 2)."""
    match = re.fullmatch(r"P([A-I])(\d{1,2})", name or "")
    if not match or int(match.group(2)) > 15:
        raise FirmwareBuildError(f"{what} {name!r} is not a pin name like PA2")
    return ord(match.group(1)) - ord("A"), int(match.group(2))


def firmware_context(board: BoardSpec, sha256: str, has_preprocess: bool, version: str | None = None,
                     has_postprocess: bool = False) -> dict:
    """Everything the firmware templates need, as plain values."""
    context = {"board": board, "model_sha256": model_sha256(sha256), "has_preprocess": bool(has_preprocess),
               "has_postprocess": bool(has_postprocess),
               "firmware_version": c_string("firmware version", version or firmware_version()),
               "timer_kind_macro": TIMER_MACROS[board.timer], "linker_script": f"tofhil_{board.name}.ld",
               "opt": DEFAULT_OPT}
    c_string("board name", board.name)
    if board.is_arm:
        context.update(_chip_context(board))
    return context


def _chip_context(board: BoardSpec) -> dict:
    c_string("chip", board.chip)
    clock, uart = board.clock, board.uart
    c_uint("clock.core_hz", clock.core_hz, 1_000_000, 480_000_000)
    c_uint("clock.flash_latency", clock.flash_latency, 0, 15)
    if clock.source == "hsi_pll":
        for key, low, high in (("pll_m", 2, 63), ("pll_n", 50, 432), ("pll_p", 2, 8), ("pll_q", 2, 15)):
            c_uint(f"clock.{key}", getattr(clock, key), low, high)
    c_uint("stack_bytes", board.stack_bytes, 256, 65536)
    c_uint("uart.irq", uart.irq, 0, 239)
    c_uint("uart.baud", uart.baud, 1200, 10_000_000)
    c_uint("uart.af", uart.af, 0, 15)
    c_uint("uart.rx_buffer_bytes", uart.rx_buffer_bytes, 64, 65536)
    if uart.instance not in UART_CLOCKS:
        raise FirmwareBuildError(f"uart.instance {uart.instance!r}: the stm32f4 layer drives {sorted(UART_CLOCKS)}")
    register, bit, divider_key = UART_CLOCKS[uart.instance]
    (tx_port, tx_pin), (rx_port, rx_pin) = pin("uart.tx", uart.tx), pin("uart.rx", uart.rx)
    return {"apb1_ppre": _ppre("clock.apb1_div", clock.apb1_div), "apb2_ppre": _ppre("clock.apb2_div", clock.apb2_div),
            "uart": {"base": c_hex_address("uart.base", uart.base) + "u", "tx_port": tx_port, "tx_pin": tx_pin,
                     "rx_port": rx_port, "rx_pin": rx_pin, "rcc_register": register, "rcc_bit": bit,
                     "bus_div": getattr(clock, divider_key), "fallback_baud": FALLBACK_BAUD},
            "memory": {"flash_origin": c_hex_address("memory.flash.origin", board.memory.flash.origin),
                       "ram_origin": c_hex_address("memory.ram.origin", board.memory.ram.origin)}}


def _ppre(what: str, divider: int) -> int:
    if divider not in PPRE_CODES:
        raise FirmwareBuildError(f"{what} = {divider!r}: expected one of {sorted(PPRE_CODES)}")
    return PPRE_CODES[divider]
