"""The side-by-side table: ST's runtime (float and int8) next to ours (int8), each figure with its source.

Cycles (a Cortex-M4 cycle counter, on ST's farm or our board) and instructions (QEMU's instruction count on
our emulator) stay in separate columns: they are different quantities and never share a cell.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tabulate import tabulate

from hil.st_benchmark import our_figures
from hil.st_benchmark.json_store import write_json_atomic

COLUMNS = (("flash_bytes", "flash KiB"), ("ram_bytes", "RAM KiB"), ("cycles", "cycles"),
           ("instructions", "instructions (emulator, not cycles)"), ("ms", "ms"), ("accuracy", "accuracy"))
SHORT = {"flash_bytes": "flash", "ram_bytes": "RAM", "cycles": "cycles", "instructions": "instructions",
         "ms": "ms", "accuracy": "accuracy"}
LEGEND = ("cycles: Cortex-M4 clock cycles per inference measured on a board; instructions: guest instructions "
          "counted by QEMU -icount on our emulator (not cycles: no pipeline, flash wait states or memory timing). "
          "Flash/RAM of ST rows: weights + ST runtime library (+ activations and I/O for RAM); of our row: "
          "weights + our runtime library, arena and deepest stack.")
KIND_NAMES = {"float": "ST runtime float", "int8": "ST runtime int8"}


@dataclass
class Row:
    name: str
    figures: dict = field(default_factory=dict)  # column -> (value, source)
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"name": self.name, "notes": self.notes,
                "figures": {k: {"value": v, "source": s} for k, (v, s) in self.figures.items()}}


def _set(row: Row, column: str, value, source: str) -> None:
    if value is not None:
        row.figures[column] = (value, source)


def cloud_version(results: dict) -> str | None:
    """The ST Edge AI version the cloud used: the client's effective version, else the tools' own."""
    effective = (results.get("st_edge_ai_version") or {}).get("effective")
    if effective:
        return effective
    for measured in (results.get("measurements") or {}).values():
        for figures in measured.values():
            if (figures or {}).get("tool_version"):
                return figures["tool_version"]
    return None


def st_cloud_rows(results: dict) -> list[Row]:
    board = results.get("board") or results.get("requested_board") or "?"
    version = cloud_version(results)
    suffix = f", ST Edge AI {version}" if version else ""
    benchmark_source, analyze_source = f"ST cloud benchmark ({board}{suffix})", f"ST cloud analyze (estimate{suffix})"
    rows = []
    for kind in ("float", "int8"):
        row = Row(KIND_NAMES[kind])
        measured = results.get("measurements", {}).get(kind, {})
        bench, analyze = measured.get("benchmark") or {}, measured.get("analyze") or {}
        for column, key in (("flash_bytes", "total_flash_bytes"), ("ram_bytes", "total_ram_bytes")):
            _set(row, column, analyze.get(key), analyze_source)
            _set(row, column, bench.get(key), benchmark_source)
        _set(row, "cycles", bench.get("cycles"), benchmark_source)
        _set(row, "ms", bench.get("duration_ms"), benchmark_source)
        row.notes += _validation_notes(bench) or ([] if bench else [f"{kind}: no benchmark result"])
        rows.append(row)
    if results.get("error"):
        error = results["error"]
        rows[-1].notes.append(f"ST cloud run stopped at {error.get('step')}: {error.get('kind')}")
    return rows


def _validation_notes(bench: dict) -> list[str]:
    metrics = (bench.get("validation") or {}).get("metrics") or []
    return [f"ST validation {m.get('description')}: l2r={m.get('l2r')}, acc={m.get('accuracy')} "
            f"(ST's cloud validates on random inputs, not on the test set)" for m in metrics]


def stedgeai_rows(results: dict) -> list[Row]:
    rows = []
    for kind in ("float", "int8"):
        row = Row(KIND_NAMES[kind])
        analyze = results.get("measurements", {}).get(kind, {}).get("analyze") or {}
        source = f"ST Edge AI Core {analyze.get('tool_version') or ''} analyze (local, {results.get('target')})"
        _set(row, "flash_bytes", analyze.get("total_flash_bytes"), source)
        _set(row, "ram_bytes", analyze.get("total_ram_bytes"), source)
        if analyze.get("library_flash_bytes") is None:
            row.notes.append(f"{kind}: stedgeai reported no runtime library size (weights and activations only)")
        rows.append(row)
    return rows


def our_row(run_dir: Path, hil_report: Path | None = None) -> Row:
    row = Row("our runtime int8")
    figures, notes = our_figures.export_figures(run_dir)
    report_path = our_figures.find_hil_report(run_dir, hil_report)
    if report_path is not None:
        hil, hil_notes = our_figures.hil_figures(report_path)
        for fallback in ("flash_bytes", "ram_bytes"):  # the whole firmware only when the library was not measured
            if fallback not in figures and f"firmware_{fallback}" in hil:
                figures[fallback] = hil[f"firmware_{fallback}"]
        figures.update({k: v for k, v in hil.items() if not k.startswith("firmware_")})
        notes += hil_notes + [f"HIL report: {report_path}"]
    else:
        notes.append("no HIL report (RUN/hil/*/hil_report.json): no latency; run `python -m hil run` first")
    row.figures, row.notes = figures, notes
    return row


def latest_st_results(run_dir: Path) -> Path | None:
    """The newest ``RUN/hil/st-cloud/*/st_cloud_results.json`` or ``RUN/hil/stedgeai/*/stedgeai_results.json``."""
    found = list(Path(run_dir).glob("hil/st-cloud/*/st_cloud_results.json")) + \
        list(Path(run_dir).glob("hil/stedgeai/*/stedgeai_results.json"))
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def comparison_section(run_dir: Path, hil_report: Path | None = None) -> dict | None:
    """For a HIL report: the comparison with the run's newest ST results, or None when ST never measured it."""
    path = latest_st_results(run_dir)
    if path is None:
        return None
    section = build_comparison(our_figures.read_json(path, "ST results"), run_dir, hil_report)
    section["st_results"] = str(path)
    return section


def build_comparison(st_results: dict, run_dir: Path, hil_report: Path | None = None) -> dict:
    """The JSON-ready comparison (also the section a HIL report embeds)."""
    st_rows = stedgeai_rows(st_results) if st_results.get("backend") == "stedgeai" else st_cloud_rows(st_results)
    rows = st_rows + [our_row(run_dir, hil_report)]
    return {"columns": [{"key": k, "label": label} for k, label in COLUMNS], "legend": LEGEND,
            "rows": [row.to_dict() for row in rows]}


def _cell(column: str, value) -> str:
    if value is None:
        return "-"
    if column in ("flash_bytes", "ram_bytes"):
        return f"{value / 1024:.2f}"
    if column == "ms":
        return f"{value:.3f}"
    if column == "accuracy":
        return f"{value:.2%}"
    return f"{value:,.0f}"


def _sources(figures: dict) -> str:
    by_source: dict[str, list[str]] = {}
    for column, _ in COLUMNS:
        if column in figures:
            by_source.setdefault(figures[column]["source"], []).append(SHORT[column])
    return "; ".join(f"{', '.join(labels)}: {source}" for source, labels in by_source.items()) or "-"


def render_table(comparison: dict) -> str:
    headers = ["runtime"] + [label for _, label in COLUMNS] + ["source of each figure"]
    body = [[row["name"]] + [_cell(k, row["figures"].get(k, {}).get("value")) for k, _ in COLUMNS]
            + [_sources(row["figures"])] for row in comparison["rows"]]
    table = tabulate(body, headers=headers, tablefmt="github", disable_numparse=True,
                     maxcolwidths=[None] * (len(COLUMNS) + 1) + [64])
    notes = [f"- {row['name']}: {note}" for row in comparison["rows"] for note in row["notes"]]
    return "\n".join([table, "", comparison["legend"]] + (["", "notes:"] + notes if notes else []))


def write_comparison(out_dir: Path, comparison: dict) -> tuple[Path, Path]:
    json_path = write_json_atomic(Path(out_dir) / "comparison.json", comparison)
    text_path = Path(out_dir) / "comparison.txt"
    tmp = text_path.with_name(".comparison.txt.tmp")
    tmp.write_text(render_table(comparison) + "\n", encoding="utf-8")
    tmp.replace(text_path)
    return json_path, text_path
