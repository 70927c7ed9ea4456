"""What a validation streams and writes, shared by the single-board runner (:mod:`hil.runner`) and the board
farm (:mod:`hil.farm`): which frames are sent in a mode, the request for one frame, its ``results.jsonl``
record, the progress bar, and ``run_meta.json``."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path

from hil.protocol.messages import InferRaw, InferTensor
from tofhil.atomic import write_text_atomic


def frame_indices(frames, references: dict, mode: str) -> list[int]:
    if mode == "raw":
        return list(range(len(frames)))
    return [i for i in range(len(frames)) if references["host_kept"][i]]  # a tensor exists for kept frames


def frame_request(frames, references: dict, mode: str, i: int):
    if mode == "raw":
        raw = frames.raw
        return InferRaw(tuple(int(v) for v in raw.distance_mm[i]), tuple(int(v) for v in raw.signal_per_spad[i]),
                        tuple(int(v) for v in raw.target_status[i]), echo=True)
    return InferTensor(tuple(int(v) for v in references["host_input"][i]))


def frame_record(frames, index: int, result, attempts: int, step: int | None = None) -> dict:
    ok = result.status == 0
    return {"index": int(index), "file": str(frames.files[index]), "frame": int(frames.frames[index]),
            "user": str(frames.users[index]), "session": str(frames.sessions[index]),
            "label": int(frames.labels[index]), "status": "ok" if ok else "rejected",
            "output": list(result.output) if ok else None,
            "input": list(result.echoed_input) if result.echoed_input is not None else None,
            "infer_ticks": int(result.infer_ticks), "preprocess_ticks": int(result.preprocess_ticks),
            "attempts": int(attempts),
            # the label the device shows after this frame (None: a firmware without the decision pipeline) and
            # the frame's place in its session's stream, the order the device's filter saw
            "shown": result.shown, "step": step}


def write_run_meta(session, frames, mode: str, output_dir: Path, wall: float, sent: int,
                received: int, streamed: int) -> None:
    hello = session.client.hello
    stats = session.client.stats()
    meta_path = output_dir / "run_meta.json"
    previous = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    meta = {
        "board": session.options.board, "board_kind": session.spec.kind, "mode": mode,
        "split": frames.split, "frames": len(frames), "class_names": frames.class_names,
        "run_dir": str(session.run.path), "export_dir": str(session.export.path),
        "model_sha256": hello.model_sha256,
        "hello": dataclasses.asdict(hello),
        "timer_kind": hello.timer_kind, "timer_unit": hello.timer_unit,
        # what the core clock is derived from: the tolerance beside every microsecond figure (hil.report.timing)
        "clock_source": getattr(getattr(session.spec, "clock", None), "source", None),
        "firmware": _firmware_meta(session.image),
        "stats": dataclasses.asdict(stats),
        "link": session.client.counters.to_dict(),
        "wall_seconds": round(previous.get("wall_seconds", 0) + wall, 3),
        "bytes_sent": previous.get("bytes_sent", 0) + sent,
        "bytes_received": previous.get("bytes_received", 0) + received,
        "frames_streamed": previous.get("frames_streamed", 0) + streamed,
        "timings": session.timings,
        "link_url": getattr(session.target, "link_url", None),
        "link_wrapper": session.options.link_wrapper,
        "injected_faults": session.injected_faults,
    }
    write_text_atomic(meta_path, json.dumps(meta, indent=2) + "\n")


def _firmware_meta(image) -> dict:
    keys = ("flash_bytes", "ram_bytes", "elf", "board")
    meta = {k: (str(getattr(image, k)) if k == "elf" else getattr(image, k, None)) for k in keys}
    # what python -m hil compare shows: which bytes ran (the flashed .bin, or the host executable) and how
    # they were compiled (the flags make recorded)
    meta.update(firmware_identity(image))
    return meta


def firmware_identity(image) -> dict:
    """``sha256`` of the image the board runs and the ``build_flags`` its ``make`` used (None when unknown)."""
    from tofhil.firmware import BUILD_FLAGS_FILE

    ran = getattr(image, "bin", None) or getattr(image, "executable", None)
    sha256 = hashlib.sha256(Path(ran).read_bytes()).hexdigest() if ran and Path(ran).is_file() else None
    project = getattr(image, "project_dir", None)
    flags = Path(project) / BUILD_FLAGS_FILE if project else None
    return {"sha256": sha256,
            "build_flags": flags.read_text(encoding="utf-8").strip() if flags and flags.is_file() else None}


def progress_bar(total: int, already: int, enabled: bool, label: str):
    from tqdm import tqdm

    return tqdm(total=total + already, initial=already, disable=not enabled, unit="frame", desc=label,
                file=sys.stderr, dynamic_ncols=True, mininterval=0.5)
