"""What a first NUCLEO-F401RE would still hit (issue 25), seen where a test can see it: the idle loop's
disassembly, QEMU's log of the registers the firmware touches, and the HELLO of a board whose PLL did not lock.

QEMU models no PLL (PLLRDY never sets), so the NUCLEO build run on QEMU *is* a board whose PLL did not lock:
its fallback (16 MHz HSI, APB1 8 MHz) is read back as it is, with no gdbstub poke.

Golden values, from primary sources, not from the code under test:
- DBGMCU_CR 0xE0042004, DBG_SLEEP/STOP/STANDBY bits 0-2: ST's stm32f401xe.h (cmsis_device_f4 cdbad76: DBGMCU_BASE
  l.721, DBGMCU_TypeDef l.200-206, bit positions l.6863-6870); OpenOCD's tcl/target/stm32f4x.cfg (examine-end:
  ``mmw 0xE0042004 0x00000007 0``) is what sets them on a real board.
- BRR at 8 MHz for 115,200 baud, ST's HAL UART_BRR_SAMPLING16 (stm32f4xx_hal_uart.h): UART_DIV_SAMPLING16 =
  8e6 * 25 / (4 * 115200) = 434; mantissa 434 / 100 = 4; fraction ((434 - 400) * 16 + 50) / 100 = 5 -> 0x45
  (8e6 / 69 = 115,942 baud, +0.64 %). The old firmware computed (8e6 + 460800) / 921600 = 9: mantissa 0.
- RM0368 3.5.1 "Increasing the CPU frequency": write LATENCY, then read FLASH_ACR back, then switch SW.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hil.doctor.judgments import hello_clock_problem
from hil.doctor.link_checks import candidate_rates
from tests.firmware.conftest import require_tools
from tests.firmware.qemu_readback import run_and_read, symbol_address
from tofhil.boards import load_board
from tofhil.chips.stm32f4 import FALLBACK_BAUD, USARTS, usart_register
from tofhil.chips.stm32f4_rules import baud_error, usart_baud

NUCLEO = "nucleo-f401re"
DBGMCU_CR, PPB_BASE = 0xE0042004, 0xE0000000
HAL_BRR_SAMPLING16_8MHZ_115200 = 0x45


def _disassembly(elf: Path, function: str) -> list[str]:
    """The instructions of ``function`` (mnemonic and operands), from arm-none-eabi-objdump."""
    require_tools("arm-none-eabi-objdump")
    text = subprocess.run(["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", str(elf)], capture_output=True,
                          text=True, check=True).stdout
    block = re.search(rf"^[0-9a-f]+ <{function}>:\n(.*?)(?:\n\n|\Z)", text, re.S | re.M)
    assert block, f"{function} not in {elf}"
    return [line.split("\t", 1)[1].strip() for line in block.group(1).splitlines() if "\t" in line]


def test_idle_loop_refetches_right_after_wfi(stm32_images):
    """The instruction after WFI is an ISB, so what the core executes on wake-up is fetched again (the errata's
    workaround for a debugger's DBG_SLEEP)."""
    code = [line.split()[0] for line in _disassembly(stm32_images[NUCLEO].elf, "tofhil_board_wait_for_input")]
    assert "wfi" in code, code
    assert code[code.index("wfi") + 1] == "isb", code
    assert code[code.index("wfi") - 1] == "dsb", code


def _compiled_board_layer(image, tmp_path: Path, *defines: str) -> Path:
    """src/tofhil_board_stm32f4.c of the built project compiled alone with its CPU flags (and ``defines``)."""
    project = image.project_dir
    obj = tmp_path / "board.o"
    flags = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-O2", "-std=c99"]
    subprocess.run(["arm-none-eabi-gcc", *flags, *defines, "-Isrc", "-Imodel", "-I.", "-include",
                    "tofhil_board_config.h", "-c", "src/tofhil_board_stm32f4.c", "-o", str(obj)], cwd=project,
                   check=True, capture_output=True, text=True)
    return obj


def test_debug_low_power_bits_are_cleared_unless_the_build_asks_to_debug(stm32_images, tmp_path):
    code = _disassembly(stm32_images[NUCLEO].elf, "tofhil_debug_low_power_init")
    assert any(line.startswith("bic") and line.endswith("#7") for line in code), code  # DBG_SLEEP|STOP|STANDBY
    assert any(line.startswith("str") for line in code), code
    require_tools("arm-none-eabi-gcc")
    kept = _disassembly(_compiled_board_layer(stm32_images[NUCLEO], tmp_path, "-DTOFHIL_DEBUG_LOW_POWER=1"),
                        "tofhil_debug_low_power_init")
    assert not any(line.startswith(("str", "bic")) for line in kept), kept  # the debugger keeps its bits


@pytest.fixture(scope="module")
def unlocked(stm32_images, tmp_path_factory):
    """The NUCLEO firmware on QEMU as it is: no PLL lock. (readback, QEMU log lines, USART2 BRR, clock variable)"""
    require_tools("qemu-system-arm")
    elf = stm32_images[NUCLEO].elf
    log = tmp_path_factory.mktemp("unlocked") / "qemu.log"
    brr_at, clock_at = usart_register(USARTS["USART2"].base, "BRR"), symbol_address(elf, "tofhil_clock_hz")
    readback = run_and_read(elf, log, [brr_at, clock_at])
    return readback, log.read_text(errors="replace").splitlines(), readback.words[brr_at], readback.words[clock_at]


def test_debug_low_power_bits_are_written_at_boot_before_the_clock(unlocked):
    _, lines, _, _ = unlocked
    offset = f"offset {DBGMCU_CR - PPB_BASE:#x}"  # QEMU logs the unmodelled DBGMCU as an unassigned PPB area
    writes = [i for i, line in enumerate(lines) if line.startswith("Write of unassigned area of PPB") and
              line.endswith(offset)]
    first_rcc = next(i for i, line in enumerate(lines) if line.startswith("RCC: "))
    assert writes and writes[0] < first_rcc, "DBGMCU_CR is not written before the clock set-up"


def test_pll_that_does_not_lock_talks_at_a_baud_the_host_tries(unlocked):
    readback, _, brr, clock_hz = unlocked
    spec = load_board(NUCLEO)
    assert clock_hz == readback.hello.core_clock_hz == 16_000_000
    bus_hz = clock_hz // spec.clock.apb1_div
    assert brr == HAL_BRR_SAMPLING16_8MHZ_115200
    assert abs(baud_error(usart_baud(bus_hz, brr, over8=0), FALLBACK_BAUD)) < 0.01
    assert FALLBACK_BAUD in candidate_rates(spec.uart.baud)  # hil doctor and a silent hil run listen there
    problem = hello_clock_problem(readback.hello, spec)
    assert "PLL did not lock" in problem and "115,200 baud" in problem


def test_flash_latency_is_read_back_before_the_clock_rises(unlocked):
    readback, _, _, _ = unlocked
    flash = [(i, a) for i, a in enumerate(readback.accesses) if a.device == "Flash Int" and a.offset == 0]
    assert flash[0][1].op == "write" and flash[1][1].op == "read", "FLASH_ACR is not read back after its write"
    pllcfgr_write = next(i for i, a in enumerate(readback.accesses)
                         if (a.device, a.op, a.offset) == ("RCC", "write", 0x04))
    assert flash[1][0] < pllcfgr_write
    # on QEMU the read gives 0 wait states, so the firmware did not switch to the PLL (SW = 2 never written)
    assert not any(v & 3 == 2 for v in readback.writes("RCC", 0x08))
    assert shutil.which("qemu-system-arm")
