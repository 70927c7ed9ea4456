"""The typed board description (docs/architecture.md): frozen dataclasses, one per YAML section."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping


@dataclass(frozen=True)
class MemoryRegion:
    origin: int
    size_kib: int

    @property
    def size_bytes(self) -> int:
        return self.size_kib * 1024


@dataclass(frozen=True)
class MemoryMap:
    flash: MemoryRegion
    ram: MemoryRegion


@dataclass(frozen=True)
class ClockSpec:
    core_hz: int
    source: str  # hsi_pll: HSI through the PLL; hsi: keep the reset clock (QEMU models no clock tree)
    pll_m: int | None
    pll_n: int | None
    pll_p: int | None
    pll_q: int | None
    flash_latency: int
    apb1_div: int
    apb2_div: int


@dataclass(frozen=True)
class UartSpec:
    instance: str
    base: int
    irq: int
    tx: str
    rx: str
    af: int
    baud: int
    rx_buffer_bytes: int


@dataclass(frozen=True)
class Budget:
    flash_kib: float
    ram_kib: float


@dataclass(frozen=True)
class UsbIds:
    vid: int
    pids: tuple[int, ...]


@dataclass(frozen=True)
class QemuSpec:
    machine: str
    serial_index: int
    icount_shift: int


@dataclass(frozen=True)
class BoardSpec:
    name: str
    description: str
    kind: str
    family: str
    timer: str
    source: Path
    chip: str | None = None
    cpu_flags: tuple[str, ...] = ()
    memory: MemoryMap | None = None
    clock: ClockSpec | None = None
    uart: UartSpec | None = None
    stack_bytes: int = 0
    budget: Budget | None = None
    flashers: Mapping | None = None  # read-only {"default": name, name: {option: value}}
    usb: UsbIds | None = None
    qemu: QemuSpec | None = None

    @property
    def is_arm(self) -> bool:
        return self.kind in ("physical", "qemu")

    @property
    def cpu(self) -> str:
        """The -mcpu value (``cortex-m4``), or ``host``."""
        for flag in self.cpu_flags:
            if flag.startswith("-mcpu="):
                return flag.split("=", 1)[1]
        return "host"
