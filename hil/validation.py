"""One validation as users ask for it: a run folder and a board in, a judged report folder out.

Resolves the settings (the run config's ``hil:`` section, ``section.key=value`` overrides, command-line
options), brings the board up (:class:`~hil.runner.BoardSession`), computes the host references, streams the
test set, writes the report files and judges the gates. ``python -m hil run`` and the pytest plugin both call
:func:`run_validation` / its parts.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from hil.errors import FolderError, HilError
from hil.gates import GateThresholds, evaluate_gates
from training.hil_inputs.references import compute_references, write_references
from hil.runner import BoardOptions, BoardSession, validate
from training.hil_inputs.testset import load_config, load_test_frames
from tofhil.folders import ExportFolder, RunFolder


@dataclass
class ValidationRequest:
    options: BoardOptions
    run_dir: Path | None = None
    output_dir: Path | None = None
    mode: str | None = None
    limit: int | None = None
    overrides: list[str] = field(default_factory=list)  # section.key=value, applied to the run's config
    gate_overrides: dict = field(default_factory=dict)
    resume: bool = False
    progress: bool = True


@dataclass
class ValidationOutcome:
    output_dir: Path
    report: dict
    gates: list
    summary: str


@dataclass
class Settings:
    run: RunFolder
    config: object
    mode: str
    limit: int | None
    gates: GateThresholds
    output_dir: Path


def resolve_settings(request: ValidationRequest) -> Settings:
    run = RunFolder.open(request.run_dir) if request.run_dir else RunFolder.newest()
    config = load_config(run, request.overrides)
    hil = config.hil
    mode = request.mode or hil.mode
    if mode not in ("raw", "tensor"):
        raise HilError(f"--mode {mode!r}: expected raw or tensor")
    gates = GateThresholds.from_config(hil.gates).with_overrides(request.gate_overrides)
    output_dir = request.output_dir or (Path(hil.output_dir) if hil.output_dir else None)
    if output_dir is None:
        output_dir = run.hil_dir / f"{request.options.board}-{mode}-{time.strftime('%Y_%m_%d_%H_%M_%S')}"
    output_dir = Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise HilError(f"--output-dir {output_dir} is a file; name a folder")
    return Settings(run, config, mode, request.limit or hil.limit, gates, output_dir)


def prepare_frames(settings: Settings, export: ExportFolder):
    """The test frames and their host references (computed once, saved beside the results)."""
    import numpy as np

    frames = load_test_frames(settings.run, settings.config).limit(settings.limit)
    references_path = settings.output_dir / "references.npz"
    if references_path.is_file():  # a resumed run: the references it started with
        with np.load(references_path, allow_pickle=False) as stored:
            if stored["labels"].shape[0] == len(frames):
                return frames, {key: stored[key] for key in stored.files}
    report = export.report()
    spec = report.get("preprocessing")
    if spec is None:
        raise HilError(f"{export.path / 'model_report.json'}: no preprocessing section (a model without the "
                       "8x8x2 ToF input cannot be validated on sensor frames)")
    try:
        keras_path = settings.run.model_path()
    except FolderError:
        keras_path = None
    references = compute_references(frames, spec, export.tflite_path, keras_path)
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    write_references(references, references_path)
    return frames, references


def report_and_judge(output_dir: Path, gates: GateThresholds, training_run: RunFolder | None = None):
    from hil.report import build_report, load_validation, summary_text, write_report_files

    data = load_validation(output_dir)
    report = build_report(data)
    results = evaluate_gates(report, gates, evidence_path=str(output_dir / "hil_report.json"))
    write_report_files(data, report, results)
    if training_run is not None:
        from hil.report.mlflow_log import log_report

        log_report(output_dir, report, training_run.path, gate_results=results)
    return report, results, summary_text(report, results)


def run_validation(request: ValidationRequest, session: BoardSession | None = None) -> ValidationOutcome:
    settings = resolve_settings(request)
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    own_session = session is None
    if own_session:
        session = BoardSession(request.options, settings.run, settings.output_dir).open()
    try:
        frames, references = prepare_frames(settings, session.export)
        validate(session, frames, references, settings.mode, settings.output_dir, request.progress, request.resume)
    finally:
        if own_session:
            session.close()
    report, gates, summary = report_and_judge(settings.output_dir, settings.gates, settings.run)
    return ValidationOutcome(settings.output_dir, report, gates, summary)
