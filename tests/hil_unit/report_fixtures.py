"""Synthetic HIL output folders (results.jsonl, run_meta.json, references.npz) for the report tests.

``HAND_CASE`` is small enough to check every figure by hand (see the comments); ``write_folder`` writes any
variant of it in the formats of docs/architecture.md, "HIL output records".
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np

CLASSES = ["None", "Like", "Fist"]  # Fist never appears as a label: "no samples"
SCALE, ZERO_POINT = 1 / 256, -128  # a softmax output: q = -128 is 0.0, q = 127 is 255/256


def vec(cls: int) -> list[int]:
    """A confident int8 output for class ``cls``."""
    return [127 if k == cls else -128 for k in range(len(CLASSES))]


# index: (label, device status, device output, host int8, host float class, host kept, user, session)
#   0: right everywhere, exact          1: wrong on both (float right), exact
#   2: right, exact, echo differs       3: right, same class, outputs differ by 1-2 LSB
#   4: device wrong, host right         5: device filter rejected it, host kept it
#   6: label None, both say Fist        7: device classified it, host filter rejected it
FRAMES = [
    (0, "ok", vec(0), vec(0), 0, True, "User1", "s1"),
    (0, "ok", vec(1), vec(1), 0, True, "User1", "s1"),
    (1, "ok", vec(1), vec(1), 1, True, "User1", "s2"),
    (1, "ok", vec(1), [-128, 126, -127], 1, True, "User1", "s2"),
    (1, "ok", vec(0), vec(1), 1, True, "User2", "s3"),
    (1, "rejected", None, vec(1), 1, True, "User2", "s3"),
    (0, "ok", vec(2), vec(2), 2, True, "User2", "s3"),
    (1, "ok", vec(1), [0, 0, 0], 1, False, "User2", "s3"),
]
INPUT_SIZE = 4
INFER_TICKS = [84000, 84000, 84000, 168000, 84000, None, 84000, 84000]  # DWT cycles at 84 MHz
PREPROCESS_TICKS = 8400


def hand_case() -> dict:
    """Everything ``write_folder`` needs, as plain data a test may edit before writing."""
    host_input = np.arange(len(FRAMES) * INPUT_SIZE, dtype=np.int8).reshape(len(FRAMES), INPUT_SIZE)
    records = []
    for index, (label, status, output, _, _, _, user, session) in enumerate(FRAMES):
        echo = None if status != "ok" else host_input[index].tolist()
        if index == 2:
            echo = [echo[0], echo[1] + 3, echo[2] - 1, echo[3]]  # two elements differ, max |diff| 3
        records.append({"index": index, "file": f"{session}/data_{index // 4}.npz", "frame": index % 4,
                        "user": user, "session": session, "label": label, "status": status, "output": output,
                        "input": echo, "infer_ticks": INFER_TICKS[index] if status == "ok" else 0,
                        "preprocess_ticks": PREPROCESS_TICKS, "attempts": 2 if index == 1 else 1})
    float_scores = np.full((len(FRAMES), len(CLASSES)), 0.05, np.float32)
    for index, frame in enumerate(FRAMES):
        float_scores[index, frame[4]] = 0.9
    references = {"host_int8": np.array([f[3] for f in FRAMES], np.int8), "host_float": float_scores,
                  "host_input": host_input, "host_kept": np.array([f[5] for f in FRAMES]),
                  "labels": np.array([f[0] for f in FRAMES], np.int64)}
    meta = {"board": "nucleo-f401re", "mode": "raw", "class_names": list(CLASSES), "split": "test",
            "timer_kind": 0, "timer_unit": "cycles",
            "hello": {"protocol_version": 1, "timer_kind": 0, "core_clock_hz": 84_000_000, "timer_hz": 84_000_000,
                      "output_scale": SCALE, "output_zero_point": ZERO_POINT, "input_size": INPUT_SIZE,
                      "output_size": len(CLASSES)},
            "model_sha256": "ab" * 32, "wall_seconds": 2.0, "bytes_sent": 3000, "bytes_received": 1000,
            "firmware": {"flash_bytes": 20480, "ram_bytes": 3072},
            "stats": {"stack_used_bytes": 812, "stack_size_bytes": 2048, "frames_ok": 7}}
    return {"records": records, "references": references, "meta": meta}


def perfect_case(case: dict | None = None) -> dict:
    """The hand case with the device equal to the host everywhere (a board that passes the default gates)."""
    case = copy.deepcopy(case or hand_case())
    refs = case["references"]
    for record in case["records"]:
        index = record["index"]
        kept = bool(refs["host_kept"][index])
        record["status"] = "ok" if kept else "rejected"
        record["output"] = refs["host_int8"][index].tolist() if kept else None
        record["input"] = refs["host_input"][index].tolist() if kept else None
    return case


def write_folder(path: Path, case: dict, tail: str = "") -> Path:
    """Write the three files; ``tail`` is appended raw to results.jsonl (e.g. a half-written line)."""
    path.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(record) + "\n" for record in case["records"])
    (path / "results.jsonl").write_text(lines + tail)
    (path / "run_meta.json").write_text(json.dumps(case["meta"], indent=2))
    np.savez(path / "references.npz", **case["references"])
    return path
