"""Compile the generated library: for the host (a ctypes-loadable shared library used
by the bit-exact tests) and for Cortex-M4 (``DEFAULT_OPT``) to measure its footprint.

Both builds use ``-std=c99 -Wall -Wextra -Werror -pedantic -ffp-contract=off``: the
runtime must compile cleanly everywhere, and no fused multiply-add may change the
float32 preprocessing.
"""
from __future__ import annotations

import ctypes
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tofhil import processes
from tofhil.c_flags import COMMON_FLAGS, DEFAULT_OPT
from training.errors import ExportError
from training.export.codegen import TEMPLATES_DIR

HOST_FLAGS = ("-O2", "-fPIC", "-shared")
CORTEX_M4_FLAGS = ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")
HOST_BATCH_SOURCE = TEMPLATES_DIR / "host" / "tofhil_host_batch.c"


def find_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ExportError(f"{name} not found on PATH; install it (Debian: apt-get install gcc "
                          "gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    return path


def run_tool(command: list[str], cwd: Path | None = None) -> str:
    """A compiler or binutils run (:func:`tofhil.processes.run_tool`): its standard output; failing, an
    ExportError with the command and its standard error's tail."""
    return processes.run_tool(command, f"{Path(command[0]).name}", error=ExportError, cwd=cwd, merge_output=False)


def library_sources(library_dir: Path) -> list[Path]:
    return sorted(Path(library_dir).glob("*.c"))


def build_host_library(library_dir: Path, build_dir: Path, compiler: str = "gcc") -> Path:
    """Compile the library plus the host batch helper into ``build_dir/libtofhil_model.so``."""
    library_dir, build_dir = Path(library_dir).resolve(), Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    output = build_dir / "libtofhil_model.so"
    defines = ["-DTOFHIL_HOST_WITH_PREPROCESS"] if (Path(library_dir) / "tofhil_preprocess.h").exists() else []
    run_tool([find_tool(compiler), *COMMON_FLAGS, *HOST_FLAGS, *defines, f"-I{library_dir}",
              *map(str, library_sources(library_dir)), str(HOST_BATCH_SOURCE), "-o", str(output)])
    return output


SANITIZE_FLAGS = ("-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer")
HOST_CHECK_SOURCE = TEMPLATES_DIR / "host" / "tofhil_host_check.c"


class HostProgram:
    """The library in a stand-alone program (``tofhil_host_check.c``), run in a child process per batch: a model
    whose C writes out of bounds fails its own check, not the process that asked (as a ctypes call would)."""

    FLAGS: tuple[str, ...] = ("-O2",)

    def __init__(self, library_dir: Path, build_dir: Path, input_dtype, output_dtype, compiler: str = "gcc"):
        self.build_dir = Path(build_dir)
        self.build_dir.mkdir(parents=True, exist_ok=True)
        self.program = self.build_dir / "tofhil_host_check"
        self.has_preprocessing = (Path(library_dir) / "tofhil_preprocess.h").exists()
        defines = ["-DTOFHIL_HOST_WITH_PREPROCESS"] if self.has_preprocessing else []
        run_tool([find_tool(compiler), *COMMON_FLAGS, *self.FLAGS, *defines, f"-I{library_dir}",
                  *map(str, library_sources(library_dir)), str(HOST_CHECK_SOURCE), "-o", str(self.program)])
        self.input_dtype, self.output_dtype = np.dtype(input_dtype), np.dtype(output_dtype)

    def _call(self, mode: str, data: bytes) -> bytes:
        source, result = self.build_dir / f"{mode}.in", self.build_dir / f"{mode}.out"
        source.write_bytes(data)
        run_tool([str(self.program), mode, str(source), str(result)])
        return result.read_bytes()

    def run(self, inputs: np.ndarray, output_size: int) -> np.ndarray:
        flat = np.ascontiguousarray(inputs, dtype=self.input_dtype).reshape(len(inputs), -1)
        raw = self._call("model", flat.tobytes())
        return np.frombuffer(raw, self.output_dtype).reshape(len(flat), output_size)

    def preprocess(self, distance_mm, signal_per_spad, target_status, input_size: int):
        """(inputs of the kept frames, kept mask), as HostLibrary.preprocess."""
        d, s = np.asarray(distance_mm, "<i2"), np.asarray(signal_per_spad, "<u2")
        t = np.asarray(target_status, np.uint8)
        frames = b"".join(d[i].tobytes() + s[i].tobytes() + t[i].tobytes() for i in range(len(d)))
        record = np.dtype([("kept", np.uint8), ("input", self.input_dtype, (input_size,))])
        rows = np.frombuffer(self._call("preprocess", frames), record)
        mask = rows["kept"].astype(bool)
        return rows["input"][mask], mask


class SanitizedHost(HostProgram):
    """The program built with AddressSanitizer and UBSan: any out-of-bounds access, signed overflow or
    oversized shift aborts the run with the sanitizer's report."""

    FLAGS = SANITIZE_FLAGS


class HostLibrary:
    """ctypes view of a host-built library: batch inference and batch preprocessing."""

    def __init__(self, path: Path, input_size: int, output_size: int, input_dtype, output_dtype):
        self._lib = ctypes.CDLL(str(path))
        self.input_size, self.output_size = input_size, output_size
        self.input_dtype, self.output_dtype = np.dtype(input_dtype), np.dtype(output_dtype)
        self._lib.tofhil_status_string.restype = ctypes.c_char_p

    def status_string(self, code: int) -> str:
        return self._lib.tofhil_status_string(ctypes.c_int(code)).decode()

    def sha256(self) -> str:
        return (ctypes.c_char * 65).in_dll(self._lib, "tofhil_model_sha256").value.decode()

    def run(self, inputs: np.ndarray) -> np.ndarray:
        flat = np.ascontiguousarray(inputs, dtype=self.input_dtype).reshape(-1, self.input_size)
        outputs = np.zeros((flat.shape[0], self.output_size), dtype=self.output_dtype)
        status = self._lib.tofhil_host_run_batch(ctypes.c_uint32(flat.shape[0]), _ptr(flat), _ptr(outputs))
        if status != 0:
            raise ExportError(f"tofhil_model_run failed: {self.status_string(status)}")
        return outputs

    def preprocess(self, distance_mm: np.ndarray, signal_per_spad: np.ndarray,
                   target_status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (inputs of the kept frames, kept mask) as the device computes them."""
        d = np.ascontiguousarray(distance_mm, np.int16)
        s = np.ascontiguousarray(signal_per_spad, np.uint16)
        t = np.ascontiguousarray(target_status, np.uint8)
        count = d.shape[0]
        inputs = np.zeros((count, self.input_size), dtype=self.input_dtype)
        kept = np.zeros(count, np.uint8)
        status = self._lib.tofhil_host_preprocess_batch(ctypes.c_uint32(count), _ptr(d), _ptr(s), _ptr(t),
                                                        _ptr(inputs), _ptr(kept))
        if status != 0:
            raise ExportError(f"tofhil_preprocess failed: {self.status_string(status)}")
        mask = kept.astype(bool)
        return inputs[mask], mask


def _ptr(array: np.ndarray) -> ctypes.c_void_p:
    return ctypes.c_void_p(array.ctypes.data)


@dataclass(frozen=True)
class CortexM4Build:
    elf: Path
    objects: tuple[Path, ...]
    callgraph_files: tuple[Path, ...]


def build_cortex_m4(library_dir: Path, build_dir: Path, entry_points: tuple[str, ...],
                    cpu_flags: tuple[str, ...] = CORTEX_M4_FLAGS, opt: str = DEFAULT_OPT) -> CortexM4Build:
    """Compile with ``opt`` and link only what ``entry_points`` reach (``--gc-sections``)."""
    gcc = find_tool("arm-none-eabi-gcc")
    # the compiler runs inside build_dir: a relative path (an export of a relative run folder) would not resolve
    library_dir, build_dir = Path(library_dir).resolve(), Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    objects = []
    for source in library_sources(library_dir):
        obj = build_dir / (source.stem + ".o")
        run_tool([gcc, *COMMON_FLAGS, *cpu_flags, opt, "-ffunction-sections", "-fdata-sections",
                  "-fstack-usage", "-fcallgraph-info=su", f"-I{library_dir}", "-c", str(source), "-o", str(obj)],
                 cwd=build_dir)
        objects.append(obj)
    elf = build_dir / "tofhil_model_footprint.elf"
    keep = [f"-Wl,--undefined={name}" for name in entry_points]
    run_tool([gcc, *cpu_flags, "-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections",
              f"-Wl,--entry={entry_points[0]}", *keep, *map(str, objects), "-o", str(elf)], cwd=build_dir)
    return CortexM4Build(elf, tuple(objects), tuple(sorted(build_dir.glob("*.ci"))))
