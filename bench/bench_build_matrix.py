"""The generated library under the builds users make: instructions per inference and per preprocessing,
library flash and RAM, for arm-none-eabi-gcc and clang at -O2/-Os/-O3 x {default, -ffreestanding, -fno-builtin}.

    .venv/bin/python bench/bench_build_matrix.py RUN_DIR [--frames 200] [--compilers gcc clang]

RUN_DIR is a training run folder; its ``export/`` folder is made with ``python -m training export`` when
missing. Each cell compiles the library with its compiler and flags (plus the project's ``-std=c99 ... -Werror
-ffp-contract=off`` and the Cortex-M4 flags), links it into the image of ``bench/build_matrix`` (harness
built with arm-none-eabi-gcc -O2) and runs it on QEMU ``netduinoplus2`` under ``-icount shift=0``:
SysTick counts 0.168 ticks per instruction, so the figures are instruction counts (not Cortex-M4 cycles).
Every frame's keep decision and int8 input tensor are checked against training/data/preprocess.py and every
output against TFLite's BUILTIN_REF; a cell with a mismatch is marked. Frames: ``--frames`` kept frames spread
over ST's dataset (HANDPOSTURE_DATASET) and the extreme frames of ``extreme_frames`` (every zone valid and in
range, ...), whose worst preprocessing is the bound. Flash: .text + .rodata + .data of the library linked alone
(``--gc-sections`` from tofhil_model_run and tofhil_preprocess, libc/libgcc helpers included); RAM: .data +
.bss plus the deepest stack either call used on the emulated board (painted stack).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HARNESS = ROOT / "bench" / "build_matrix"
STD_FLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-ffp-contract=off")
CPU_FLAGS = ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")
GCC = "arm-none-eabi-gcc"
NEWLIB_SYSROOT = Path("/usr/lib/arm-none-eabi")   # Debian's libnewlib-arm-none-eabi: headers for clang
TICKS_PER_INSTRUCTION = 0.168
OPTS = ("-O2", "-Os", "-O3")
MODES = {"default": (), "-ffreestanding": ("-ffreestanding",), "-fno-builtin": ("-fno-builtin",),
         # clang only: arm-none-eabi clang assumes strict alignment unless told the Cortex-M4 does unaligned LDR
         "-munaligned-access": ("-munaligned-access",)}
GCC_MODES = ("default", "-ffreestanding", "-fno-builtin")
GOAL_RATIO = 1.15
PREPROCESS_BOUND = 2_500


@dataclass(frozen=True)
class Cell:
    compiler: str   # "gcc" or "clang"
    opt: str
    mode: str

    @property
    def name(self) -> str:
        return f"{self.compiler}{self.opt}{'' if self.mode == 'default' else self.mode}"

    def command(self) -> list[str]:
        if self.compiler == "gcc":
            return [GCC]
        return ["clang", "--target=arm-none-eabi", f"--sysroot={NEWLIB_SYSROOT}"]

    def flags(self) -> list[str]:
        return [*STD_FLAGS, *CPU_FLAGS, self.opt, *MODES[self.mode], "-ffunction-sections", "-fdata-sections"]


def run(command: list[str], cwd: Path | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr.strip()[-2000:]}")
    return result.stdout + result.stderr


# ---------------------------------------------------------------------------------------------- frames

def extreme_frames(spec) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Frames at the edges of preprocessing's work, by name: (distance, signal, status) of 64 zones each."""
    rng = np.random.default_rng(19)
    lo, hi, bg = spec.min_distance, spec.max_distance, spec.background_distance
    valid = np.full(64, 5, np.uint8)
    signal = rng.integers(1, 6422, 64).astype(np.uint16)
    spread = np.clip(lo + rng.integers(0, bg + 1, 64), None, 32767).astype(np.int16)
    spread[27] = lo
    ramp = np.linspace(lo, lo + bg, 64).round().astype(np.int16)
    far_half = np.where(np.arange(64) % 2 == 0, lo, lo + bg + 1).astype(np.int16)
    corner = np.full(64, 4000, np.int16)
    corner[[0, 1, 8, 9]] = lo + 10
    rows, cols = np.divmod(np.arange(64), 8)

    def block(mask):   # the zones of mask valid at spread distances, the others far and not valid
        return (np.where(mask, spread, 4000).astype(np.int16), signal, np.where(mask, 5, 0).astype(np.uint8))

    frames = {
        "64 valid, equal distance": (np.full(64, (lo + hi) // 2, np.int16), signal, valid),
        "64 valid, spread over background": (spread, signal, valid),
        "64 valid, ramp min..min+background": (ramp, signal[::-1].copy(), valid),
        "64 valid, at max distance": (np.full(64, hi, np.int16), signal, valid),
        "64 valid, signal 65535": (spread, np.full(64, 65535, np.uint16), valid),
        "64 valid, signal 0": (spread, np.zeros(64, np.uint16), valid),
        "64 valid, status 9": (spread, signal, np.full(64, 9, np.uint8)),
        "64 valid, half behind background": (far_half, signal, valid),
        "48 valid, rows 2-7 (centring moves up)": block(rows >= 2),
        "48 valid, columns 2-7 (centring moves left)": block(cols >= 2),
        "36 valid, rows and columns 2-7 (moves both)": block((rows >= 2) & (cols >= 2)),
        "64 valid, 48 in rows 2-7 (moves up, drops row 0)": (np.where(rows >= 2, spread, lo + bg).astype(np.int16),
                                                             signal, valid),
        "4 valid, in a corner": (corner, signal, np.where(corner < 4000, 5, 0).astype(np.uint8)),
        "1 valid zone": (np.where(np.arange(64) == 63, lo, 4000).astype(np.int16), signal,
                         np.where(np.arange(64) == 63, 5, 4).astype(np.uint8)),
        "64 valid, too close (rejected)": (np.full(64, lo - 1, np.int16), signal, valid),
        "64 valid, too far (rejected)": (np.full(64, hi + 1, np.int16), signal, valid),
        "no valid zone (rejected)": (np.full(64, 200, np.int16), signal, np.zeros(64, np.uint8)),
    }
    return frames


def bench_frames(run_dir: Path, export_dir: Path, count: int):
    """(RawFrames, names, kept, int8 inputs, int8 outputs): dataset frames then the extreme ones."""
    from training.config import load_config
    from training.data.dataset import load_frame_table
    from training.data.preprocess import RawFrames, keep_mask, preprocess, quantize_input
    from training.export.reference import ReferenceRunner
    from training.train.data_setup import preprocessing_spec

    config = load_config(run_dir / "config.yaml")
    spec = preprocessing_spec(config)
    table = load_frame_table(Path(os.environ["HANDPOSTURE_DATASET"]), list(config.dataset.class_names))
    kept_all = np.flatnonzero(keep_mask(table.frames, spec))
    dataset = table.frames.subset(kept_all[np.linspace(0, len(kept_all) - 1, count).astype(int)])
    extremes = extreme_frames(spec)
    frames = RawFrames.concatenate([dataset, RawFrames(*(np.stack([f[i] for f in extremes.values()])
                                                         for i in range(3)))])
    names = ["dataset"] * len(dataset) + list(extremes)
    tensors, kept = preprocess(frames, spec)
    runner = ReferenceRunner((export_dir / "model_int8.tflite").read_bytes())
    inputs = quantize_input(tensors, *runner.input_quantization).reshape(len(tensors), -1)
    outputs = runner.run(inputs.reshape(tensors.shape)).reshape(len(tensors), -1)
    all_inputs = np.zeros((len(frames), inputs.shape[1]), np.int8)
    all_outputs = np.zeros((len(frames), outputs.shape[1]), np.int8)
    all_inputs[kept], all_outputs[kept] = inputs, outputs
    return frames, names, kept, all_inputs, all_outputs


def _c_array(name: str, ctype: str, values: np.ndarray) -> str:
    rows = ",\n".join("    {" + ", ".join(str(int(v)) for v in row) + "}" for row in values.reshape(len(values), -1))
    return f"static const {ctype} {name}[{len(values)}][{values.reshape(len(values), -1).shape[1]}] = {{\n{rows}\n}};\n"


def write_matrix_data(path: Path, frames, kept: np.ndarray, inputs: np.ndarray, outputs: np.ndarray) -> None:
    path.write_text(f"#define MATRIX_FRAMES {len(kept)}u\n"
                    + _c_array("matrix_distance", "int16_t", frames.distance_mm)
                    + _c_array("matrix_signal", "uint16_t", frames.signal_per_spad)
                    + _c_array("matrix_status", "uint8_t", frames.target_status)
                    + f"static const uint8_t matrix_kept[{len(kept)}] = {{{', '.join(str(int(k)) for k in kept)}}};\n"
                    + _c_array("matrix_input", "int8_t", inputs)
                    + _c_array("matrix_expected", "int8_t", outputs))


# ---------------------------------------------------------------------------------------------- builds

def build_cell(cell: Cell, library_dir: Path, build: Path) -> tuple[Path, Path]:
    """(benchmark image, library-only footprint ELF) of one cell."""
    out = build / cell.name
    out.mkdir(parents=True, exist_ok=True)
    objects = []
    for source in sorted(library_dir.glob("tofhil_*.c")):
        obj = out / (source.stem + ".o")
        run([*cell.command(), *cell.flags(), f"-I{library_dir}", "-c", str(source), "-o", str(obj)])
        objects.append(obj)
    harness = []
    for source in ("matrix_main.c", "matrix_startup.c"):
        obj = out / (Path(source).stem + ".o")
        run([GCC, *STD_FLAGS[:1], *CPU_FLAGS, "-O2", "-ffunction-sections", f"-I{library_dir}", f"-I{build}",
             "-c", str(HARNESS / source), "-o", str(obj)])
        harness.append(obj)
    link = [GCC, *CPU_FLAGS, "-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections"]
    image = out / "matrix.elf"
    run([*link, "-T", str(HARNESS / "matrix.ld"), *map(str, objects + harness), "-o", str(image)])
    library = out / "library.elf"
    run([*link, "-Wl,--entry=tofhil_model_run", "-Wl,--undefined=tofhil_preprocess", *map(str, objects),
         "-o", str(library)])
    return image, library


def footprint(library_elf: Path) -> dict[str, int]:
    sizes = {}
    for line in run(["arm-none-eabi-size", "-A", str(library_elf)]).splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    flash = sum(sizes.get(s, 0) for s in (".text", ".rodata", ".data", ".ARM.exidx"))
    return {"flash": flash, "static_ram": sizes.get(".data", 0) + sizes.get(".bss", 0)}


def run_image(image: Path) -> dict:
    result = subprocess.run(["qemu-system-arm", "-M", "netduinoplus2", "-nographic", "-icount", "shift=0",
                             "-semihosting-config", "enable=on,target=native", "-kernel", str(image)],
                            capture_output=True, text=True, timeout=600)
    text = result.stdout + result.stderr
    frames = [tuple(map(int, m)) for m in re.findall(r"^frame (\d+) (\d+) (\d+) (\d+)$", text, re.M)]
    stack = re.search(r"^stack (\d+)$", text, re.M)
    if stack is None or not frames:
        raise RuntimeError(f"{image}: no measurement from QEMU (exit {result.returncode}): {text[-500:]}")
    return {"stack": int(stack.group(1)), "frames": frames}


def measure(cell: Cell, library_dir: Path, build: Path, names: list[str]) -> dict:
    image, library = build_cell(cell, library_dir, build)
    counts = run_image(image)
    state = np.array([f[1] for f in counts["frames"]])
    pre = np.array([f[2] for f in counts["frames"]]) / TICKS_PER_INSTRUCTION
    inf = np.array([f[3] for f in counts["frames"]]) / TICKS_PER_INSTRUCTION
    dataset = np.array([n == "dataset" for n in names])
    ok = state == 0
    worst = int(np.argmax(pre))
    size = footprint(library)
    return {"cell": cell, "mismatches": int((state >= 2).sum()), "frames": len(state),
            "inference": float(inf[ok & dataset].mean()), "inference_max": float(inf[ok].max()),
            "preprocess": float(pre[dataset].mean()), "preprocess_worst": float(pre[worst]),
            "worst_frame": names[worst], "flash": size["flash"], "ram": size["static_ram"] + counts["stack"],
            "stack": counts["stack"], "per_extreme": {n: float(p) for n, p, d in zip(names, pre, dataset) if not d}}


# ---------------------------------------------------------------------------------------------- report

def print_report(results: list[dict], frames: int) -> None:
    best_inf = min(r["inference"] for r in results)
    best_pre = min(r["preprocess_worst"] for r in results)
    rows = [[r["cell"].compiler, r["cell"].opt, r["cell"].mode, f"{r['inference']:,.0f}",
             f"{r['inference'] / best_inf:.2f}", f"{r['preprocess']:,.0f}", f"{r['preprocess_worst']:,.0f}",
             f"{r['preprocess_worst'] / best_pre:.2f}", f"{r['flash'] / 1024:.2f}", f"{r['ram'] / 1024:.2f}",
             f"{r['mismatches']}/{r['frames']}"] for r in results]
    print(tabulate(rows, ["compiler", "opt", "mode", "instr/inference", "x best", "instr/preprocess",
                          "worst preprocess", "x best", "flash KiB", "RAM KiB", "mismatches"]))
    slow = [r["cell"].name for r in results
            if r["inference"] > GOAL_RATIO * best_inf or r["preprocess_worst"] > GOAL_RATIO * best_pre]
    over = [r["cell"].name for r in results if r["preprocess_worst"] > PREPROCESS_BOUND]
    bad = [r["cell"].name for r in results if r["mismatches"]]
    print(f"\ninstr/inference: mean over the {frames} dataset frames; instr/preprocess: their mean; worst "
          "preprocess: the maximum over every frame (dataset and extremes)")
    print(f"goal: every cell within {GOAL_RATIO}x of the best: {'met' if not slow else 'NOT met by ' + ', '.join(slow)}")
    print(f"worst preprocessing <= {PREPROCESS_BOUND:,} instructions: "
          f"{'met' if not over else 'NOT met by ' + ', '.join(over)}")
    print(f"bit-exact (keep decision, input tensor, outputs): {'every cell' if not bad else 'NOT ' + ', '.join(bad)}")
    default = next((r for r in results if r["cell"] == Cell("gcc", "-O2", "default")), results[0])
    extreme_rows = [[name, f"{value:,.0f}"] for name, value in default["per_extreme"].items()]
    print(f"\npreprocessing of the extreme frames, {default['cell'].name}:")
    print(tabulate(extreme_rows, ["frame", "instructions"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--frames", type=int, default=200, help="kept dataset frames (default 200)")
    parser.add_argument("--compilers", nargs="+", choices=("gcc", "clang"), default=["gcc", "clang"])
    parser.add_argument("--opts", nargs="+", choices=OPTS, default=list(OPTS))
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    args = parser.parse_args()
    needed = [GCC, "arm-none-eabi-size", "qemu-system-arm"] + (["clang"] if "clang" in args.compilers else [])
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if missing:
        print(f"bench_build_matrix: {', '.join(missing)} not found", file=sys.stderr)
        return 2
    if "HANDPOSTURE_DATASET" not in os.environ:
        print("bench_build_matrix: set HANDPOSTURE_DATASET to ST's dataset folder", file=sys.stderr)
        return 2
    export_dir = args.run_dir / "export"
    if not (export_dir / "tofhil_model.c").exists():
        subprocess.run([sys.executable, "-m", "training", "export", str(args.run_dir), "--no-footprint"],
                       check=True, cwd=ROOT)
    frames, names, kept, inputs, outputs = bench_frames(args.run_dir, export_dir, args.frames)
    cells = [Cell(c, o, m) for c in args.compilers for o in args.opts for m in args.modes
             if c == "clang" or m in GCC_MODES]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp)
        write_matrix_data(build / "matrix_data.h", frames, kept, inputs, outputs)
        for cell in cells:
            try:
                results.append(measure(cell, export_dir.resolve(), build, names))
            except RuntimeError as error:
                print(f"{cell.name}: does not build or run: {str(error).splitlines()[0][:300]}", file=sys.stderr)
    if not results:
        return 1
    print_report(results, args.frames)
    return 0 if all(r["mismatches"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
