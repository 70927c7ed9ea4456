"""Local ST Edge AI Core backend: ``stedgeai analyze`` gives the footprint of ST's runtime without a network.

The executable is ``--stedgeai PATH``, else ``stedgeai`` on PATH, else ``$STEDGEAI_CORE_DIR/Utilities/<os>/``.
Figures come from ``<output>/network_c_info.json`` (json_schema_version 2.0: ``memory_footprint``, ``graphs``,
``environment``) when it exists, else from the summary lines of the text report.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from hil.st_benchmark.deadline import Progress
from hil.st_benchmark.errors import StEdgeAiError
from hil.st_benchmark.json_store import ResultsFile
from hil.st_benchmark.run_inputs import ModelFile, RunModels

RESULTS_NAME = "stedgeai_results.json"
OS_FOLDER = {"linux": "linux", "darwin": "macarm", "win32": "windows"}
INSTALL_HINT = ("install ST Edge AI Core (https://www.st.com/en/development-tools/stedgeai-core.html), then put "
                "stedgeai on PATH, set STEDGEAI_CORE_DIR, or pass --stedgeai PATH")
_NUMBER = r"([0-9][0-9,]*)"
TEXT_FIELDS = {
    "macc": re.compile(rf"^\s*macc\s*:\s*{_NUMBER}", re.MULTILINE),
    "weights_flash_bytes": re.compile(rf"^\s*weights \(ro\)\s*:\s*{_NUMBER} B", re.MULTILINE),
    "activations_ram_bytes": re.compile(rf"^\s*activations \(rw\)\s*:\s*{_NUMBER} B", re.MULTILINE),
}
RAM_TOTAL = re.compile(rf"^\s*ram \(total\)\s*:\s*{_NUMBER} B.*?=\s*{_NUMBER}\s*\+\s*{_NUMBER}\s*\+\s*{_NUMBER}",
                       re.MULTILINE)
RT_TOTAL = re.compile(rf"^\s*RT total\s+{_NUMBER}\s+[0-9.]+%\s+{_NUMBER}", re.MULTILINE)
GRAND_TOTAL = re.compile(rf"^\s*TOTAL\s+{_NUMBER}\s+{_NUMBER}\s*$", re.MULTILINE)
VERSION = re.compile(r"ST Edge AI Core v([0-9][0-9.]*)")


@dataclass(frozen=True)
class StEdgeAiOptions:
    executable: Path | None = None
    target: str = "stm32f4"
    timeout_s: float = 600.0


def find_stedgeai(explicit: Path | None = None, environ=None) -> Path:
    environ = os.environ if environ is None else environ
    if explicit is not None:
        if not Path(explicit).is_file():
            raise StEdgeAiError(f"{explicit}: no stedgeai executable there; {INSTALL_HINT}")
        return Path(explicit)
    found = shutil.which("stedgeai", path=environ.get("PATH"))
    if found:
        return Path(found)
    core = environ.get("STEDGEAI_CORE_DIR")
    if core:
        exe = Path(core) / "Utilities" / OS_FOLDER.get(sys.platform, "linux") / "stedgeai"
        if exe.is_file() or exe.with_suffix(".exe").is_file():
            return exe if exe.is_file() else exe.with_suffix(".exe")
    raise StEdgeAiError(f"stedgeai not found (not on PATH, STEDGEAI_CORE_DIR={core!r}); {INSTALL_HINT}")


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def figures_from_c_info(data: dict) -> dict:
    """Footprint and MACC from ``network_c_info.json``."""
    footprint = data["memory_footprint"]
    library_flash = sum(int(footprint.get(k) or 0) for k in ("kernel_flash", "toolchain_flash", "extra_flash"))
    library_ram = sum(int(footprint.get(k) or 0) for k in ("kernel_ram", "toolchain_ram", "extra_ram"))
    has_library = "kernel_flash" in footprint
    weights, activations = int(footprint["weights"]), int(footprint["activations"])
    io = sum(int(v or 0) for v in footprint.get("io", []))
    version = data.get("environment", {}).get("tools", [{}])[0].get("version")
    return {"weights_flash_bytes": weights, "library_flash_bytes": library_flash if has_library else None,
            "total_flash_bytes": weights + library_flash if has_library else None,
            "activations_ram_bytes": activations, "io_ram_bytes": io,
            "library_ram_bytes": library_ram if has_library else None,
            "total_ram_bytes": activations + io + library_ram if has_library else None,
            "macc": sum(int(node.get("macc", 0)) for node in data["graphs"][0]["nodes"]),
            "tool_version": version if isinstance(version, str) else _version_text(version)}


def _version_text(value) -> str | None:
    if isinstance(value, dict):
        return ".".join(str(value[k]) for k in ("major", "minor", "micro") if k in value)
    return None if value is None else str(value)


def figures_from_text(text: str) -> dict:
    """Footprint and MACC from the analyze report's summary lines (the colon form, not ``model: macc=``)."""
    figures = {key: _int(m.group(1)) if (m := pattern.search(text)) else None for key, pattern in TEXT_FIELDS.items()}
    if figures["macc"] is None and figures["weights_flash_bytes"] is None:
        raise ValueError("no 'macc :' or 'weights (ro) :' line")
    ram = RAM_TOTAL.search(text)
    figures["io_ram_bytes"] = _int(ram.group(3)) + _int(ram.group(4)) if ram else None
    runtime, total = RT_TOTAL.search(text), GRAND_TOTAL.search(text)
    figures["library_flash_bytes"] = _int(runtime.group(1)) if runtime else None
    figures["library_ram_bytes"] = _int(runtime.group(2)) if runtime else None
    figures["total_flash_bytes"] = _int(total.group(1)) if total else None
    figures["total_ram_bytes"] = _int(total.group(2)) if total else None
    version = VERSION.search(text)
    figures["tool_version"] = version.group(1) if version else None
    return figures


def read_analyze_output(out_dir: Path, workspace: Path, stdout: str) -> tuple[dict, str]:
    """(figures, the file they came from)."""
    for path in (out_dir / "network_c_info.json", workspace / "network_c_info.json"):
        if path.is_file():
            try:
                return figures_from_c_info(json.loads(path.read_text(encoding="utf-8"))), str(path)
            except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
                raise ValueError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from exc
    report = out_dir / "network_analyze_report.txt"
    text = report.read_text(encoding="utf-8", errors="replace") if report.is_file() else stdout
    try:
        return figures_from_text(text), str(report) if report.is_file() else "stdout"
    except ValueError as exc:
        raise ValueError(f"{report if report.is_file() else 'stedgeai output'}: {exc}") from exc


class StEdgeAiAnalyze:
    """``stedgeai analyze`` of both models, each figure saved as it arrives."""

    def __init__(self, models: RunModels, out_dir: Path, options: StEdgeAiOptions = StEdgeAiOptions(),
                 progress: Progress | None = None):
        self.models, self.options, self.out_dir = models, options, Path(out_dir)
        self.executable = find_stedgeai(options.executable)
        self.progress = progress or Progress("stedgeai")
        self.results = ResultsFile(self.out_dir / RESULTS_NAME, {
            "schema": "tofhil.stedgeai/1", "backend": "stedgeai", "run_dir": str(models.run_dir),
            "executable": str(self.executable), "target": options.target,
            "models": {m.kind: m.to_dict() for m in models.both()}, "measurements": {}})

    def run(self) -> dict:
        for model in self.models.both():
            self._analyze(model)
        self.results.update(status="complete")
        return self.results.data

    def _analyze(self, model: ModelFile) -> None:
        work = self.out_dir / f"stedgeai_{model.kind}"
        command = [str(self.executable), "analyze", "--model", str(model.path), "--target", self.options.target,
                   "--workspace", str(work / "workspace"), "--output", str(work / "output")]
        self.progress.say(f"stedgeai analyze {model.kind} model (limit {self.options.timeout_s:g} s)")
        completed = self._execute(command, model.kind, work)
        try:
            figures, origin = read_analyze_output(work / "output", work / "workspace", completed.stdout)
        except ValueError as exc:
            raise self._failed("report", model.kind, f"cannot read the analyze report: {exc}") from exc
        figures["report_file"] = origin
        self.results.data["measurements"][model.kind] = {"analyze": figures}
        self.results.save()
        self.progress.say(f"{model.kind}: flash {figures['total_flash_bytes']} B, RAM {figures['total_ram_bytes']} B, "
                          f"MACC {figures['macc']}")

    def _execute(self, command: list[str], kind: str, work: Path) -> subprocess.CompletedProcess:
        work.mkdir(parents=True, exist_ok=True)
        log = work / "stedgeai.log"
        try:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=self.options.timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise self._failed("timeout", kind, f"stedgeai analyze did not finish within "
                                                f"{self.options.timeout_s:g} s; raise --st-timeout") from exc
        except OSError as exc:
            raise self._failed("exec", kind, f"cannot run {command[0]}: {exc}") from exc
        log.write_text(f"$ {' '.join(command)}\n{completed.stdout}\n{completed.stderr}", encoding="utf-8")
        if completed.returncode != 0:
            last = (completed.stderr.strip() or completed.stdout.strip()).splitlines()[-1:] or ["(no output)"]
            raise self._failed("exit", kind, f"stedgeai analyze exited with {completed.returncode}: {last[0]} "
                                             f"(log: {log})")
        return completed

    def _failed(self, kind: str, model_kind: str, detail: str) -> StEdgeAiError:
        self.results.fail(kind, f"analyze {model_kind} model", detail)
        return StEdgeAiError(f"ST Edge AI Core, analyze {model_kind} model: {detail}", self.results.path)


def run_stedgeai(models: RunModels, out_dir: Path, options: StEdgeAiOptions = StEdgeAiOptions(),
                 progress: Progress | None = None) -> dict:
    return StEdgeAiAnalyze(models, out_dir, options, progress).run()
