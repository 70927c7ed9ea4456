"""Flash and RAM of a linked ELF from ``arm-none-eabi-size -A``: one measurement for the exporter's
footprint report (the model library alone) and the firmware image (the whole firmware)."""
from __future__ import annotations

FLASH_SECTIONS = (".isr_vector", ".text", ".rodata", ".data", ".ARM.exidx", ".ARM.extab")
# .stack is the firmware's reserved stack (NOLOAD); the library-only footprint build has none
RAM_SECTIONS = (".data", ".bss", ".stack")


def parse_section_sizes(size_output: str) -> dict[str, int]:
    """Section name -> bytes, from the text of ``size -A FILE``."""
    sizes = {}
    for line in size_output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def flash_bytes(sections: dict[str, int]) -> int:
    return sum(sections.get(name, 0) for name in FLASH_SECTIONS)


def ram_bytes(sections: dict[str, int]) -> int:
    return sum(sections.get(name, 0) for name in RAM_SECTIONS)
