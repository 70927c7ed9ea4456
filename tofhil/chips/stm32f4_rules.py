"""The reference manual's formulas for the STM32F4 clock tree, flash and USART, written once.

Used to judge a board file before the firmware is generated (:func:`clock_tree_problems`), to judge the
registers a running firmware programmed (``tests/firmware/test_register_readback.py``) and by
``python -m hil doctor``. Section numbers are RM0368 rev 5 (STM32F401); RM0090 (STM32F405) has the same
formulas in its sections 7.3.2, 3.5.1 and 30.3.4.
"""
from __future__ import annotations

from dataclasses import dataclass

from tofhil.chips.stm32f4 import HSI_HZ, ChipLimits


def usart_baud(f_ck: float, brr: int, over8: int) -> float:
    """RM0368 19.3.4: baud = f_ck / (8 x (2 - OVER8) x USARTDIV).

    BRR holds DIV_Mantissa in bits 15:4 and DIV_Fraction in bits 3:0; with OVER8 = 1 the fraction has
    three bits (bit 3 must be kept clear), so USARTDIV = mantissa + fraction / (8 x (2 - OVER8)).
    """
    mantissa, fraction = brr >> 4, brr & 0xF
    if over8:
        fraction &= 0x7
    usartdiv = mantissa + fraction / (8 * (2 - over8))
    if usartdiv == 0:
        return 0.0
    return f_ck / (8 * (2 - over8) * usartdiv)


def nearest_brr(f_ck: int, baud: int, over8: int) -> int:
    """The BRR value whose baud is nearest ``baud`` (the divisor the formula above inverts to)."""
    steps = 8 * (2 - over8)                       # USARTDIV in 1/16 (OVER8=0) or 1/8 (OVER8=1)
    guess = int(f_ck / baud)                      # scaled = USARTDIV x steps, and baud = f_ck / scaled
    candidates = range(max(steps, guess - 2), max(steps, guess + 2) + 1)  # USARTDIV >= 1 (RM0368 19.6.3)
    best = min(candidates, key=lambda scaled: abs(f_ck / scaled - baud))
    mantissa, fraction = divmod(best, steps)
    return (mantissa << 4) | fraction


def baud_error(actual: float, wanted: int) -> float:
    """Relative error of ``actual`` against ``wanted`` (0.01 = 1 %)."""
    return (actual - wanted) / wanted


@dataclass(frozen=True)
class PllOutputs:
    vco_in_hz: float
    vco_out_hz: float
    sysclk_hz: float
    pll48_hz: float


def pll_outputs(m: int, n: int, p: int, q: int, input_hz: int = HSI_HZ) -> PllOutputs:
    """RM0368 6.3.2 (RCC_PLLCFGR): f_VCO = f_in x N / M, f_PLLout = f_VCO / P, f_USB_OTG_SDIO = f_VCO / Q."""
    vco_in = input_hz / m
    vco_out = vco_in * n
    return PllOutputs(vco_in, vco_out, vco_out / p, vco_out / q)


def minimum_wait_states(core_hz: int, limits: ChipLimits) -> int:
    """RM0368 3.5.1 table 6 (RM0090 table 10) at 2.7-3.6 V: one wait state per 30 MHz of HCLK started."""
    return max(0, -(-core_hz // limits.hz_per_wait_state) - 1)


def clock_tree_problems(clock, limits: ChipLimits) -> list[tuple[str, str]]:
    """Every rule of the reference manual a board's ``clock`` section breaks, as (key, what is expected).

    ``source: hsi`` keeps the 16 MHz HSI (the emulated board, whose ``core_hz`` is the SysTick rate QEMU
    emulates): the wait states are judged at the HSI's 16 MHz, the bus dividers at ``core_hz``, the clock
    the firmware derives its UART divisor from.
    """
    problems = []
    if clock.source == "hsi_pll":
        pll = pll_outputs(clock.pll_m, clock.pll_n, clock.pll_p, clock.pll_q)
        if not 1_000_000 <= pll.vco_in_hz <= 2_000_000:
            problems.append(("pll_m", f"a VCO input (16 MHz / pll_m) of 1-2 MHz ({limits.reference_manual} "
                                      f"RCC_PLLCFGR), not {pll.vco_in_hz / 1e6:g} MHz"))
        low, high = limits.vco_out_hz
        if not low <= pll.vco_out_hz <= high:
            problems.append(("pll_n", f"a VCO output of {low // 1_000_000}-{high // 1_000_000} MHz "
                                      f"({limits.reference_manual} RCC_PLLCFGR), not {pll.vco_out_hz / 1e6:g} MHz"))
        if pll.pll48_hz > 48_000_000:
            problems.append(("pll_q", f"a 48 MHz clock (VCO / pll_q) of at most 48 MHz, not {pll.pll48_hz / 1e6:g} MHz"))
        core_hz = int(pll.sysclk_hz)
        flash_hz = core_hz
    else:
        core_hz, flash_hz = clock.core_hz, HSI_HZ
    if core_hz > limits.max_core_hz:
        problems.append(("core_hz", f"at most {limits.max_core_hz // 1_000_000} MHz for this chip"))
    for key, maximum in (("apb1_div", limits.max_apb1_hz), ("apb2_div", limits.max_apb2_hz)):
        if core_hz / getattr(clock, key) > maximum:
            problems.append((key, f"a divider that keeps the bus at most {maximum // 1_000_000} MHz "
                                  f"({limits.reference_manual} clock tree), not {core_hz / getattr(clock, key) / 1e6:g} MHz"))
    needed = minimum_wait_states(flash_hz, limits)
    if clock.flash_latency < needed or clock.flash_latency > limits.max_wait_states:
        problems.append(("flash_latency", f"at least {needed} wait states at {flash_hz / 1e6:g} MHz and 2.7-3.6 V "
                                          f"({limits.reference_manual} section 3.5.1 flash access-time table)"))
    return problems


def apb_divider(ppre: int) -> int:
    """RM0368 6.3.3 (RCC_CFGR PPRE1/PPRE2): 0xx: not divided, 100: /2, 101: /4, 110: /8, 111: /16."""
    return 1 if ppre < 4 else 2 << (ppre - 4)


@dataclass(frozen=True)
class PllConfig:
    m: int
    n: int
    p: int
    q: int
    source_hse: bool


def decode_pllcfgr(value: int) -> PllConfig:
    """RM0368 6.3.2: PLLM bits 5:0, PLLN 14:6, PLLP 17:16 (00: /2, 01: /4, 10: /6, 11: /8), PLLSRC 22, PLLQ 27:24."""
    return PllConfig(m=value & 0x3F, n=(value >> 6) & 0x1FF, p=2 * (((value >> 16) & 0x3) + 1),
                     q=(value >> 24) & 0xF, source_hse=bool(value >> 22 & 1))
