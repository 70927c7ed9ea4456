"""STM32F4 facts the firmware relies on: register addresses, bit positions, USART instances, per-chip limits.

The one place these live on the Python side. ``firmware_templates/firmware/stm32f4/tofhil_stm32f4.h`` spells
the same addresses and bits in C; ``tests/firmware/test_chip_facts.py`` checks that header against this module
and this module against golden values read from ST's CMSIS device headers (STM32CubeF4 ``cmsis_device_f4``,
``stm32f401xe.h`` and ``stm32f405xx.h``) and the datasheets' alternate-function tables.
"""
from __future__ import annotations

from dataclasses import dataclass

# Register addresses (RM0368 section 2.3 memory map; ARMv7-M ARM for the system control space)
RCC_BASE = 0x40023800
REGISTERS = {
    "RCC_CR": RCC_BASE + 0x00, "RCC_PLLCFGR": RCC_BASE + 0x04, "RCC_CFGR": RCC_BASE + 0x08,
    "RCC_AHB1ENR": RCC_BASE + 0x30, "RCC_APB1ENR": RCC_BASE + 0x40, "RCC_APB2ENR": RCC_BASE + 0x44,
    "FLASH_ACR": 0x40023C00, "DBGMCU_CR": 0xE0042004,
    "NVIC_ISER0": 0xE000E100, "SCB_CPACR": 0xE000ED88, "SCB_CFSR": 0xE000ED28,
    "SYSTICK_CTRL": 0xE000E010, "SYSTICK_LOAD": 0xE000E014, "SYSTICK_VAL": 0xE000E018,
    "DEMCR": 0xE000EDFC, "DWT_CTRL": 0xE0001000, "DWT_CYCCNT": 0xE0001004,
}
GPIO_BASE, GPIO_STRIDE = 0x40020000, 0x400
GPIO_OFFSETS = {"MODER": 0x00, "OSPEEDR": 0x08, "AFRL": 0x20, "AFRH": 0x24}
USART_OFFSETS = {"SR": 0x00, "DR": 0x04, "BRR": 0x08, "CR1": 0x0C}

# Bit positions
BITS = {
    "RCC_CR_HSION": 0, "RCC_CR_HSIRDY": 1, "RCC_CR_PLLON": 24, "RCC_CR_PLLRDY": 25,
    "RCC_PLLCFGR_PLLN": 6, "RCC_PLLCFGR_PLLP": 16, "RCC_PLLCFGR_PLLSRC": 22, "RCC_PLLCFGR_PLLQ": 24,
    "RCC_CFGR_SWS": 2, "RCC_CFGR_PPRE1": 10, "RCC_CFGR_PPRE2": 13,
    "FLASH_ACR_PRFTEN": 8, "FLASH_ACR_ICEN": 9, "FLASH_ACR_DCEN": 10,
    "DBGMCU_CR_DBG_SLEEP": 0, "DBGMCU_CR_DBG_STOP": 1, "DBGMCU_CR_DBG_STANDBY": 2,
    "USART_SR_ORE": 3, "USART_SR_RXNE": 5, "USART_SR_TXE": 7,
    "USART_CR1_RE": 2, "USART_CR1_TE": 3, "USART_CR1_RXNEIE": 5, "USART_CR1_UE": 13, "USART_CR1_OVER8": 15,
    "DEMCR_TRCENA": 24, "DWT_CTRL_CYCCNTENA": 0,
}
# RCC_CFGR PPRE codes of the APB dividers (RM0368 section 6.3.3)
PPRE_CODES = {1: 0, 2: 4, 4: 5, 8: 6, 16: 7}


@dataclass(frozen=True)
class UsartFacts:
    base: int
    irq: int
    bus: str            # "apb1" | "apb2": the clock it runs from
    enable_register: str
    enable_bit: int
    pins: dict          # pin name -> alternate function number (TX and RX)


USARTS = {
    "USART1": UsartFacts(0x40011000, 37, "apb2", "RCC_APB2ENR", 4, {"PA9": 7, "PA10": 7, "PB6": 7, "PB7": 7}),
    "USART2": UsartFacts(0x40004400, 38, "apb1", "RCC_APB1ENR", 17, {"PA2": 7, "PA3": 7}),
    "USART6": UsartFacts(0x40011400, 71, "apb2", "RCC_APB2ENR", 5, {"PC6": 8, "PC7": 8}),
}


@dataclass(frozen=True)
class ChipLimits:
    """Clock limits of one part at VDD 2.7-3.6 V (a NUCLEO runs at 3.3 V)."""

    reference_manual: str
    max_core_hz: int
    max_apb1_hz: int
    max_apb2_hz: int
    vco_out_hz: tuple[int, int]
    hz_per_wait_state: int    # one more flash wait state per this many MHz (the flash access-time table)
    max_wait_states: int


CHIPS = {
    # RM0368 rev 5: section 6.3.2 (VCO output 192-432 MHz), 6.2 (APB1 <= 42 MHz, APB2 <= 84 MHz), table 6
    # in section 3.5.1 (2.7-3.6 V: 0 WS up to 30 MHz, 1 WS up to 60 MHz, 2 WS up to 84 MHz)
    "STM32F401": ChipLimits("RM0368", 84_000_000, 42_000_000, 84_000_000, (192_000_000, 432_000_000),
                            30_000_000, 2),
    # RM0090 rev 19: section 7.3.2 (VCO output 100-432 MHz), 7.2 (APB1 <= 42 MHz, APB2 <= 84 MHz), table 10
    # in section 3.5.1 (2.7-3.6 V: one wait state per 30 MHz, 5 WS up to 168 MHz)
    "STM32F405": ChipLimits("RM0090", 168_000_000, 42_000_000, 84_000_000, (100_000_000, 432_000_000),
                            30_000_000, 7),
}
HSI_HZ = 16_000_000  # RM0368 section 6.2.2
# the firmware's UART rate when the core is not at the board file's clock (a PLL that did not lock leaves the
# HSI): one the host tries (hil.doctor.link_checks), reachable from HSI / APB1 divider (8 MHz: BRR 69, +0.64 %)
FALLBACK_BAUD = 115_200


def chip_limits(part: str) -> ChipLimits:
    """Limits of a part number (STM32F401RE -> STM32F401)."""
    for prefix, limits in CHIPS.items():
        if part.upper().startswith(prefix):
            return limits
    raise KeyError(f"no clock limits for {part}: known parts {', '.join(CHIPS)}")


def gpio_register(port: int, name: str) -> int:
    return GPIO_BASE + GPIO_STRIDE * port + GPIO_OFFSETS[name]


def usart_register(base: int, name: str) -> int:
    return base + USART_OFFSETS[name]
