"""The STM32F4 chip facts live in one place (tofhil/chips/stm32f4.py); this checks that place against ST's
CMSIS device headers and HAL, and the firmware's C header against that place.

Golden values were read from STMicroelectronics/cmsis_device_f4 at commit cdbad761 (July 2024),
Include/stm32f401xe.h and Include/stm32f405xx.h (both give the same values for everything below; line
numbers are stm32f401xe.h's), and from the HAL's stm32f4xx_hal_gpio_ex.h (GPIO_AFx_USARTy). The PyPI
``cmsis-svd-data`` package was not available from this machine's package index, so no SVD is used.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.firmware.conftest import require_tools
from tofhil.chips import stm32f4

ROOT = Path(__file__).resolve().parents[2]

# stm32f401xe.h: PERIPH_BASE 0x40000000 (l.637), APB1PERIPH_BASE = PERIPH_BASE (l.650), APB2PERIPH_BASE
# + 0x10000 (l.651), AHB1PERIPH_BASE + 0x20000 (l.652); USART2_BASE APB1 + 0x4400 (l.667), USART1_BASE
# APB2 + 0x1000 (l.675), USART6_BASE APB2 + 0x1400 (l.676), GPIOA_BASE AHB1 + 0 (l.691), GPIOB_BASE AHB1 +
# 0x400 (l.692), RCC_BASE AHB1 + 0x3800 (l.698), FLASH_R_BASE AHB1 + 0x3C00 (l.699); RCC_TypeDef: CR 0x00,
# PLLCFGR 0x04, CFGR 0x08, AHB1ENR 0x30, APB1ENR 0x40, APB2ENR 0x44; USART_TypeDef: SR, DR, BRR, CR1 at 0,
# 4, 8, 0x0C; GPIO_TypeDef: MODER 0x00, OSPEEDR 0x08, AFR[0] 0x20, AFR[1] 0x24.
CMSIS_ADDRESSES = {
    "RCC_CR": 0x40023800, "RCC_PLLCFGR": 0x40023804, "RCC_CFGR": 0x40023808, "RCC_AHB1ENR": 0x40023830,
    "RCC_APB1ENR": 0x40023840, "RCC_APB2ENR": 0x40023844, "FLASH_ACR": 0x40023C00,
    # core_cm4.h: NVIC_BASE 0xE000E100, SCB CPACR 0xE000ED88, CFSR 0xE000ED28, SysTick 0xE000E010..18,
    # CoreDebug DEMCR 0xE000EDFC, DWT_BASE 0xE0001000 (CTRL +0, CYCCNT +4)
    "NVIC_ISER0": 0xE000E100, "SCB_CPACR": 0xE000ED88, "SCB_CFSR": 0xE000ED28, "SYSTICK_CTRL": 0xE000E010,
    "SYSTICK_LOAD": 0xE000E014, "SYSTICK_VAL": 0xE000E018, "DEMCR": 0xE000EDFC, "DWT_CTRL": 0xE0001000,
    "DWT_CYCCNT": 0xE0001004,
    # stm32f401xe.h DBGMCU_BASE 0xE0042000UL (l.721), DBGMCU_TypeDef CR at offset 0x04 (l.200-206)
    "DBGMCU_CR": 0xE0042004,
}
# *_Pos macros: RCC_CR_HSION 0, HSIRDY 1, PLLON 24, PLLRDY 25 (l.3871-3914); RCC_PLLCFGR_PLLN 6, PLLP 16,
# PLLSRC 22, PLLQ 24 (l.3940-3967); RCC_CFGR_SWS 2, PPRE1 10, PPRE2 13 (l.3989-4033); FLASH_ACR_PRFTEN 8,
# ICEN 9, DCEN 10 (l.2304-2310); USART_SR_ORE 3, RXNE 5, TXE 7 (l.6611-6623); USART_CR1_RE 2, TE 3,
# RXNEIE 5, UE 13, OVER8 15 (l.6653-6689); core_cm4.h CoreDebug_DEMCR_TRCENA_Pos 24, DWT_CTRL_CYCCNTENA_Pos 0
CMSIS_BITS = {
    "RCC_CR_HSION": 0, "RCC_CR_HSIRDY": 1, "RCC_CR_PLLON": 24, "RCC_CR_PLLRDY": 25, "RCC_PLLCFGR_PLLN": 6,
    "RCC_PLLCFGR_PLLP": 16, "RCC_PLLCFGR_PLLSRC": 22, "RCC_PLLCFGR_PLLQ": 24, "RCC_CFGR_SWS": 2,
    "RCC_CFGR_PPRE1": 10, "RCC_CFGR_PPRE2": 13, "FLASH_ACR_PRFTEN": 8, "FLASH_ACR_ICEN": 9, "FLASH_ACR_DCEN": 10,
    "USART_SR_ORE": 3, "USART_SR_RXNE": 5, "USART_SR_TXE": 7, "USART_CR1_RE": 2, "USART_CR1_TE": 3,
    "USART_CR1_RXNEIE": 5, "USART_CR1_UE": 13, "USART_CR1_OVER8": 15, "DEMCR_TRCENA": 24, "DWT_CTRL_CYCCNTENA": 0,
    # DBGMCU_CR_DBG_SLEEP_Pos 0, DBG_STOP_Pos 1, DBG_STANDBY_Pos 2 (stm32f401xe.h l.6863-6870)
    "DBGMCU_CR_DBG_SLEEP": 0, "DBGMCU_CR_DBG_STOP": 1, "DBGMCU_CR_DBG_STANDBY": 2,
}
FLASH_ACR_LATENCY_MSK = 0x7  # FLASH_ACR_LATENCY_Msk (stm32f401xe.h l.2292; stm32f405xx.h gives the same)
# IRQn_Type: USART1_IRQn 37, USART2_IRQn 38, USART6_IRQn 71 (l.110, 111, 128); RCC_APB2ENR_USART1EN_Pos 4,
# RCC_APB1ENR_USART2EN_Pos 17, RCC_APB2ENR_USART6EN_Pos 5 (l.4324-4347); HAL GPIO_AF7_USART1 = GPIO_AF7_USART2
# = 0x07, GPIO_AF8_USART6 = 0x08 (datasheet DS10086 table 9: PA2/PA3 USART2, PA9/PA10 and PB6/PB7 USART1, PC6/PC7
# USART6)
CMSIS_USARTS = {
    "USART1": (0x40011000, 37, "RCC_APB2ENR", 4, 7, "apb2"),
    "USART2": (0x40004400, 38, "RCC_APB1ENR", 17, 7, "apb1"),
    "USART6": (0x40011400, 71, "RCC_APB2ENR", 5, 8, "apb2"),
}
# RCC_CFGR PPRE: 0xx not divided, 100 /2, 101 /4, 110 /8, 111 /16 (RCC_CFGR_PPRE1_DIV2 = 0x1000 = 4 << 10, ...)
CMSIS_PPRE = {1: 0, 2: 4, 4: 5, 8: 6, 16: 7}


def test_python_chip_facts_match_st_cmsis():
    assert stm32f4.REGISTERS == CMSIS_ADDRESSES
    assert stm32f4.BITS == CMSIS_BITS
    assert stm32f4.PPRE_CODES == CMSIS_PPRE
    assert (stm32f4.GPIO_BASE, stm32f4.GPIO_STRIDE) == (0x40020000, 0x400)
    assert stm32f4.GPIO_OFFSETS == {"MODER": 0x00, "OSPEEDR": 0x08, "AFRL": 0x20, "AFRH": 0x24}
    assert stm32f4.USART_OFFSETS == {"SR": 0x00, "DR": 0x04, "BRR": 0x08, "CR1": 0x0C}
    for name, (base, irq, register, bit, af, bus) in CMSIS_USARTS.items():
        usart = stm32f4.USARTS[name]
        assert (usart.base, usart.irq, usart.enable_register, usart.enable_bit, usart.bus) == (base, irq, register,
                                                                                                 bit, bus)
        assert set(usart.pins.values()) == {af}


@pytest.fixture(scope="module")
def header_values(tmp_path_factory) -> dict[str, int]:
    require_tools("gcc")
    binary = tmp_path_factory.mktemp("facts") / "dump"
    subprocess.run([shutil.which("gcc"), "-std=c99", "-Wall", "-Werror", "-I",
                    str(ROOT / "firmware_templates/firmware/stm32f4"), str(Path(__file__).parent / "c" /
                                                                          "stm32f4_facts_dump.c"), "-o", str(binary)],
                   check=True, capture_output=True, text=True)
    output = subprocess.run([str(binary)], check=True, capture_output=True, text=True).stdout
    return {name: int(value) for name, value in (line.rsplit(" ", 1) for line in output.splitlines())}


def test_firmware_header_spells_the_same_facts(header_values):
    values = header_values
    registers = {"RCC_CR": "TOFHIL_RCC_CR", "RCC_PLLCFGR": "TOFHIL_RCC_PLLCFGR", "RCC_CFGR": "TOFHIL_RCC_CFGR",
                 "RCC_AHB1ENR": "TOFHIL_RCC_AHB1ENR_ADDRESS", "RCC_APB1ENR": "TOFHIL_RCC_APB1ENR_ADDRESS",
                 "RCC_APB2ENR": "TOFHIL_RCC_APB2ENR_ADDRESS", "FLASH_ACR": "TOFHIL_FLASH_ACR",
                 "NVIC_ISER0": "TOFHIL_NVIC_ISER(0)", "SCB_CPACR": "TOFHIL_SCB_CPACR", "SCB_CFSR": "TOFHIL_SCB_CFSR",
                 "SYSTICK_CTRL": "TOFHIL_SYSTICK_CTRL", "SYSTICK_LOAD": "TOFHIL_SYSTICK_LOAD",
                 "SYSTICK_VAL": "TOFHIL_SYSTICK_VAL", "DEMCR": "TOFHIL_DEMCR", "DWT_CTRL": "TOFHIL_DWT_CTRL",
                 "DWT_CYCCNT": "TOFHIL_DWT_CYCCNT", "DBGMCU_CR": "TOFHIL_DBGMCU_CR"}
    for fact, macro in registers.items():
        assert values[macro] == stm32f4.REGISTERS[fact], macro
    assert values["TOFHIL_GPIO_MODER(2)"] == stm32f4.gpio_register(2, "MODER")
    for name, macro in (("MODER", "TOFHIL_GPIO_MODER(0)"), ("OSPEEDR", "TOFHIL_GPIO_OSPEEDR(0)"),
                        ("AFRL", "TOFHIL_GPIO_AFR(0, 0)"), ("AFRH", "TOFHIL_GPIO_AFR(0, 8)")):
        assert values[macro] == stm32f4.gpio_register(0, name), macro
    for name in ("SR", "DR", "BRR", "CR1"):
        assert values[f"TOFHIL_USART_{name}(0)"] == stm32f4.usart_register(0, name)
    for fact, bit in stm32f4.BITS.items():
        macro = f"TOFHIL_{fact}"
        if macro in values:
            assert values[macro] == 1 << bit, macro
    assert values["TOFHIL_RCC_CFGR_SWS_SHIFT"] == stm32f4.BITS["RCC_CFGR_SWS"]
    assert values["TOFHIL_RCC_CFGR_SW_PLL"] == 2  # RCC_CFGR_SW_PLL = 0x2 (stm32f401xe.h)
    checked = sum(f"TOFHIL_{fact}" in values for fact in stm32f4.BITS)
    assert values["TOFHIL_FLASH_ACR_LATENCY_MASK"] == FLASH_ACR_LATENCY_MSK
    assert checked == 20  # every bit macro of the header is compared (a renamed macro would drop out)
