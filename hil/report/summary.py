"""The terminal summary of a report (tabulate): what an engineer reads first, numbers with their split and CI."""
from __future__ import annotations

from tabulate import tabulate

from hil.report.calibration import calibration_line
from hil.report.report_type import HilReport
from hil.report.per_layer import per_layer_text
from hil.report.shown_summary import shown_text, threshold_line

SHOWN_MISMATCHES = 10


def summary_text(report: HilReport, gate_results=None) -> str:
    """Plain text; its last line names the output folder. The gates: ``gate_results``, else the report's."""
    shown = report.shown
    threshold = shown.postprocessing.threshold if shown else None
    blocks = [_header(report), _accuracy_table(report), threshold_line(shown),
              calibration_line(report.calibration, threshold),
              shown_text(report.shown), _agreement_block(report), _stedgeai_table(report),
              _per_class_table(report), *_breakdown_tables(report), _raw_mode_block(report),
              _latency_table(report), _boards_table(report), per_layer_text(report.per_layer),
              _resources_block(report)]
    gate_results = report.gates if gate_results is None else gate_results
    if gate_results:
        blocks.append(_gates_table(gate_results))
    blocks.append(f"output folder: {report.output_dir}")
    return "\n\n".join(block for block in blocks if block) + "\n"


def percent(value) -> str:
    return "-" if value is None else f"{100.0 * value:.2f} %"


def interval(bounds) -> str:
    return "-" if not bounds else f"{100.0 * bounds[0]:.2f}-{100.0 * bounds[1]:.2f} %"


def _header(report: HilReport) -> str:
    frames = report.frames
    lines = [f"HIL validation on {report.board} ({report.board_kind}), {report.mode} mode, "
             f"frames: {report.split}",
             f"{frames.received} of {frames.expected} frames "
             f"({frames.device_ok} classified on device, {frames.device_rejected} rejected by its filter)"]
    if report.model_sha256:
        lines.append(f"model sha256 {report.model_sha256}")
    if not frames.complete:
        lines.append(f"WARNING: incomplete run: {frames.expected - frames.received} frames have no result")
    if frames.truncated_lines_ignored:
        lines.append("note: a half-written last line of results.jsonl was ignored (the run was interrupted)")
    return "\n".join(lines)


def _accuracy_table(report: HilReport) -> str:
    names = {"device": "on device (int8)", "host_int8": "host int8 (TFLite BUILTIN_REF)",
             "host_float": "host float (Keras)"}
    rows = [[names[key], percent(entry.accuracy), interval(entry.ci95), f"{entry.correct}/{entry.total}"]
            for key, entry in report.accuracy.sides()]
    return tabulate(rows, headers=[f"accuracy on {report.split}", "value", "95 % CI (Wilson)", "correct/frames"])


def _agreement_block(report: HilReport) -> str:
    agreement = report.agreement
    rows = [[label, percent(rate.rate), interval(rate.ci95), f"{rate.count}/{rate.total}"]
            for label, rate in (("exact match (all int8 outputs)", agreement.exact_match),
                                ("top-1 agreement", agreement.top1))]
    shown = agreement.shown
    if shown:  # the label shown on the device against the host's replay of the same pipeline
        rows.append(["label shown (device vs host replay)", percent(shown.rate), interval(shown.ci95),
                     f"{shown.count}/{shown.total}"])
    text = tabulate(rows, headers=["device vs host int8", "rate", "95 % CI (Wilson)", "frames"])
    if shown and shown.mismatches:
        listed = [[m.session, m.step, m.file, m.frame, m.device_shown, m.host_shown]
                  for m in shown.mismatches[:SHOWN_MISMATCHES]]
        text += (f"\n\n{shown.total - shown.count} frames whose label shown on the device differs from the "
                 f"host's replay (first {len(listed)}; more in hil_report.json):\n")
        text += tabulate(listed, headers=["session", "step", "file", "frame", "device shows", "host replay shows"])
    mismatches = agreement.class_mismatches
    if mismatches.count:
        shown = [[m.file, m.frame, m.label, m.device_class, m.host_class, m.device_output,
                  m.host_output] for m in mismatches.frames[:SHOWN_MISMATCHES]]
        text += (f"\n\n{mismatches.count} frames classified differently on device and host "
                 f"(first {len(shown)}; all in hil_report.json):\n")
        text += tabulate(shown, headers=["file", "frame", "label", "device", "host", "device out", "host out"])
    return text


def _stedgeai_table(report: HilReport) -> str:
    rows = [[row.row, row.frames, *(_number(value) for value in (row.acc, row.rmse, row.mae, row.l2r, row.cos))]
            for row in report.stedgeai]
    return "stedgeai validate metrics (dequantized outputs)\n" + tabulate(
        rows, headers=["", "frames", "acc", "rmse", "mae", "l2r", "cos"], disable_numparse=True)


def _per_class_table(report: HilReport) -> str:
    device, host = report.classification.device, report.classification.host_int8
    rows = []
    for name in report.class_names:
        entry, host_entry = device.per_class[name], host.per_class[name]
        if entry.support == 0 and host_entry.support == 0:
            rows.append([name, "no samples", "", "", "", 0])
            continue
        rows.append([name, percent(entry.precision), percent(entry.recall),
                     percent(host_entry.precision), percent(host_entry.recall), entry.support])
    return tabulate(rows, headers=["class", "device P", "device R", "host P", "host R", "frames"])


def _breakdown_tables(report: HilReport) -> list[str]:
    tables = []
    for key, groups in report.breakdowns.tables():
        rows = [[group.name, group.frames, percent(group.device.accuracy), interval(group.device.ci95),
                 percent(group.host_int8.accuracy)] for group in groups]
        tables.append(tabulate(rows, headers=[key, "frames", "device accuracy", "95 % CI", "host int8 accuracy"]))
    return tables


def _raw_mode_block(report: HilReport) -> str:
    raw = report.raw_mode
    if not raw:
        return ""
    pre, flt = raw.preprocessing_mismatches, raw.filter
    lines = [f"raw mode: preprocessing mismatches (device echo vs host input): {pre.count} of "
             f"{pre.compared} frames compared",
             f"distance filter: device rejected / host kept {flt.device_rejected_host_kept.count}, "
             f"device kept / host rejected {flt.device_kept_host_rejected.count}"]
    for item in pre.frames[:SHOWN_MISMATCHES]:
        lines.append(f"  {item.file} frame {item.frame}: {item.differing_elements} elements differ "
                     f"(max |diff| {item.max_abs_diff})")
    return "\n".join(lines)


def _latency_table(report: HilReport) -> str:
    rows = []
    for stage, block in report.latency.stages():
        if block is None:
            continue
        rows.append([stage, block.label, *_stat_cells(block.stats)])
        if block.us:
            tolerance = block.us_tolerance
            unit = f"microseconds (+-{100 * tolerance:g} %, nominal clock)" if tolerance else "microseconds"
            rows.append([stage, unit, *_stat_cells(block.us)])
    headers = ["latency", "unit", "mean", "min", "max", "std", "p50", "p95", "p99"]
    if not rows:
        return "latency: not measured"
    notes = [f"microseconds: {n}" for n in sorted({block.us_tolerance_note for _, block in report.latency.stages()
                                                  if block and block.us and block.us_tolerance_note})]
    removed = report.interrupts_removed
    if removed:
        mean = removed.per_inference
        notes.append(f"interrupt handlers taken out of the timed sections by the firmware: {removed.count:,} "
                     f"entries, {removed.removed:,.0f} {removed.unit}"
                     + (f" ({mean:,.1f} per inference)" if mean is not None else ""))
    return "\n".join([tabulate(rows, headers=headers, disable_numparse=True), *notes])


def _boards_table(report: HilReport) -> str:
    """Per board, when several shared the frames: the one that differs stands out, and one that dropped out or
    never came up is listed with its cause."""
    boards = report.boards or []
    if len(boards) < 2:
        return ""
    unit = report.latency.inference.unit if report.latency.inference else ""
    notes = any(b.failure for b in boards)
    rows = [[b.board, b.frames, percent(b.accuracy), percent(b.exact_match), _number(b.latency_mean),
             "-" if b.frames_per_s is None else f"{b.frames_per_s:.1f}",
             "-" if b.bytes_per_s is None else f"{b.bytes_per_s / 1000:.1f}", b.restarts,
             *([b.failure or ""] if notes else [])]
            for b in boards]
    return "per board\n" + tabulate(rows, headers=["board", "frames", "accuracy", "exact vs host",
                                                    f"mean latency ({unit})", "frames/s", "link kB/s", "restarts",
                                                    *(["failure"] if notes else [])],
                                    disable_numparse=True)


def _resources_block(report: HilReport) -> str:
    link, firmware = report.link, report.firmware
    lines = []
    if link and link.frames_per_s is not None:
        rate = f", {link.bytes_per_s:,.0f} bytes/s" if link.bytes_per_s is not None else ""
        lines.append(f"link: {link.frames_per_s:.1f} frames/s{rate} over {link.wall_seconds:.1f} s")
    if firmware and firmware.flash_bytes is not None:
        lines.append(f"firmware: flash {firmware.flash_bytes:,} bytes ({firmware.flash_kib:.2f} KiB), "
                     f"RAM {firmware.ram_bytes:,} bytes ({firmware.ram_kib:.2f} KiB)")
    if firmware and firmware.stack_size_bytes:  # 0: a board without a painted stack (the host)
        lines.append(f"stack high-water mark: {firmware.stack_used_bytes} of "
                     f"{firmware.stack_size_bytes} bytes")
    return "\n".join(lines)


def _gates_table(gate_results) -> str:
    """Each gate with what its measured value is: a fraction gate is judged on a bound of the figure's 95 %
    confidence interval, so ``measured`` differs from the accuracy printed above it."""
    judged = any(g.judged_on for g in gate_results)  # a schema-1 report's gates do not say: no empty column
    rows = [[g.name, g.status, _number(g.measured), _number(g.threshold), g.unit, *([g.judged_on] if judged else [])]
            for g in gate_results]
    headers = ["gate", "result", "measured", "threshold", "unit", *(["judged on"] if judged else [])]
    return "gates\n" + tabulate(rows, headers=headers, disable_numparse=True)


def _stat_cells(stats) -> list[str]:
    return [_number(value) for value in (stats.mean, stats.min, stats.max, stats.std, stats.p50, stats.p95, stats.p99)]


def _number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}" if isinstance(value, float) else str(value)
