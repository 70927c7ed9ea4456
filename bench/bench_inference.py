"""Instructions per inference of the exported model on the emulated board (QEMU netduinoplus2).

    .venv/bin/python bench/bench_inference.py RUN_DIR [--frames 200] [--opts -Os -O2 -O3]

RUN_DIR is a training run folder; its ``export/`` folder is made with ``python -m
training export`` when missing. The emulated board's real firmware, built with its bench
(tofhil.emulated_speed, firmware/common/tofhil_bench.c), preprocesses and classifies frames of ST's
dataset (HANDPOSTURE_DATASET) and checks every output against TFLite's BUILTIN_REF. Under
``-icount shift=0`` SysTick runs at a virtual 168 MHz with one instruction per ns, so
instructions = ticks / 0.168 (an instruction count, not Cortex-M4 cycles). Per-op
counts come from a second build with a timing hook after each op of the inference (they
include the hook's own few instructions), and, beside them, the per-layer profile: each op
run alone through ``tofhil_model_invoke_layer``, the code and timing of ``hil run --per-layer``
(there a conv fused with its max pool runs as two ops). Prints one table per optimisation
level, next to the baseline of issue 9, and an estimate of F401 cycles from the disassembly.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench.cycle_estimate import __doc__ as CYCLE_METHOD  # noqa: E402
from bench.cycle_estimate import estimate_cycles  # noqa: E402
from training.export.c_build import build_cortex_m4  # noqa: E402
from tofhil.emulated_speed import measure_firmware_speed  # noqa: E402
from training.export.footprint import section_sizes  # noqa: E402

BASELINE = {"inference": {"-Os": 234_000, "-O2": 166_000}, "preprocess": {"-Os": 10_400, "-O2": 7_500},
            "ops -O2": {"CONV_2D": 127_000, "MAX_POOL_2D": 7_300, "FULLY_CONNECTED": "24,000 / 3,800",
                        "SOFTMAX": 3_300}}
TARGETS = {"inference": 11_000, "preprocess": 2_500, "flash_kib": 7.0, "ram_kib": 0.6}  # issue 17


def _export(run_dir: Path) -> Path:
    out = run_dir / "export"
    if not (out / "tofhil_model.c").exists():
        subprocess.run([sys.executable, "-m", "training", "export", str(run_dir), "--no-footprint"], check=True,
                       cwd=ROOT)
    return out


def _frames(run_dir: Path, export_dir: Path, count: int):
    """Raw frames spread over the dataset, and BUILTIN_REF's outputs for the kept ones."""
    from training.config import load_config
    from training.data.dataset import load_frame_table
    from training.data.preprocess import keep_mask, preprocess, quantize_input
    from training.export.reference import ReferenceRunner
    from training.train.data_setup import preprocessing_spec

    config = load_config(run_dir / "config.yaml")
    spec = preprocessing_spec(config)
    table = load_frame_table(Path(os.environ["HANDPOSTURE_DATASET"]), list(config.dataset.class_names))
    kept_all = np.flatnonzero(keep_mask(table.frames, spec))
    frames = table.frames.subset(kept_all[np.linspace(0, len(kept_all) - 1, count).astype(int)])
    tensors, _ = preprocess(frames, spec)
    runner = ReferenceRunner((export_dir / "model_int8.tflite").read_bytes())
    expected = runner.run(quantize_input(tensors, *runner.input_quantization)).reshape(len(tensors), -1)
    return frames, expected


def _footprint(export_dir: Path, build: Path, opt: str) -> tuple[float, float]:
    from training.export.footprint import max_stack, parse_callgraph

    lib = build_cortex_m4(export_dir, build / f"lib{opt}", ("tofhil_model_run", "tofhil_preprocess"), opt=opt)
    sizes = section_sizes(lib.elf)
    flash = sum(sizes.get(s, 0) for s in (".text", ".rodata", ".data", ".ARM.exidx"))
    stack, edges, _ = parse_callgraph(lib.callgraph_files)
    ram = sizes.get(".data", 0) + sizes.get(".bss", 0) + max(max_stack(e, stack, edges)
                                                          for e in ("tofhil_model_run", "tofhil_preprocess"))
    return flash / 1024, ram / 1024, lib.elf


def measure(export_dir: Path, frames, expected: np.ndarray, opt: str, build: Path) -> dict:
    """One optimisation level on the real emulated-board firmware (plain, then with the per-op timing hook)."""
    plain = measure_firmware_speed(export_dir, frames, expected, opt=opt)
    hooked = measure_firmware_speed(export_dir, frames, expected, opt=opt, per_op=True)
    flash_kib, ram_kib, lib_elf = _footprint(export_dir, build, opt)
    return {"opt": opt, "frames": plain["frames"], "mismatches": plain["mismatches"],
            "inference": plain["instructions_per_inference"], "preprocess": plain["instructions_per_preprocessing"],
            "ops": hooked["op_instructions"], "layers": hooked.get("layer_instructions", {}),
            "flash_kib": round(flash_kib, 2), "ram_kib": round(ram_kib, 2), "lib_elf": lib_elf}


def _print(results: list[dict], op_names: dict[int, str], cycles: dict) -> None:
    rows = []
    for r in results:
        base = BASELINE["inference"].get(r["opt"], "-")
        rows.append([r["opt"], f"{r['inference']:,}", f"{base:,}" if base != "-" else "-", f"{r['preprocess']:,}",
                     f"{BASELINE['preprocess'].get(r['opt'], '-')}", r["flash_kib"], r["ram_kib"],
                     f"{r['mismatches']}/{r['frames']}", f"{cycles[r['opt']]:,}"])
    print(tabulate(rows, ["opt", "instr/inference", "baseline", "instr/preprocess", "baseline", "flash KiB",
                          "RAM KiB", "mismatches", "F401 cycles (est.)"]))
    print(f"targets: <= {TARGETS['inference']:,} instructions per inference, <= {TARGETS['preprocess']:,} per "
          f"preprocessing, flash <= {TARGETS['flash_kib']} KiB, RAM <= {TARGETS['ram_kib']} KiB\n")
    op_rows = [[i, op_names.get(i, "?"), *(f"{r['ops'].get(i, 0):,}" for r in results),
                *(f"{r['layers'].get(i, 0):,}" for r in results)] for i in sorted(op_names)]
    print(tabulate(op_rows, ["op", "opcode", *(f"instr {r['opt']} (inference)" for r in results),
                             *(f"per-layer profile {r['opt']}" for r in results)], disable_numparse=True))
    print(f"baseline per op at -O2: {BASELINE['ops -O2']} (per-op counts include a ~10-instruction timing hook)")
    print("\nF401 cycles (est.):", " ".join(CYCLE_METHOD.split()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--opts", nargs="+", default=["-Os", "-O2", "-O3"])
    args = parser.parse_args()
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            print(f"bench_inference: {tool} not found", file=sys.stderr)
            return 2
    export_dir = _export(args.run_dir)
    frames, expected = _frames(args.run_dir, export_dir, args.frames)
    from training.export.library import generate_library

    ops = generate_library((export_dir / "model_int8.tflite").read_bytes(), Path(tempfile.mkdtemp())).model.ops
    op_names = {op.index: op.opcode for op in ops}
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp)
        results = [measure(export_dir, frames, expected, opt, build) for opt in args.opts]
        cycles = {r["opt"]: estimate_cycles(r["lib_elf"], r["inference"]) for r in results}
    _print(results, op_names, cycles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
