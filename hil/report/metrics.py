"""Every figure of the validation report: ``build_report(data) -> HilReport``.

Each section builder returns its JSON shape; :func:`hil.report.report_file.report_from_dict` types the whole
(strictly: a key without its field in ``hil/report/report_type.py`` fails here, at the first build).

Which frames count where: on-device accuracy over the frames the device classified (status ok); host
accuracies over the received frames the host's filter kept; device-vs-host comparisons over the frames both
classified. Every accuracy carries its 95 % Wilson interval and the name of its split.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hil.report.per_layer import load_per_layer, per_layer_section
from hil.report.raw_mode import raw_mode_section
from hil.report.records import FrameResult, ValidationData
from hil.report.stedgeai import dequantize, stedgeai_rows, top1
from hil.report.boards import boards_section
from hil.report.calibration import calibration_section
from hil.report.shown import shown_report
from hil.report.report_file import REPORT_SCHEMA, report_from_dict
from hil.report.report_type import HilReport
from hil.report.shown_agreement import shown_agreement_section
from hil.report.sweep import sweep_section
from hil.report.timing import footprint_section, interrupts_section, latency_section, link_section
from tofhil.metrics import classification_metrics, wilson_interval

@dataclass(frozen=True)
class AlignedFrames:
    """The received frames lined up with their host references (row i = ``results[i]``)."""

    results: list[FrameResult]
    labels: np.ndarray
    device_ok: np.ndarray
    host_kept: np.ndarray
    device_class: np.ndarray  # -1 where the device rejected the frame
    device_out: np.ndarray  # int8 (n, K), zeros where rejected
    host_int8: np.ndarray
    host_float: np.ndarray

    @property
    def both(self) -> np.ndarray:
        return self.device_ok & self.host_kept


def align(data: ValidationData) -> AlignedFrames:
    refs, meta = data.references, data.meta
    rows = np.array([r.index for r in data.results], np.int64)
    width = refs.host_int8.shape[1]
    device_ok = np.array([r.status == "ok" for r in data.results], bool)
    device_out = np.array([r.output if r.output is not None else (0,) * width for r in data.results],
                          np.int8).reshape(len(rows), width)
    device_class = np.where(device_ok, top1(dequantize(device_out, meta.output_scale, meta.output_zero_point))
                            if len(rows) else np.zeros(0, np.int64), -1)
    return AlignedFrames(list(data.results), refs.labels[rows], device_ok, refs.host_kept[rows], device_class,
                         device_out, refs.host_int8[rows], refs.host_float[rows])


def accuracy_entry(correct: int, total: int, split: str) -> dict:
    interval = wilson_interval(int(correct), int(total))
    return {"split": split, "correct": int(correct), "total": int(total),
            "accuracy": correct / total if total else None,
            "ci95": list(interval) if interval else None, "ci_method": "wilson"}


def accuracy_section(frames: AlignedFrames, meta, split: str) -> dict:
    host_class = _host_classes(frames, meta)
    ok, kept = frames.device_ok, frames.host_kept
    return {
        "device": accuracy_entry(np.sum(frames.device_class[ok] == frames.labels[ok]), ok.sum(), split),
        "host_int8": accuracy_entry(np.sum(host_class[kept] == frames.labels[kept]), kept.sum(), split),
        "host_float": accuracy_entry(np.sum(top1(frames.host_float)[kept] == frames.labels[kept])
                                     if len(kept) else 0, kept.sum(), split),
    }


def agreement_section(frames: AlignedFrames, meta, limit: int) -> dict:
    both = frames.both
    exact = np.all(frames.device_out == frames.host_int8, axis=1) & both
    host_class = _host_classes(frames, meta)
    same_class = (frames.device_class == host_class) & both
    compared = int(both.sum())
    class_rows = [_mismatch_row(frames, i, host_class, meta.class_names)
                  for i in np.flatnonzero(both & ~same_class)]
    output_rows = [{**_where(frames.results[i]), "max_abs_diff": _max_diff(frames.device_out[i], frames.host_int8[i])}
                   for i in np.flatnonzero(both & ~exact)]
    return {"frames": compared, "exact_match": _rate(exact.sum(), compared),
            "top1": _rate(same_class.sum(), compared),
            "class_mismatches": {"count": len(class_rows), "frames": class_rows[:limit]},
            "output_mismatches": {"count": len(output_rows), "frames": output_rows[:limit]}}


def classification_section(frames: AlignedFrames, meta) -> dict:
    names = meta.class_names
    ok, kept = frames.device_ok, frames.host_kept
    sections = {"device": classification_metrics(frames.labels[ok], frames.device_class[ok], names),
                "host_int8": classification_metrics(frames.labels[kept], _host_classes(frames, meta)[kept], names)}
    for metrics in sections.values():
        for entry in metrics["per_class"].values():
            if entry["support"] == 0:
                entry["note"] = "no samples"
        metrics["no_samples"] = [n for n, e in metrics["per_class"].items() if e["support"] == 0]
    return sections


def breakdown_section(frames: AlignedFrames, meta, split: str) -> dict:
    """Per user and per session, only when the received frames span more than one."""
    host_class = _host_classes(frames, meta)
    breakdowns = {}
    for key in ("user", "session"):
        groups = np.array([getattr(r, key) or "-" for r in frames.results], dtype=object)
        if len(set(groups.tolist())) < 2:
            continue
        breakdowns[key] = [_group_row(frames, host_class, groups == value, key, value, split)
                           for value in sorted(set(groups.tolist()))]
    return breakdowns


def build_report(data: ValidationData, list_limit: int = 1000) -> HilReport:
    meta, frames = data.meta, align(data)
    split = str(meta.raw.get("split") or "test")
    both = frames.both
    return report_from_dict({
        "schema": REPORT_SCHEMA, "output_dir": str(data.out_dir), "board": meta.board,
        "board_kind": meta.board_kind, "mode": meta.mode, "split": split, "model_sha256": meta.model_sha256,
        "run_dir": meta.run_dir, "class_names": list(meta.class_names),
        "frames": _frame_counts(data, frames),
        "accuracy": accuracy_section(frames, meta, split),
        "agreement": {**agreement_section(frames, meta, list_limit), "shown": shown_agreement_section(data)},
        "classification": classification_section(frames, meta),
        "breakdowns": breakdown_section(frames, meta, split),
        "stedgeai": stedgeai_rows(frames.device_out[both], frames.host_int8[both], frames.host_float[both],
                                  frames.labels[both], meta.output_scale, meta.output_zero_point),
        "raw_mode": raw_mode_section(data, frames.results, list_limit) if meta.mode == "raw" else None,
        "latency": {"inference": latency_section([r.infer_ticks for r in data.results if r.status == "ok"], meta),
                    "preprocessing": latency_section([r.preprocess_ticks for r in data.results
                                                      if r.preprocess_ticks], meta)},
        # from the board's STATS at the end of the run: a resumed run reports its last session's
        "interrupts_removed": interrupts_section(meta, int(sum(r.status == "ok" for r in data.results))),
        "link": link_section(meta, len(data.results)),
        "firmware": footprint_section(meta),
        "per_layer": per_layer_section(load_per_layer(data.out_dir), meta),
        "boards": boards_section(data, frames),
        "shown": shown_report(data)[0],
        "sweep": sweep_section(data),
        "calibration": calibration_section(frames.device_out, frames.device_ok, frames.labels, meta.output_scale,
                                           meta.output_zero_point),
    }, f"the report of {data.out_dir}")


def _frame_counts(data: ValidationData, frames: AlignedFrames) -> dict:
    # tensor mode streams only the frames the host's filter kept: those are the ones expected
    kept = int(data.references.host_kept.sum())
    expected = data.references.frames if data.meta.mode == "raw" else kept
    received = len(data.results)
    return {"expected": expected, "received": received, "complete": received == expected,
            "device_ok": int(frames.device_ok.sum()), "device_rejected": int((~frames.device_ok).sum()),
            "host_kept": int(frames.host_kept.sum()), "compared": int(frames.both.sum()),
            "retried": sum(1 for r in data.results if r.attempts > 1),
            "truncated_lines_ignored": data.truncated_lines}


def _host_classes(frames: AlignedFrames, meta) -> np.ndarray:
    if not len(frames.labels):
        return np.zeros(0, np.int64)
    return top1(dequantize(frames.host_int8, meta.output_scale, meta.output_zero_point))


def _group_row(frames: AlignedFrames, host_class, members, key: str, value: str, split: str) -> dict:
    ok, kept = frames.device_ok & members, frames.host_kept & members
    return {key: value, "frames": int(members.sum()),
            "device": accuracy_entry(np.sum(frames.device_class[ok] == frames.labels[ok]), ok.sum(), split),
            "host_int8": accuracy_entry(np.sum(host_class[kept] == frames.labels[kept]), kept.sum(), split)}


def _rate(count, total: int) -> dict:
    interval = wilson_interval(int(count), int(total))
    return {"count": int(count), "total": int(total), "rate": count / total if total else None,
            "ci95": list(interval) if interval else None}


def _where(result: FrameResult) -> dict:
    return {"index": result.index, "file": result.file, "frame": result.frame, "user": result.user,
            "session": result.session}


def _mismatch_row(frames: AlignedFrames, i: int, host_class, names) -> dict:
    return {**_where(frames.results[i]), "label": names[frames.labels[i]],
            "device_class": names[frames.device_class[i]], "host_class": names[host_class[i]],
            "device_output": frames.device_out[i].tolist(), "host_output": frames.host_int8[i].tolist()}


def _max_diff(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.max(np.abs(a.astype(np.int16) - b.astype(np.int16))))
