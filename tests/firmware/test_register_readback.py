"""Register read-back: every generated STM32 firmware runs on QEMU and what it programmed is judged by the
reference manual's formulas (tofhil/chips/stm32f4_rules.py), with golden values from ST's HAL macros.

QEMU ignores the baud rate and models no RCC, GPIO or flash interface, so an emulated run passes whatever
those registers hold: this test reads them back instead. USART BRR/CR1 and NVIC come from QMP (QEMU keeps
them), RCC/GPIO/FLASH writes from QEMU's ``-d unimp`` log, the firmware's clock variable from RAM. QEMU has
no PLL: for the NUCLEO build the gdbstub stops at ``tofhil_board_init`` and sets ``tofhil_clock_hz`` to the
84 MHz a locked PLL gives (the firmware's clock set-up already ran and is judged from its RCC writes).

Golden values, from ST's STM32F4 HAL (stm32f4xx_hal_uart.h, UART_BRR_SAMPLING16 / UART_BRR_SAMPLING8, which
work in hundredths and truncate) for PCLK1 = 42 MHz and 921,600 baud:
  UART_DIV_SAMPLING16 = 42e6 * 25 / (4 * 921600) = 284 -> mantissa 2, fraction (84 * 16 + 50) / 100 = 13 -> BRR 0x2D
  UART_DIV_SAMPLING8  = 42e6 * 25 / (2 * 921600) = 569 -> mantissa 5, fraction (69 * 8 + 50) / 100 = 6 -> BRR 0x56
BRR 0x56 with OVER8 = 1 and BRR 0x2E with OVER8 = 0 both give 42e6 / 46 = 913,043 baud (-0.93 %); the HAL's
truncated 0x2D gives 933,333 (+1.27 %), so the nearest divisor is 0x2E.
"""
from __future__ import annotations

import pytest

from tests.firmware.conftest import STM32_BOARDS, require_tools
from tests.firmware.qemu_readback import run_and_read, symbol_address
from tofhil.boards import load_board
from tofhil.chips.stm32f4 import BITS, REGISTERS, USARTS, chip_limits, usart_register
from tofhil.chips.stm32f4_rules import (apb_divider, baud_error, decode_pllcfgr, minimum_wait_states, nearest_brr,
                                        pll_outputs, usart_baud)

HAL_BRR_SAMPLING16_42MHZ_921600 = 0x2D
HAL_BRR_SAMPLING8_42MHZ_921600 = 0x56
EXPECTED_BAUD = 913_043  # 42 MHz / 46


def test_reference_formulas_against_st_hal_golden_values():
    """The formulas judge the registers, so they are checked first against ST's own divisor choices."""
    assert round(usart_baud(42_000_000, HAL_BRR_SAMPLING8_42MHZ_921600, over8=1)) == EXPECTED_BAUD
    assert round(usart_baud(42_000_000, HAL_BRR_SAMPLING16_42MHZ_921600, over8=0)) == 933_333
    assert nearest_brr(42_000_000, 921_600, over8=1) == HAL_BRR_SAMPLING8_42MHZ_921600
    # the nearest divisor is one step from the HAL's truncating pick, and nearer
    assert nearest_brr(42_000_000, 921_600, over8=0) == HAL_BRR_SAMPLING16_42MHZ_921600 + 1
    # HAL golden values at 84 MHz / 115,200 (UART_BRR_SAMPLING16: DIV 4557 -> 45, (57*16+50)/100 = 9 -> 0x2D9)
    assert nearest_brr(84_000_000, 115_200, over8=0) == 0x2D9
    # the old firmware's BRR 0xB3 with OVER8 = 1 (issue 13): 42 MHz / (8 * 11.375) = 461,538 baud
    assert round(usart_baud(42_000_000, 0xB3, over8=1)) == 461_538
    # RM0368 6.3.2 example: HSI 16 MHz / 16 * 336 = VCO 336 MHz, / 4 = 84 MHz, / 7 = 48 MHz
    pll = pll_outputs(16, 336, 4, 7)
    assert (pll.vco_in_hz, pll.vco_out_hz, pll.sysclk_hz, pll.pll48_hz) == (1e6, 336e6, 84e6, 48e6)
    assert minimum_wait_states(84_000_000, chip_limits("STM32F401RE")) == 2   # RM0368 table 6, 2.7-3.6 V
    assert minimum_wait_states(168_000_000, chip_limits("STM32F405RG")) == 5  # RM0090 table 10, 2.7-3.6 V
    assert minimum_wait_states(30_000_000, chip_limits("STM32F401RE")) == 0


@pytest.fixture(scope="module")
def readbacks(tmp_path_factory, stm32_images):
    require_tools("qemu-system-arm")
    results = {}
    for board in STM32_BOARDS:
        export = tmp_path_factory.mktemp(board)
        spec = load_board(board)
        elf = stm32_images[board].elf
        clock_variable = symbol_address(elf, "tofhil_clock_hz")
        uart = USARTS[spec.uart.instance]
        addresses = [usart_register(uart.base, "BRR"), usart_register(uart.base, "CR1"),
                     REGISTERS["NVIC_ISER0"] + 4 * (uart.irq // 32), clock_variable]
        poke = {clock_variable: spec.clock.core_hz} if spec.clock.source == "hsi_pll" else None
        results[board] = (spec, run_and_read(elf, export / "qemu.log", addresses, "tofhil_board_init" if poke else None,
                                             poke), addresses)
    return results


@pytest.mark.parametrize("board", STM32_BOARDS)
def test_usart_runs_within_2_5_percent_of_the_board_files_baud_on_the_nearest_divisor(readbacks, board):
    spec, readback, (brr_at, cr1_at, iser_at, clock_at) = readbacks[board]
    brr, cr1, clock_hz = readback.words[brr_at], readback.words[cr1_at], readback.words[clock_at]
    assert clock_hz == spec.clock.core_hz == readback.hello.core_clock_hz
    over8 = cr1 >> BITS["USART_CR1_OVER8"] & 1
    bus_hz = clock_hz // (spec.clock.apb1_div if USARTS[spec.uart.instance].bus == "apb1" else spec.clock.apb2_div)
    baud = usart_baud(bus_hz, brr, over8)
    assert abs(baud_error(baud, spec.uart.baud)) <= 0.025, f"BRR {brr:#x} OVER8 {over8}: {baud:.0f} baud"
    assert brr == nearest_brr(bus_hz, spec.uart.baud, over8)
    assert round(baud) == EXPECTED_BAUD and over8 == 0  # 42 MHz on both boards; OVER8 = 0 for the HSI's tolerance
    assert abs(brr - HAL_BRR_SAMPLING16_42MHZ_921600) <= 1
    for bit in ("USART_CR1_UE", "USART_CR1_TE", "USART_CR1_RE", "USART_CR1_RXNEIE"):
        assert cr1 >> BITS[bit] & 1, bit
    assert readback.words[iser_at] >> (spec.uart.irq % 32) & 1  # the UART's interrupt is enabled in the NVIC


@pytest.mark.parametrize("board", STM32_BOARDS)
def test_gpio_pins_are_the_uarts_alternate_function(readbacks, board):
    spec, readback, _ = readbacks[board]
    uart = USARTS[spec.uart.instance]
    for pin in (spec.uart.tx, spec.uart.rx):
        port, number = ord(pin[1]) - ord("A"), int(pin[2:])
        device = f"GPIO{pin[1]}"
        moder = readback.writes(device, 0x00)
        assert any(value >> (2 * number) & 3 == 2 for value in moder), f"{pin} MODER {moder}"  # 10: alternate
        afr = readback.writes(device, 0x20 if number < 8 else 0x24)
        assert any(value >> (4 * (number % 8)) & 0xF == uart.pins[pin] for value in afr), f"{pin} AFR {afr}"
        assert port == 0  # both boards use port A; the RCC check below relies on it
    assert any(value & 1 for value in readback.writes("RCC", 0x30))  # GPIOA clock on (AHB1ENR bit 0)


@pytest.mark.parametrize("board", STM32_BOARDS)
def test_every_rcc_clock_enable_is_read_back_before_the_peripheral_is_used(readbacks, board):
    """STM32F4 errata: an access right after an RCC clock enable may be lost; the firmware reads the enable
    register back (and runs a DSB) first. In QEMU's log the read of the same register follows the write."""
    spec, readback, _ = readbacks[board]
    uart = USARTS[spec.uart.instance]
    enable_offset = REGISTERS[uart.enable_register] - REGISTERS["RCC_CR"]
    rcc = [a for a in readback.accesses if a.device == "RCC"]
    enables = [i for i, a in enumerate(rcc) if a.op == "write" and a.offset in (0x30, enable_offset)]
    assert any(rcc[i].offset == enable_offset and rcc[i].value >> uart.enable_bit & 1 for i in enables)
    for i in enables:
        following = rcc[i + 1] if i + 1 < len(rcc) else None
        assert following is not None and (following.op, following.offset) == ("read", rcc[i].offset), (
            f"RCC write at offset {rcc[i].offset:#x} is not read back")


def test_nucleo_clock_tree_writes_give_84_mhz_within_the_reference_manuals_limits(readbacks):
    spec, readback, _ = readbacks["nucleo-f401re"]
    limits = chip_limits(spec.chip)
    (pllcfgr,) = readback.writes("RCC", 0x04)
    pll = decode_pllcfgr(pllcfgr)
    out = pll_outputs(pll.m, pll.n, pll.p, pll.q)
    assert not pll.source_hse and out.sysclk_hz == 84e6 and out.pll48_hz <= 48e6
    assert 1e6 <= out.vco_in_hz <= 2e6 and limits.vco_out_hz[0] <= out.vco_out_hz <= limits.vco_out_hz[1]
    (acr,) = readback.writes("Flash Int", 0x00)
    assert acr & 0xF >= minimum_wait_states(84_000_000, limits)
    assert all(acr >> BITS[bit] & 1 for bit in ("FLASH_ACR_PRFTEN", "FLASH_ACR_ICEN", "FLASH_ACR_DCEN"))
    cfgr = readback.writes("RCC", 0x08)[0]  # prescalers before the switch to the PLL
    apb1 = out.sysclk_hz / apb_divider(cfgr >> BITS["RCC_CFGR_PPRE1"] & 7)
    apb2 = out.sysclk_hz / apb_divider(cfgr >> BITS["RCC_CFGR_PPRE2"] & 7)
    assert (apb1, apb2) == (42e6, 84e6) and apb1 <= limits.max_apb1_hz and apb2 <= limits.max_apb2_hz
    cr_writes = readback.writes("RCC", 0x00)
    assert cr_writes[0] >> BITS["RCC_CR_HSION"] & 1 and cr_writes[-1] >> BITS["RCC_CR_PLLON"] & 1
    # the flash wait states are set before the clock rises (the PLL is switched on last)
    order = [(a.device, a.offset) for a in readback.accesses if a.op == "write"]
    assert order.index(("Flash Int", 0)) < order.index(("RCC", 0x04)) < len(order) - 1 - order[::-1].index(("RCC", 0))


def test_emulated_build_keeps_the_hsi_and_sets_its_prescalers(readbacks):
    spec, readback, _ = readbacks["qemu-stm32f405"]
    assert readback.writes("RCC", 0x04) == [] and readback.writes("Flash Int", 0x00) == []
    (cfgr,) = readback.writes("RCC", 0x08)
    assert apb_divider(cfgr >> BITS["RCC_CFGR_PPRE1"] & 7) == spec.clock.apb1_div == 4
    assert apb_divider(cfgr >> BITS["RCC_CFGR_PPRE2"] & 7) == spec.clock.apb2_div == 2
