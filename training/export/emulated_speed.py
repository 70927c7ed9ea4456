"""Instructions per inference and per preprocessing on the emulated board, for model_report.json.

The generated library is linked into the bare-metal image of ``bench/qemu_harness`` and run
on QEMU's ``netduinoplus2`` (STM32F405, Cortex-M4) under ``-icount shift=0``: SysTick then
counts 0.168 ticks per instruction, so the figures are instruction counts, not F401 cycles
(``bench/bench_inference.py`` prints the per-op table and a cycle estimate). The frames are
synthetic but deterministic (a hand of random zones in front of a far background), and each
output is checked against TFLite's BUILTIN_REF. About a second; without the tools, the
harness or a preprocessing, the figures are null with the reason.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from training.data.preprocess import PreprocessingSpec, RawFrames, keep_mask, preprocess, quantize_input
from training.export.c_build import COMMON_FLAGS, CORTEX_M4_FLAGS, DEFAULT_OPT, run_tool

HARNESS = Path(__file__).resolve().parents[2] / "bench" / "qemu_harness"
TICKS_PER_INSTRUCTION = 0.168
MAX_OPS = 16
FRAMES = 16
TOOLS = ("arm-none-eabi-gcc", "qemu-system-arm")


def synthetic_frames(spec: PreprocessingSpec, count: int = FRAMES, seed: int = 0) -> RawFrames:
    """Frames every one of which passes the distance filter: 8-40 hand zones, the rest far away."""
    rng = np.random.default_rng(seed)
    distance = rng.integers(spec.max_distance + 500, 4000, (count, 64))
    for frame in distance:
        hand = rng.choice(64, rng.integers(8, 41), replace=False)
        frame[hand] = rng.integers(spec.min_distance, spec.max_distance + 1, len(hand))
    signal = rng.integers(1, 4000, (count, 64))
    return RawFrames(distance.astype(np.int16), signal.astype(np.uint16), np.full((count, 64), 5, np.uint8))


def _c_array(name: str, ctype: str, values: np.ndarray) -> str:
    rows = ",\n".join("    {" + ", ".join(str(int(v)) for v in row) + "}" for row in values.reshape(len(values), -1))
    return f"static const {ctype} {name}[{len(values)}][{values.reshape(len(values), -1).shape[1]}] = {{\n{rows}\n}};\n"


def write_bench_data(path: Path, frames: RawFrames, expected: np.ndarray) -> None:
    """bench_data.h: the raw frames and BUILTIN_REF's int8 outputs for them."""
    path.write_text(f"#define BENCH_FRAMES {len(expected)}u\n#define BENCH_MAX_OPS {MAX_OPS}\n"
                    + _c_array("bench_distance", "int16_t", frames.distance_mm)
                    + _c_array("bench_signal", "uint16_t", frames.signal_per_spad)
                    + _c_array("bench_status", "uint8_t", frames.target_status)
                    + _c_array("bench_expected", "int8_t", expected))


def build_image(library_dir: Path, build: Path, opt: str, per_op: bool) -> Path:
    """The library plus the harness, linked for the emulated board (bench_data.h in ``build``)."""
    hook = ["-DTOFHIL_OP_DONE(i)=bench_op_done(i)", "-include", str(HARNESS / "bench_hook.h")] if per_op else []
    elf = build / f"bench{opt}{'_ops' if per_op else ''}.elf"
    sources = [*sorted(library_dir.glob("tofhil_*.c")), HARNESS / "bench_startup.c", HARNESS / "bench_main.c"]
    run_tool(["arm-none-eabi-gcc", *COMMON_FLAGS, *CORTEX_M4_FLAGS, opt, "-ffunction-sections", "-fdata-sections",
              *hook, f"-I{library_dir}", f"-I{build}", "-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections",
              "-T", str(HARNESS / "bench.ld"), *map(str, sources), "-o", str(elf)])
    return elf


def run_qemu(elf: Path) -> dict:
    """The harness's counters (frames, rejected, mismatches, ticks; op_ticks per op index)."""
    result = subprocess.run(["qemu-system-arm", "-M", "netduinoplus2", "-nographic", "-icount", "shift=0",
                             "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)],
                            capture_output=True, text=True, timeout=300)
    values, ops, index = {}, {}, None
    for key, value in re.findall(r"^(\w+) (\d+)$", result.stdout + result.stderr, re.M):
        if key == "op_index":
            index = int(value)
        elif key == "op_ticks":
            ops[index] = int(value)
        else:
            values[key] = int(value)
    if "inference_ticks" not in values:
        raise RuntimeError(f"{elf.name}: no measurement from QEMU (exit {result.returncode}): {result.stderr[-500:]}")
    values["op_ticks"] = ops
    return values


def instructions(ticks: float, runs: int) -> int:
    return round(ticks / TICKS_PER_INSTRUCTION / max(runs, 1))


def _unavailable(library_dir: Path, has_preprocessing: bool) -> str | None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found"
    if not (HARNESS / "bench_main.c").is_file():
        return f"the QEMU harness {HARNESS} is not installed"
    return None if has_preprocessing else "the library has no preprocessing (the harness feeds raw frames)"


def measure_emulated_speed(library_dir: Path, model_bytes: bytes, spec: PreprocessingSpec | None,
                           has_preprocessing: bool, opt: str = DEFAULT_OPT) -> dict:
    """{"instructions_per_inference", "instructions_per_preprocessing", ...}, or nulls and the reason."""
    reason = _unavailable(library_dir, has_preprocessing and spec is not None)
    if reason is not None:
        return {"instructions_per_inference": None, "instructions_per_preprocessing": None, "reason": reason}
    from training.export.reference import ReferenceRunner

    frames = synthetic_frames(spec)
    frames = frames.subset(np.flatnonzero(keep_mask(frames, spec)))
    runner = ReferenceRunner(model_bytes)
    expected = runner.run(quantize_input(preprocess(frames, spec)[0], *runner.input_quantization))
    with tempfile.TemporaryDirectory() as tmp:
        write_bench_data(Path(tmp) / "bench_data.h", frames, expected.reshape(len(frames), -1))
        counts = run_qemu(build_image(Path(library_dir), Path(tmp), opt, per_op=False))
    kept = counts["frames"] - counts["rejected"]
    return {"instructions_per_inference": instructions(counts["inference_ticks"], kept),
            "instructions_per_preprocessing": instructions(counts["preprocess_ticks"], counts["frames"]),
            "frames": counts["frames"], "mismatches": counts["mismatches"], "opt": opt,
            "method": "QEMU netduinoplus2 (STM32F405), -icount shift=0, SysTick ticks / 0.168; synthetic frames"}
