"""Typed reading of a HIL output folder: ``results.jsonl``, ``run_meta.json``, ``references.npz``.

``results.jsonl`` is an append log: a run killed mid-write leaves a half-written last line, which is ignored
(and counted). Any other malformation is a :class:`~hil.errors.HilError` naming the file and line.

``run_meta.json`` keys read here (docs/architecture.md, "HIL output records"): ``board``, ``mode``
(raw|tensor), ``class_names``, ``timer_kind`` (0 DWT cycles, 1 QEMU SysTick ticks, 2 host ns), ``timer_hz``,
``core_clock_hz``, ``output_scale``, ``output_zero_point`` (each at the top level or inside ``hello``);
optional ``board_kind`` (physical|qemu|host), ``model_sha256``, ``run_dir``, ``wall_seconds``,
``bytes_sent``, ``bytes_received``, ``firmware: {flash_bytes, ram_bytes}``, ``stats: {stack_used_bytes, ...}``.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hil.errors import HilError
from hil.report.frame_fields import frame_fields
from tofhil.errors import ToolError
from tofhil.postprocessing import Postprocessing
from tofhil.sequence_arrays import (POSTPROCESSING_KEY, SESSIONS_KEY, TIMES_KEY, read_postprocessing,
                                    read_sessions, read_times)

RESULTS_FILE, META_FILE, REFERENCES_FILE = "results.jsonl", "run_meta.json", "references.npz"
BOARD_KIND_OF_TIMER = {0: "physical", 1: "qemu", 2: "host"}
REFERENCE_KEYS = ("host_int8", "host_float", "host_input", "host_kept", "labels")


@dataclass(frozen=True)
class FrameResult:
    """One line of ``results.jsonl``: what the board answered for one test frame."""

    index: int
    file: str
    frame: int
    user: str | None
    session: str | None
    label: int
    status: str  # "ok" | "rejected" (the device's distance filter dropped the frame)
    output: tuple[int, ...] | None
    input: tuple[int, ...] | None  # the device's echoed int8 input tensor (raw mode)
    infer_ticks: int | None
    preprocess_ticks: int | None
    attempts: int
    board: str | None = None  # the board that computed it (a sharded run has several; older logs: none)
    shown: int | None = None  # the label the device showed after it (-1: no posture; None: not computed there)
    step: int | None = None  # its place in its session's stream: the order the device's filter saw


@dataclass(frozen=True)
class RunMeta:
    board: str
    board_kind: str
    mode: str
    class_names: list[str]
    timer_kind: int
    timer_hz: float
    core_clock_hz: float
    output_scale: float
    output_zero_point: int
    model_sha256: str | None = None
    run_dir: str | None = None
    wall_seconds: float | None = None
    bytes_sent: int | None = None
    bytes_received: int | None = None
    firmware: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class References:
    """Host references over the N frames of the test set (row i = frame ``index`` i)."""

    host_int8: np.ndarray  # (N, K) int8, TFLite BUILTIN_REF
    host_float: np.ndarray  # (N, K) float32, Keras
    host_input: np.ndarray  # (N, I) int8, host-preprocessed input tensors
    host_kept: np.ndarray  # (N,) bool, the host's distance filter kept the frame
    labels: np.ndarray  # (N,) class indices
    sessions: np.ndarray | None = None  # (N,) session names (older references: None)
    times_s: np.ndarray | None = None  # (N,) recording time in seconds, NaN: unknown (tofhil.sequence_arrays)
    postprocessing: Postprocessing = field(default_factory=Postprocessing)  # the run config's section

    @property
    def frames(self) -> int:
        return int(self.labels.shape[0])


@dataclass(frozen=True)
class ValidationData:
    out_dir: Path
    meta: RunMeta
    results: list[FrameResult]  # sorted by index; may be fewer than references.frames (a dead run)
    references: References
    truncated_lines: int = 0  # a half-written last line of results.jsonl that was ignored


def load_validation(out_dir) -> ValidationData:
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise HilError(f"{out_dir}: no such HIL output folder (expected results.jsonl, run_meta.json, "
                       f"references.npz written by `python -m hil run`)")
    meta = load_meta(out_dir / META_FILE)
    references = load_references(out_dir / REFERENCES_FILE, len(meta.class_names))
    results, truncated = load_results(out_dir / RESULTS_FILE, references)
    return ValidationData(out_dir, meta, results, references, truncated)


def load_meta(path: Path) -> RunMeta:
    data = _read_json_object(path)
    hello = data.get("hello") if isinstance(data.get("hello"), dict) else {}

    def pick(key, kind, required=True):
        value = data.get(key, hello.get(key))
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, kind):
            raise HilError(f"{path}: key '{key}' must be {_kind_name(kind)}, got {value!r}")
        return value

    names = pick("class_names", list)
    if not names or not all(isinstance(n, str) for n in names):
        raise HilError(f"{path}: key 'class_names' must be a non-empty list of class names, got {names!r}")
    timer_kind = pick("timer_kind", int)
    if timer_kind not in BOARD_KIND_OF_TIMER:
        raise HilError(f"{path}: key 'timer_kind' must be 0 (DWT), 1 (QEMU SysTick) or 2 (host ns), "
                       f"got {timer_kind}")
    mode = pick("mode", str)
    if mode not in ("raw", "tensor"):
        raise HilError(f"{path}: key 'mode' must be 'raw' or 'tensor', got {mode!r}")
    number = (int, float)
    return RunMeta(
        board=pick("board", str), board_kind=pick("board_kind", str, False) or BOARD_KIND_OF_TIMER[timer_kind],
        mode=mode, class_names=names, timer_kind=timer_kind,
        timer_hz=_positive(path, "timer_hz", pick("timer_hz", number)),
        # the host board has no core clock (0); cycles -> microseconds needs one only for the DWT timer
        core_clock_hz=(_positive(path, "core_clock_hz", pick("core_clock_hz", number)) if timer_kind == 0
                       else pick("core_clock_hz", number)),
        output_scale=_positive(path, "output_scale", pick("output_scale", number)),
        output_zero_point=pick("output_zero_point", int),
        model_sha256=pick("model_sha256", str, False), run_dir=pick("run_dir", str, False),
        wall_seconds=pick("wall_seconds", number, False), bytes_sent=pick("bytes_sent", int, False),
        bytes_received=pick("bytes_received", int, False), firmware=pick("firmware", dict, False) or {},
        stats=pick("stats", dict, False) or {}, raw=data)


def load_references(path: Path, num_classes: int) -> References:
    if not path.is_file():
        raise HilError(f"{path}: missing (the runner writes the host references there)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in REFERENCE_KEYS if key not in archive.files]
            if missing:
                raise HilError(f"{path}: missing arrays {missing}; expected {list(REFERENCE_KEYS)}")
            arrays = {key: archive[key] for key in REFERENCE_KEYS}
            sequence = {key: archive[key] for key in (TIMES_KEY, SESSIONS_KEY, POSTPROCESSING_KEY) if key in archive.files}
    except (ValueError, OSError, EOFError) as exc:
        raise HilError(f"{path}: not a readable .npz of plain arrays ({exc})") from exc
    references = _checked_references(path, arrays, num_classes)
    try:
        return dataclasses.replace(references, times_s=read_times(sequence, references.frames),
                                   sessions=read_sessions(sequence, references.frames),
                                   postprocessing=read_postprocessing(sequence))
    except ToolError as exc:
        raise HilError(f"{path}: {exc}") from None


def _checked_references(path: Path, arrays: dict, num_classes: int) -> References:
    labels = arrays["labels"]
    n = labels.shape[0] if labels.ndim == 1 else -1
    outputs = 1 if num_classes == 2 and arrays["host_int8"].shape[-1:] == (1,) else num_classes
    expected = {"host_int8": ((n, outputs), "i"), "host_float": ((n, outputs), "f"),
                "host_input": ((n, None), "i"), "host_kept": ((n,), "b"), "labels": ((n,), "iu")}
    for key, (shape, kinds) in expected.items():
        array = arrays[key]
        if n < 0 or array.ndim != len(shape) or any(s is not None and a != s for a, s in zip(array.shape, shape)):
            raise HilError(f"{path}: array '{key}' has shape {array.shape}; expected "
                           f"{tuple('I' if s is None else s for s in shape)} (N frames, {num_classes} classes)")
        if array.dtype.kind not in kinds:
            raise HilError(f"{path}: array '{key}' has dtype {array.dtype}; expected kind {kinds!r}")
    if n and (labels.min() < 0 or labels.max() >= num_classes):
        raise HilError(f"{path}: 'labels' hold class indices outside [0, {num_classes - 1}]")
    return References(arrays["host_int8"].astype(np.int8), arrays["host_float"].astype(np.float32),
                      arrays["host_input"].astype(np.int8), arrays["host_kept"].astype(bool),
                      labels.astype(np.int64))


def load_results(path: Path, references: References) -> tuple[list[FrameResult], int]:
    """Frame results sorted by index, and how many half-written last lines were ignored (0 or 1)."""
    if not path.is_file():
        raise HilError(f"{path}: missing (the runner appends one line per frame there)")
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    results, seen, truncated = [], {}, 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise HilError(f"{path}:{number}: empty line inside the log (expected one JSON object per line)")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines):  # the writer died mid-line: nothing after it can be lost
                truncated = 1
                break
            raise HilError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        result = FrameResult(**frame_fields(record, f"{path}:{number}", references))
        if result.index in seen:
            raise HilError(f"{path}:{number}: frame index {result.index} already on line {seen[result.index]}")
        seen[result.index] = number
        results.append(result)
    return sorted(results, key=lambda r: r.index), truncated


def _read_json_object(path: Path) -> dict:
    if not path.is_file():
        raise HilError(f"{path}: missing (the runner writes the board and timer description there)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise HilError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise HilError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def _positive(path: Path, key: str, value):
    if value <= 0:
        raise HilError(f"{path}: key '{key}' must be > 0, got {value}")
    return value


def _kind_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "an integer", float: "a number", str: "a string", list: "a list", dict: "an object"}
    return " or ".join(names[k] for k in kinds)
