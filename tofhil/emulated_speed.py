"""Instructions per inference and per preprocessing, measured on the real emulated-board firmware.

The board's firmware project (:func:`tofhil.firmware.generate_project`, the board file's CPU flags, clocks and
timer) is generated into a scratch folder and built with ``-DTOFHIL_BENCH`` and the frames in
``tofhil_bench_data.h``: ``tofhil_bench.c`` then times the preprocessing and the model on each frame with the
board's own timer, checks every output against the reference and prints its counters on the UART, which QEMU
hands to us on stdout. Under ``-icount shift=0`` SysTick counts 0.168 ticks per instruction on the
netduinoplus2, so the figures are instruction counts, not F401 cycles.

:func:`measure_firmware_speed` takes an optimisation, extra compiler flags and a compiler (``make OPT=...
EXTRA_CFLAGS=... CC=...``) so a benchmark can compare builds; the export calls it with the defaults.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from tofhil.boards import load_board
from tofhil.c_flags import DEFAULT_OPT
from tofhil.errors import FirmwareBuildError
from tofhil.firmware import build_variant, generate_project

EMULATED_BOARD = "qemu-stm32f405"
MAX_OPS = 16
TOOLS = ("arm-none-eabi-gcc", "qemu-system-arm", "make")
_LINE = re.compile(rb"^(\w+) (\d+)$", re.M)


def ticks_per_instruction(timer_hz: int) -> float:
    """``-icount shift=0``: one instruction per virtual ns, so a timer at ``timer_hz`` ticks hz/1e9 per one."""
    return timer_hz / 1e9


def _c_array(name: str, ctype: str, values: np.ndarray) -> str:
    values = np.asarray(values).reshape(len(values), -1)
    rows = ",\n".join("    {" + ", ".join(str(int(v)) for v in row) + "}" for row in values)
    return f"static const {ctype} {name}[{len(values)}][{values.shape[1]}] = {{\n{rows}\n}};\n"


def bench_data_header(distance_mm, signal_per_spad, target_status, expected) -> str:
    """tofhil_bench_data.h: raw frames and the reference's int8 outputs for them (any for rejected frames)."""
    return (f"#define TOFHIL_BENCH_FRAMES {len(expected)}u\n#define TOFHIL_BENCH_MAX_OPS {MAX_OPS}u\n"
            + _c_array("tofhil_bench_distance", "int16_t", distance_mm)
            + _c_array("tofhil_bench_signal", "uint16_t", signal_per_spad)
            + _c_array("tofhil_bench_status", "uint8_t", target_status)
            + _c_array("tofhil_bench_expected", "int8_t", expected))


def build_bench_firmware(library_dir: Path, scratch: Path, header: str, board: str = EMULATED_BOARD,
                         opt: str = DEFAULT_OPT, extra_cflags: tuple[str, ...] = (), cc: str | None = None,
                         per_op: bool = False) -> Path:
    """The board's firmware with the bench built in; returns the ELF."""
    export = Path(scratch) / "export"
    export.mkdir(parents=True, exist_ok=True)
    for path in Path(library_dir).glob("tofhil_*.[ch]"):
        shutil.copy2(path, export / path.name)
    project = generate_project(export, board)
    (project / "tofhil_bench_data.h").write_text(header)
    flags = ["-DTOFHIL_BENCH", *extra_cflags]
    if per_op:
        # the macro lives in a header: make hands EXTRA_CFLAGS to the shell unquoted
        (project / "tofhil_bench_hook.h").write_text("void tofhil_bench_op_done(int index);\n"
                                                     "#define TOFHIL_OP_DONE(i) tofhil_bench_op_done(i)\n")
        flags += ["-include", "tofhil_bench_hook.h", "-DTOFHIL_BENCH_LAYERS"]
    variables = {"OPT": opt, "EXTRA_CFLAGS": " ".join(flags)}
    if cc:
        variables["CC"] = cc
    return build_variant(project, variables)


def run_bench_firmware(elf: Path, board: str = EMULATED_BOARD, timeout_s: float = 300) -> dict:
    """Run the bench firmware on QEMU; its counters (op_ticks by op index)."""
    qemu = load_board(board).qemu
    command = ["qemu-system-arm", "-M", qemu.machine, "-display", "none", "-monitor", "none",
               "-icount", f"shift={qemu.icount_shift}", "-kernel", str(elf),
               *["-serial", "null"] * qemu.serial_index, "-serial", "stdio"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output = b""
    try:  # the firmware never exits: read until its "end" line, then stop QEMU
        while not output.endswith(b"end\n"):
            chunk = process.stdout.read1(4096) if hasattr(process.stdout, "read1") else process.stdout.read(1)
            if not chunk:
                break
            output += chunk
    finally:
        process.kill()
        _, errors = process.communicate(timeout=timeout_s)
    values, ops, layers, index = {}, {}, {}, None
    for key, value in _LINE.findall(output):
        key, value = key.decode(), int(value)
        if key == "op_index":
            index = value
        elif key == "op_ticks":
            ops[index] = value
        elif key == "layer_ticks":
            layers[index] = value
        else:
            values[key] = value
    if "inference_ticks" not in values:
        raise FirmwareBuildError(f"{elf}: no measurement from QEMU: {(output + errors)[-500:]!r}")
    values["op_ticks"] = ops
    values["layer_ticks"] = layers
    return values


def unavailable() -> str | None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    return f"{' and '.join(missing)} not found" if missing else None


def measure_firmware_speed(library_dir: Path, frames, expected: np.ndarray, board: str = EMULATED_BOARD,
                           opt: str = DEFAULT_OPT, extra_cflags: tuple[str, ...] = (), cc: str | None = None,
                           per_op: bool = False) -> dict:
    """Instructions per inference / preprocessing of the library in ``library_dir`` on the emulated board.

    ``frames``: raw frames (``distance_mm``, ``signal_per_spad``, ``target_status``, (N, 64)); ``expected``: the
    reference's int8 outputs (N, K). ``opt``, ``extra_cflags`` and ``cc`` change the build (the default: the
    board's firmware as shipped). With ``per_op``, ``op_instructions`` per op index too.
    """
    header = bench_data_header(frames.distance_mm, frames.signal_per_spad, frames.target_status, expected)
    with tempfile.TemporaryDirectory(prefix="tofhil-speed-") as scratch:
        elf = build_bench_firmware(Path(library_dir), Path(scratch), header, board, opt, extra_cflags, cc, per_op)
        counts = run_bench_firmware(elf, board)
    per_instruction = ticks_per_instruction(counts["timer_hz"])
    kept = counts["frames"] - counts["rejected"]
    result = {"instructions_per_inference": round(counts["inference_ticks"] / per_instruction / max(kept, 1)),
              "instructions_per_preprocessing": round(counts["preprocess_ticks"] / per_instruction
                                                      / max(counts["frames"], 1)),
              "frames": counts["frames"], "mismatches": counts["mismatches"], "opt": opt}
    if per_op:
        result["op_instructions"] = {i: round(t / per_instruction / max(kept, 1))
                                     for i, t in counts["op_ticks"].items() if t}
        # each op alone (tofhil_model_invoke_layer): the per-layer profile hil --per-layer reports
        result["layer_instructions"] = {i: round(t / per_instruction / max(kept, 1))
                                        for i, t in counts["layer_ticks"].items() if t}
    return result
