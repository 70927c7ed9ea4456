"""Parse one board YAML into a :class:`BoardSpec`: every key validated, unknown keys are errors."""
from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import yaml

from tofhil.errors import BoardSpecError
from tofhil.board_spec import (BoardSpec, Budget, ClockSpec, MemoryMap, MemoryRegion, QemuSpec, UartSpec,
                               UsbIds)
from tofhil.board_yaml import SectionReader

KINDS = ("physical", "qemu", "host")
FAMILIES = ("stm32f4", "host")
TIMERS = ("dwt", "systick_icount", "host_ns")
CLOCK_SOURCES = ("hsi_pll", "hsi")
# flasher -> (required, optional) YAML settings; hil.flashers.FLASHERS has one class per name (a test checks it)
FLASHER_SETTINGS = {"pyocd": (("target",), ("frequency",)), "st-flash": ((), ("reset",)), "openocd": (("config",), ()),
                    "stm32cubeprogrammer": ((), ("port",)), "mass-storage": ((), ("volume_label", "path"))}
FLASHER_OPTIONS = {name: required + optional for name, (required, optional) in FLASHER_SETTINGS.items()}
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
_PIN = re.compile(r"^P[A-I](1[0-5]|[0-9])$")
_CPU_FLAG = re.compile(r"^-m[a-z0-9][a-z0-9=.+-]*$")


def parse_board_file(path: Path) -> BoardSpec:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise BoardSpecError(f"{path}: cannot read the board description: {exc}") from exc
    return parse_board(data, Path(path))


def parse_board(data, source: Path) -> BoardSpec:
    top = SectionReader(source, data)
    name = top.text("name")
    if not NAME_PATTERN.match(name) or name != source.stem:
        raise top.error("name", f"lowercase letters, digits and '-', equal to the file name {source.stem!r}", name)
    kind = top.text("kind", KINDS)
    common = {"name": name, "description": top.text("description"), "kind": kind, "family": top.text("family", FAMILIES),
              "timer": top.text("timer", TIMERS), "source": source}
    if kind == "host":
        top.forbid(("chip", "cpu_flags", "memory", "clock", "uart", "flashers", "usb", "qemu"), "for a host board")
        spec = BoardSpec(**common, budget=_budget(top.section("budget", required=False)))
    else:
        spec = BoardSpec(**common, **_chip_fields(top, kind))
    top.finish()
    _check_consistency(spec, top)
    return spec


def _chip_fields(top: SectionReader, kind: str) -> dict:
    fields = {"chip": _chip(top), "cpu_flags": _cpu_flags(top),
              "memory": _memory(top.section("memory")), "clock": _clock(top.section("clock")),
              "uart": _uart(top.section("uart")), "stack_bytes": top.integer("stack_bytes", 256, 65536),
              "budget": _budget(top.section("budget", required=False))}
    if kind == "physical":
        top.forbid(("qemu",), "for a physical board")
        fields.update(flashers=_flashers(top.section("flashers")), usb=_usb(top.section("usb")))
    else:
        top.forbid(("flashers", "usb"), "for an emulated board")
        fields["qemu"] = _qemu(top.section("qemu"))
    return fields


def _chip(top: SectionReader) -> str:
    chip = top.text("chip")
    if not re.fullmatch(r"STM32[A-Z0-9]{4,12}", chip):
        raise top.error("chip", "an STM32 part number such as STM32F401RE", chip)
    return chip


def _cpu_flags(top: SectionReader) -> tuple[str, ...]:
    flags = top.text_list("cpu_flags")
    if not all(_CPU_FLAG.match(flag) for flag in flags) or not any(f.startswith("-mcpu=") for f in flags):
        raise top.error("cpu_flags", "GCC machine flags (-mcpu=..., -mthumb, ...), one of them -mcpu", list(flags))
    return flags


def _region(section: SectionReader) -> MemoryRegion:
    region = MemoryRegion(section.integer("origin", 0, 0xFFFFFFFF, hex_form=True),
                          section.integer("size_kib", 1, 1 << 20))
    section.finish()
    if region.origin % 4 or region.origin + region.size_bytes > 1 << 32:
        raise section.error("origin", "a 4-byte aligned region inside the 32-bit address space", region.origin)
    return region


def _memory(section: SectionReader) -> MemoryMap:
    memory = MemoryMap(_region(section.section("flash")), _region(section.section("ram")))
    section.finish()
    return memory


def _clock(section: SectionReader) -> ClockSpec:
    source = section.text("source", CLOCK_SOURCES)
    with_pll = source == "hsi_pll"
    pll = {key: section.integer(key, low, high) if with_pll else None
           for key, low, high in (("pll_m", 2, 63), ("pll_n", 50, 432), ("pll_p", 2, 8), ("pll_q", 2, 15))}
    if not with_pll:
        section.forbid(tuple(pll), "without source: hsi_pll")
    clock = ClockSpec(core_hz=section.integer("core_hz", 1_000_000, 480_000_000), source=source, **pll,
                      flash_latency=section.integer("flash_latency", 0, 15, default=0),
                      apb1_div=_divider(section, "apb1_div"), apb2_div=_divider(section, "apb2_div"))
    section.finish()
    if with_pll and clock.pll_p not in (2, 4, 6, 8):
        raise section.error("pll_p", "2, 4, 6 or 8", clock.pll_p)
    if with_pll and 16_000_000 // clock.pll_m * clock.pll_n // clock.pll_p != clock.core_hz:
        raise section.error("core_hz", f"16 MHz HSI / pll_m * pll_n / pll_p = "
                            f"{16_000_000 // clock.pll_m * clock.pll_n // clock.pll_p}", clock.core_hz)
    return clock


def _divider(section: SectionReader, key: str) -> int:
    value = section.integer(key, 1, 16, default=1)
    if value not in (1, 2, 4, 8, 16):
        raise section.error(key, "1, 2, 4, 8 or 16", value)
    return value


def _uart(section: SectionReader) -> UartSpec:
    uart = UartSpec(instance=section.text("instance", ("USART1", "USART2", "USART6")),
                    base=section.integer("base", 0x40000000, 0x5FFFFFFF, hex_form=True),
                    irq=section.integer("irq", 0, 239), tx=_pin(section, "tx"), rx=_pin(section, "rx"),
                    af=section.integer("af", 0, 15), baud=section.integer("baud", 1200, 10_000_000),
                    rx_buffer_bytes=section.integer("rx_buffer_bytes", 64, 65536, default=1024))
    section.finish()
    if uart.rx_buffer_bytes & (uart.rx_buffer_bytes - 1):
        raise section.error("rx_buffer_bytes", "a power of two (the ring index wraps with a mask)",
                            uart.rx_buffer_bytes)
    return uart


def _pin(section: SectionReader, key: str) -> str:
    value = section.text(key)
    if not _PIN.match(value):
        raise section.error(key, "a pin name like PA2 (port A-I, pin 0-15)", value)
    return value


def _budget(section: SectionReader | None) -> Budget | None:
    if section is None:
        return None
    budget = Budget(section.number("flash_kib", 0.1, 65536), section.number("ram_kib", 0.1, 65536))
    section.finish()
    return budget


def _flashers(section: SectionReader) -> Mapping:
    default = section.text("default", tuple(FLASHER_OPTIONS))
    options = {}
    for name in section.keys():
        if name == "default":
            continue
        if name not in FLASHER_OPTIONS:
            raise BoardSpecError(f"{section.source}: unknown key {section.prefix}{name} "
                                 f"(flashers: {', '.join(FLASHER_OPTIONS)})")
        options[name] = _flasher_options(section.section(name, required=False), name)
    if default not in options:
        raise section.error("default", f"a flasher configured in this section ({', '.join(options)})", default)
    section.finish()
    return MappingProxyType({"default": default, **options})


def _flasher_options(section: SectionReader | None, name: str) -> Mapping:
    if section is None:
        return MappingProxyType({})
    values = {}
    for key in FLASHER_OPTIONS[name]:
        if section.has(key):
            value = section.raw(key, "a string or an integer")
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise section.error(key, "a string or an integer", value)
            values[key] = value
    section.finish()
    return MappingProxyType(values)


def _usb(section: SectionReader) -> UsbIds:
    usb = UsbIds(section.integer("vid", 1, 0xFFFF, hex_form=True), section.integer_list("pids", 1, 0xFFFF))
    section.finish()
    return usb


def _qemu(section: SectionReader) -> QemuSpec:
    machine = section.text("machine")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", machine):
        raise section.error("machine", "a QEMU machine name such as netduinoplus2", machine)
    qemu = QemuSpec(machine, section.integer("serial_index", 0, 3), section.integer("icount_shift", 0, 10))
    section.finish()
    return qemu


def _check_consistency(spec: BoardSpec, top: SectionReader) -> None:
    expected_family = "host" if spec.kind == "host" else "stm32f4"
    if spec.family != expected_family:
        raise top.error("family", f"{expected_family!r} for a {spec.kind} board", spec.family)
    allowed_timers = {"host": ("host_ns",), "qemu": ("systick_icount",), "physical": ("dwt", "systick_icount")}
    if spec.timer not in allowed_timers[spec.kind]:
        raise top.error("timer", f"one of {list(allowed_timers[spec.kind])} for a {spec.kind} board", spec.timer)
    if spec.memory is not None and spec.stack_bytes > spec.memory.ram.size_bytes // 2:
        raise top.error("stack_bytes", "at most half of the RAM", spec.stack_bytes)
    if spec.kind != "host":
        from tofhil.chips.board_rules import board_problems

        for key, expected, got in board_problems(spec)[:1]:  # UART facts, clock-tree legality (reference manual)
            raise BoardSpecError(f"{spec.source}: {key}: expected {expected}, got {got}")
