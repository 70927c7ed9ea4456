"""An estimate of Cortex-M4 (STM32F401) cycles per inference, until a real board measures it.

Method: QEMU counts instructions, not cycles. The instructions of the inference code
(every ``tofhil_`` function of the linked library but the preprocessing) are taken
from the disassembly and weighted by the Cortex-M4 TRM's cycle counts per class: ALU,
DSP multiply-accumulate (SMLAD, SMLAL, SXTB16) and 32-bit multiplies 1; a single load or
store 2, or 1 when it follows another load/store (address/data phases pipeline);
LDRD/STRD 3; LDM/STM/PUSH/POP 1 + registers; branches 2 (1 + a refill of 1-3,
the ART accelerator's prefetch hiding flash wait states for straight loops); SDIV/UDIV 7;
VDIV 14. The average cycles per instruction of that static mix times the measured
instruction count gives the estimate; weights read from flash add 2 wait states (84 MHz,
LATENCY 2) per 16-byte line, once per inference (the ART data cache holds 8 lines).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

_FUNCTION = re.compile(r"^[0-9a-f]+ <(\w+)>:$")
_INSTRUCTION = re.compile(r"^\s+[0-9a-f]+:\s+(?:[0-9a-f]{4}\s?){1,2}\s+([a-z][\w.]*)\s*(.*)$")
SINGLE_CYCLE_DSP = ("smla", "smul", "smlal", "smull", "umull", "umlal", "sxtb16", "sadd16", "mul", "mla", "mls")
EXCLUDED = ("tofhil_preprocess", "tofhil_status_string", "tofhil_model_run")


def instruction_cycles(mnemonic: str, operands: str, after_memory: bool) -> float:
    base = mnemonic.split(".")[0]
    if base in ("push", "pop", "ldm", "stm", "ldmia", "stmia", "stmdb", "ldmdb", "vpush", "vpop"):
        return 1 + max(1, operands.count(",") + 1 - operands.count("-"))
    if base in ("ldrd", "strd"):
        return 3
    if base.startswith(("ldr", "str", "vldr", "vstr")):
        return 1 if after_memory else 2
    if base in ("sdiv", "udiv"):
        return 7
    if base == "vdiv":
        return 14
    if base.startswith(("b", "cb")) and base not in ("bic", "bics", "bfi", "bfc"):
        return 2
    return 1


def _functions(disassembly: str) -> dict[str, list[tuple[str, str]]]:
    functions, current = {}, None
    for line in disassembly.splitlines():
        header = _FUNCTION.match(line)
        if header:
            current = header.group(1)
            functions[current] = []
        elif current and (match := _INSTRUCTION.match(line)):
            functions[current].append((match.group(1), match.group(2)))
    return functions


def cycles_per_instruction(elf: Path) -> float:
    text = subprocess.run([shutil.which("arm-none-eabi-objdump") or "arm-none-eabi-objdump", "-d", str(elf)],
                          capture_output=True, text=True, check=True).stdout
    total = count = 0.0
    for name, instructions in _functions(text).items():
        if not name.startswith("tofhil_") or name.startswith(EXCLUDED):
            continue
        previous_memory = False
        for mnemonic, operands in instructions:
            total += instruction_cycles(mnemonic, operands, previous_memory)
            previous_memory = mnemonic.startswith(("ldr", "str"))
            count += 1
    return total / count if count else 1.0


def weight_bytes(elf: Path) -> int:
    text = subprocess.run(["arm-none-eabi-nm", "-S", str(elf)], capture_output=True, text=True, check=True).stdout
    return sum(int(parts[1], 16) for parts in (line.split() for line in text.splitlines())
               if len(parts) == 4 and parts[3].startswith("tofhil_op") and parts[2] in "rR")


def estimate_cycles(elf: Path, instructions: int) -> int:
    """Cycles per inference on a Cortex-M4 at 84 MHz with 2 flash wait states (see the module doc)."""
    return round(instructions * cycles_per_instruction(elf) + 2 * (weight_bytes(elf) + 15) // 16)
