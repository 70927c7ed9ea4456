"""The terminal lines of the report's ``shown`` section: what the user of ST's application sees, beside the
per-frame figures, overall, per class and per session."""
from __future__ import annotations

from tabulate import tabulate

from hil.report.report_type import ShownSection


def shown_text(section: ShownSection | None) -> str:
    if not section:
        return ""
    spec = section.postprocessing
    head = (f"what the user sees (ST's pipeline replayed over the device's outputs, per session, in recording "
            f"order): threshold {spec.threshold:g} (int8 > {section.threshold_int8}), "
            f"{spec.filter_length} identical labels, keep last valid {str(spec.keep_last_valid).lower()}, "
            f"nothing passes: {spec.shown_when_nothing_passes}")
    if section.subsampled:
        head += "\nnote: --limit streams evenly spaced frames, not sequences: the shown figures are indicative"
    overall = [["all frames", *_cells(section)]]
    classes = [[row.class_name, *_cells(row)] for row in section.per_class]
    sessions = [[row.session, row.class_name, *_cells(row)] for row in section.per_session]
    headers = ["per-frame acc", "shown acc", "95 % CI", "no posture", "above thr", "to right label (frames)",
               "(ms)", "never", "changes/min"]
    return "\n\n".join([
        head + "\n" + tabulate(overall + classes, headers=["", *headers], disable_numparse=True),
        tabulate(sessions, headers=["session", "class", *headers], disable_numparse=True)])


def threshold_line(section: ShownSection | None) -> str:
    """'frames above the threshold 0.9: 43.80 % (812/1854)': what ``hil run`` prints."""
    if not section:
        return ""
    above = section.above_threshold
    return (f"frames above the threshold {section.postprocessing.threshold:g}: {_percent(above.rate)} "
            f"({above.count}/{above.total})")


def _cells(row) -> list[str]:
    """``row``: the section itself, a ShownClassRow or a ShownSessionRow (the same figures)."""
    time, changes = row.time_to_label, row.label_changes
    return [_percent(row.per_frame_accuracy.rate), _percent(row.shown_accuracy.rate),
            _interval(row.shown_accuracy.ci95), _percent(row.no_posture.rate),
            _percent(row.above_threshold.rate), _median(time.frames, "{:.0f}"), _median(time.ms, "{:.0f}"),
            f"{time.never}/{time.segments}",
            "-" if changes.per_minute is None else f"{changes.per_minute:.1f}"]


def _median(stats, form: str) -> str:
    if not stats:
        return "-"
    return f"{form.format(stats.median)} (p90 {form.format(stats.p90)})"


def _percent(value) -> str:
    return "-" if value is None else f"{100.0 * value:.2f} %"


def _interval(bounds) -> str:
    return "-" if not bounds else f"{100.0 * bounds[0]:.2f}-{100.0 * bounds[1]:.2f} %"
