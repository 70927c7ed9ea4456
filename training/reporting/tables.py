"""Text tables of a run's metrics (tabulate), for the console and the run folder's report."""
from __future__ import annotations

from tabulate import tabulate

from tofhil.metrics import wilson_interval

_KEYS = ("precision", "recall", "f1")


def metrics_table(metrics_by_split: dict[str, dict], tablefmt: str = "github") -> str:
    """One row per class, then macro-average, accuracy and accuracy-CI rows; per split the columns P, R, F1 (%)
    and n.

    ``metrics_by_split`` maps a split name ("train", "validation", "test") to the dict of
    :func:`tofhil.metrics.classification_metrics`. Undefined values show as "-";
    accuracy sits in the F1 column, as in scikit-learn's classification report, and its 95 % Wilson interval
    in the row below.
    """
    splits = list(metrics_by_split)
    headers = ["class"] + [f"{split} {short}" for split in splits for short in ("P", "R", "F1", "n")]
    rows = []
    for name in _class_names(metrics_by_split):
        row = [name]
        for split in splits:
            entry = metrics_by_split[split]["per_class"].get(name, {})
            row += [_percent(entry.get(key)) for key in _KEYS] + [entry.get("support", "-")]
        rows.append(row)
    macro_row, accuracy_row, interval_row = ["macro average"], ["accuracy"], ["accuracy 95 % CI (Wilson)"]
    for split in splits:
        metrics = metrics_by_split[split]
        macro_row += [_percent(metrics.get("macro", {}).get(key)) for key in _KEYS] + [metrics.get("samples", "-")]
        accuracy_row += ["", "", _percent(metrics.get("accuracy")), metrics.get("samples", "-")]
        interval_row += ["", "", _interval(metrics.get("accuracy_ci95")), ""]
    rows += [macro_row, accuracy_row, interval_row]
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)


def confusion_table(matrix, class_names: list[str], tablefmt: str = "github") -> str:
    """Counts with true classes as rows and predicted classes as columns, plus each row's support."""
    rows = [[f"true {name}"] + [int(count) for count in row] + [int(sum(row))]
            for name, row in zip(class_names, matrix)]
    return tabulate(rows, headers=["true \\ predicted"] + list(class_names) + ["support"], tablefmt=tablefmt)


def _class_names(metrics_by_split: dict[str, dict]) -> list[str]:
    names: list[str] = []
    for metrics in metrics_by_split.values():
        for name in metrics.get("class_names", metrics.get("per_class", {})):
            if name not in names:
                names.append(name)
    return names


def accuracy_cell(correct: int, total: int) -> str:
    """"82.68 % (95 % CI 81.03-84.21)" for a table cell; "-" for no frames."""
    bounds = wilson_interval(correct, total)
    if bounds is None:
        return "-"
    return f"{100.0 * correct / total:.2f} % (95 % CI {_interval(bounds)})"


def _interval(bounds) -> str:
    return "-" if not bounds else f"{100.0 * bounds[0]:.2f}-{100.0 * bounds[1]:.2f}"


def _percent(value) -> str:
    return "-" if value is None else f"{100.0 * value:.2f}"
