"""The terminal text of a comparison (``python -m hil compare``): verdict first, then the tables."""
from __future__ import annotations

from tabulate import tabulate

from hil.compare.comparison import RATIO_KEYS

VALUE_WIDTH = 60  # run_meta values are cut to this many characters in the table


def comparison_text(comparison: dict, list_limit: int = 20) -> str:
    board_a, board_b = comparison["boards"]
    parts = [f"A: {comparison['a']} ({board_a})", f"B: {comparison['b']} ({board_b})", "",
             _outputs_text(comparison, list_limit), "", _accuracy_text(comparison), "",
             _reports_text(comparison["reports"]), "",
             _latency_text(comparison["latency"]), "", _firmware_text(comparison["firmware"]), "",
             _meta_text(comparison["meta_differences"])]
    return "\n".join(parts)


def _outputs_text(comparison: dict, limit: int) -> str:
    frames, outputs = comparison["frames"], comparison["outputs"]
    head = (f"frames: {frames['both']} in both (A has {frames['a']}, B has {frames['b']})\n"
            f"outputs equal (status and int8 vector): {outputs['equal']}/{outputs['compared']} "
            f"({100 * outputs['share_equal']:.2f} %)")
    if not outputs["differing_count"]:
        return head + ": THE OUTPUTS ARE EQUAL"
    rows = [[r["file"], r["frame"], r["index_a"], r["index_b"], _output(r, "a"), _output(r, "b"),
             "-" if r["max_abs_diff"] is None else r["max_abs_diff"], _layer(r["first_layer"])]
            for r in outputs["differing"][:limit]]
    more = outputs["differing_count"] - len(rows)
    table = tabulate(rows, ["file", "frame", "index A", "index B", "output A", "output B", "max |diff|",
                            "first differing layer"], disable_numparse=True)
    tail = f"\n... and {more} more (--json lists up to 100)" if more > 0 else ""
    return f"{head}: {outputs['differing_count']} FRAMES DIFFER\n{table}{tail}"


def _output(row: dict, side: str) -> str:
    output = row[f"output_{side}"]
    return row[f"status_{side}"] if output is None else " ".join(str(v) for v in output)


def _layer(first: dict | None) -> str:
    if first is None:
        return "- (no per-layer data for this frame in both)"
    if first["layer"] is None:
        return "every layer equal (per-layer runs on the host's input)"
    return f"{first['layer']} {first['opcode']} (max |diff| {first['max_abs_diff']})"


def _accuracy_text(comparison: dict) -> str:
    accuracy = comparison["accuracy"]
    rows = [[side, board, _percent(entry["accuracy"]), _interval(entry["ci95"]),
             f"{entry['correct']}/{entry['total']}"]
            for side, board, entry in (("A", comparison["boards"][0], accuracy["a"]),
                                       ("B", comparison["boards"][1], accuracy["b"]))]
    test = accuracy["mcnemar"]
    table = tabulate(rows, ["", "board", "accuracy", "95 % CI (Wilson)", "correct/frames"], disable_numparse=True)
    return (f"{table}\nMcNemar ({test['method']}) on the {test['frames']} frames both classified: "
            f"{test['only_a_right']} right only on A, {test['only_b_right']} right only on B, "
            f"p = {test['p_value']:.4g}")


def _reports_text(reports: list) -> str:
    """Each folder's own hil_report.json: its verdict over all its frames (not only the paired ones)."""
    lines = []
    for side, entry in zip("AB", reports):
        if entry is None:
            lines.append(f"{side}: no hil_report.json (an interrupted run?)")
            continue
        failed = ", ".join(entry["gates_failed"]) or "none"
        lines.append(f"{side}: hil_report.json (schema {entry['schema']}): on-device accuracy "
                     f"{_percent(entry['device_accuracy'])} ({_interval(entry['ci95'])}, {entry['frames']} frames, "
                     f"{entry['split']}); gates judged {entry['gates_judged']}, failed: {failed}")
    return "\n".join(lines)


def _latency_text(latency: dict) -> str:
    if not latency["a"] or not latency["b"]:
        return "latency: not reported by both boards"
    ratios = latency["ratio_b_over_a"]
    rows = [[key, _number(latency["a"]["stats"][key]), _number(latency["b"]["stats"][key]),
             "-" if ratios[key] is None else f"{ratios[key]:.3f}"] for key in RATIO_KEYS]
    table = tabulate(rows, ["inference", f"A ({latency['a']['label']})", f"B ({latency['b']['label']})",
                            "B / A"], disable_numparse=True)
    return table + (f"\nnote: {latency['note']}" if latency["note"] else "")


def _firmware_text(firmware: list[dict]) -> str:
    keys = ("board", "mode", "firmware_sha256", "model_sha256", "firmware_version", "flash_bytes", "ram_bytes",
            "build_flags")
    rows = [[key, _cell(firmware[0].get(key), 200), _cell(firmware[1].get(key), 200),
             "same" if firmware[0].get(key) == firmware[1].get(key) else "DIFFERS"] for key in keys]
    return tabulate(rows, ["firmware", "A", "B", ""], disable_numparse=True, maxcolwidths=[None, 48, 48, None])


def _meta_text(differences: list[dict]) -> str:
    if not differences:
        return "run_meta.json: no differences"
    rows = [[d["key"], _cell(d["a"]), _cell(d["b"])] for d in differences]
    return f"run_meta.json: {len(differences)} keys differ\n" + tabulate(rows, ["key", "A", "B"],
                                                                         disable_numparse=True)


def _cell(value, width: int = VALUE_WIDTH) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def _percent(value) -> str:
    return "-" if value is None else f"{100 * value:.2f} %"


def _interval(interval) -> str:
    return "-" if not interval else f"{100 * interval[0]:.2f}-{100 * interval[1]:.2f} %"


def _number(value) -> str:
    return "-" if value is None else f"{value:,.1f}"
