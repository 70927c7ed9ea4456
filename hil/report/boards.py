"""The per-board table of a report: what each board of a sharded run computed, so a board that differs stands
out (its accuracy, its agreement with the host, its latency, its link rate). One row for a single-board run."""
from __future__ import annotations

import numpy as np

from hil.report.timing import convert_ticks, summary_stats


def boards_section(data, frames) -> list[dict]:
    """One row per board named in ``results.jsonl`` (frames of a log without board names: the meta's board),
    then one per board of ``run_meta.json``'s ``shards`` that answered no frame (with its ``failure``).
    ``frames`` is :class:`hil.report.metrics.AlignedFrames` (row i = ``data.results[i]``)."""
    meta = data.meta
    names = np.array([r.board or meta.board for r in data.results], dtype=object)
    shards = meta.raw.get("shards") if isinstance(meta.raw.get("shards"), dict) else {}
    exact = np.all(frames.device_out == frames.host_int8, axis=1) if len(names) else np.zeros(0, bool)
    rows = []
    for name in sorted(set(names.tolist())):
        member = names == name
        ok = member & frames.device_ok
        both = member & frames.both
        ticks = [r.infer_ticks for r, m in zip(data.results, ok) if m and r.infer_ticks is not None]
        latency = summary_stats(convert_ticks(ticks, meta)[0]) if ticks else None
        shard = shards.get(name, {}) if isinstance(shards.get(name), dict) else {}
        seconds = shard.get("seconds") if shards else meta.wall_seconds
        moved = (shard.get("bytes_sent", 0) + shard.get("bytes_received", 0)) if shards else \
            (meta.bytes_sent or 0) + (meta.bytes_received or 0)
        count = int(member.sum())
        rows.append({
            "board": name, "frames": count, "device_ok": int(ok.sum()),
            "accuracy": float(np.mean(frames.device_class[ok] == frames.labels[ok])) if ok.any() else None,
            "exact_match": float(np.mean(exact[both])) if both.any() else None,
            "latency_mean": latency["mean"] if latency else None,
            "latency_p50": latency["p50"] if latency else None,
            "frames_per_s": count / seconds if seconds else None,
            "bytes_per_s": moved / seconds if seconds and moved else None,
            "restarts": shard.get("restarts", 0), "given_back": shard.get("given_back", 0),
            "place": shard.get("place"), "failure": shard.get("failure"),
        })
    for name in sorted(set(shards) - set(names.tolist())):  # a board that answered no frame: never came up,
        shard = shards[name] if isinstance(shards[name], dict) else {}  # or dropped out before its first
        rows.append({"board": name, "frames": 0, "device_ok": 0, "accuracy": None, "exact_match": None,
                     "latency_mean": None, "latency_p50": None, "frames_per_s": None, "bytes_per_s": None,
                     "restarts": shard.get("restarts", 0), "given_back": shard.get("given_back", 0),
                     "place": shard.get("place"), "failure": shard.get("failure")})
    return rows
