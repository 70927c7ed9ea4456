"""The STM32F4 board layer's register helpers, compiled for the host with registers mapped onto memory.

QEMU models neither DEMCR nor the DWT, and keeps no trace of barriers, so these two fixes are checked here:
the cycle counter re-armed after a debugger cleared DEMCR (pyOCD's ``CortexM.disconnect`` writes DEMCR = 0
after ``pyocd load``/``pyocd reset``), and an RCC clock enable read back and followed by a DSB (STM32F4
errata: the first access after an enable may be lost).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.firmware.conftest import require_tools

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path(__file__).parent / "c" / "stm32f4_registers_host.c"


def _run(tmp_path: Path) -> dict[str, str]:
    require_tools("gcc")
    binary = tmp_path / "registers"
    subprocess.run([shutil.which("gcc"), "-std=c99", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all", "-I", str(ROOT / "firmware_templates/firmware/stm32f4"),
                    str(SOURCE), "-o", str(binary)], check=True, capture_output=True, text=True)
    output = subprocess.run([str(binary)], check=True, capture_output=True, text=True).stdout
    return {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in output.splitlines()}


def test_cycle_counter_is_rearmed_after_a_debugger_cleared_demcr(tmp_path):
    lines = _run(tmp_path)
    # DEMCR.TRCENA is bit 24, DWT_CTRL.CYCCNTENA bit 0 (ARMv7-M ARM C1.6.5, C1.8.7)
    assert lines["rearmed"] == "demcr=0x01000000 dwt_ctrl=0x00000001"
    assert lines["running"] == "demcr=0x01000001 dwt_ctrl=0x40000001"


def test_rcc_enable_is_read_back_then_fenced(tmp_path):
    lines = _run(tmp_path)
    # one register expression for the read-modify-write, one for the read back, then the DSB ("B");
    # USART2EN is APB1ENR bit 17
    assert lines["rcc"] == "apb1enr=0x00020000 trace=aaB"
