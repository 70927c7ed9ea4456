"""Latency in the board's own unit, link throughput, firmware footprint and stack high-water mark.

The timer decides what a tick is (docs/protocol.md, HELLO ``timer_kind``):
0 = DWT cycle counter on a real board: cycles, and microseconds = cycles / core_clock_hz;
1 = SysTick under QEMU ``-icount shift=0``: instructions = ticks * 1e9 / timer_hz; virtual time is not real
time and an instruction is not a Cortex-M4 cycle, so no microseconds are given;
2 = the host's monotonic clock: nanoseconds, reported as microseconds of wall time.
"""
from __future__ import annotations

import numpy as np

from hil.report.records import RunMeta

UNITS = {0: ("cycles", "DWT cycles"), 1: ("instructions", "instructions (QEMU -icount, not cycles)"),
         2: ("us", "wall time on the host (us)")}
PERCENTILES = (50, 95, 99)
# Cycles are exact; microseconds divide them by the nominal core clock, which every STM32 board file derives from
# the HSI RC oscillator (clock.source hsi or hsi_pll): factory-trimmed to +-1 % at 25 C (STM32F401 datasheet
# DS10086, HSI oscillator characteristics), wider over temperature. A crystal (HSE) would be about 50 ppm.
CLOCK_TOLERANCE = {"hsi": 0.01, "hsi_pll": 0.01}
HSI_NOTE = "+-1 %: the HSI's factory trim at 25 C, wider over temperature; cycles are exact"


def summary_stats(values) -> dict | None:
    """mean, min, max, std (population), p50/p95/p99 (linear interpolation); ``None`` for no values."""
    values = np.asarray(values, np.float64)
    if values.size == 0:
        return None
    stats = {"count": int(values.size), "mean": float(values.mean()), "min": float(values.min()),
             "max": float(values.max()), "std": float(values.std())}
    stats.update({f"p{q}": float(np.percentile(values, q)) for q in PERCENTILES})
    return stats


def convert_ticks(ticks, meta: RunMeta) -> tuple[np.ndarray, np.ndarray | None]:
    """(values in the board's unit, microseconds or ``None`` where time is not meaningful)."""
    ticks = np.asarray(ticks, np.float64)
    if meta.timer_kind == 0:
        return ticks, ticks * 1e6 / meta.core_clock_hz
    if meta.timer_kind == 1:
        return ticks * 1e9 / meta.timer_hz, None
    wall_us = ticks * 1e6 / meta.timer_hz
    return wall_us, wall_us


def latency_section(ticks, meta: RunMeta) -> dict | None:
    """One latency block (inference or preprocessing); ``None`` when no frame reported ticks."""
    ticks = [t for t in ticks if t is not None]
    if not ticks:
        return None
    values, micros = convert_ticks(ticks, meta)
    unit, label = UNITS[meta.timer_kind]
    timed = micros is not None and meta.timer_kind != 2
    tolerance = clock_tolerance(meta) if timed else None
    return {"unit": unit, "label": label, "timer_kind": meta.timer_kind, "timer_hz": meta.timer_hz,
            "core_clock_hz": meta.core_clock_hz, "stats": summary_stats(values),
            "us": summary_stats(micros) if timed else None, "us_tolerance": tolerance,
            "us_tolerance_note": (HSI_NOTE if tolerance == 0.01 else None) if timed else None}


def clock_tolerance(meta: RunMeta) -> float | None:
    """Relative uncertainty of the core clock behind microseconds (run_meta.json ``clock_source``; a folder
    without it is from a board file with an HSI clock, the only sources board files allow)."""
    return CLOCK_TOLERANCE.get(meta.raw.get("clock_source") or "hsi")


def link_section(meta: RunMeta, frames: int) -> dict:
    """Frames and bytes per second of the whole streaming, from the runner's wall clock."""
    seconds = meta.wall_seconds
    timed = seconds is not None and seconds > 0
    moved = (meta.bytes_sent or 0) + (meta.bytes_received or 0)
    return {"wall_seconds": seconds, "frames": frames, "bytes_sent": meta.bytes_sent,
            "bytes_received": meta.bytes_received,
            "frames_per_s": frames / seconds if timed else None,
            "bytes_per_s": moved / seconds if timed and meta.bytes_sent is not None else None,
            # what the link went through: the client's retries, resyncs, resets; faults a faulty:// link injected
            "recovery": meta.raw.get("link"), "injected_faults": meta.raw.get("injected_faults")}


def footprint_section(meta: RunMeta) -> dict:
    """Firmware image size (whole image, not only the model) and the painted stack's high-water mark."""
    flash, ram = meta.firmware.get("flash_bytes"), meta.firmware.get("ram_bytes")
    return {"flash_bytes": flash, "ram_bytes": ram,
            "flash_kib": flash / 1024 if isinstance(flash, (int, float)) else None,
            "ram_kib": ram / 1024 if isinstance(ram, (int, float)) else None,
            "stack_used_bytes": meta.stats.get("stack_used_bytes"),
            "stack_size_bytes": meta.stats.get("stack_size_bytes"),
            "device_stats": dict(meta.stats)}


def interrupts_section(meta: RunMeta, inferences: int) -> dict | None:
    """What the firmware took out of the timed sections: interrupt handlers (the next request's bytes arriving
    during an inference), from STATS; ``None`` for a firmware that does not report it."""
    ticks, count = meta.stats.get("isr_ticks_removed"), meta.stats.get("isr_count_removed")
    if ticks is None or count is None:
        return None
    values, _ = convert_ticks([ticks], meta)
    unit, _ = UNITS[meta.timer_kind]
    return {"ticks": int(ticks), "count": int(count), "unit": unit, "removed": float(values[0]),
            "per_inference": float(values[0]) / inferences if inferences else None}
