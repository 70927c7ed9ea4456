"""One validation as users ask for it: a run folder and a board in, a judged report folder out.

Resolves the settings (the run config's ``hil:`` section, ``section.key=value`` overrides, command-line
options) and the test frames with their host references (both from ``python -m training hil-inputs``, run as a
step: ``hil`` imports nothing from ``training``), brings the board up (:class:`~hil.runner.BoardSession`),
streams the test set, writes the report files and judges the gates. ``python -m hil run`` and the pytest
plugin both call :func:`run_validation` / its parts.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from hil.errors import HilError
from hil.report.gates import GateThresholds
from hil.runner import BoardOptions, BoardSession, ensure_export, step_error, validate
from tofhil.boards import load_board
from tofhil.folders import RunFolder
from tofhil.per_layer_selection import PerLayerSelection, parse_per_layer
from tofhil.validation_inputs import REFERENCES_NAME, TestFrames, ValidationInputs, read_arrays, read_inputs, \
    write_references


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
    per_layer: PerLayerSelection | None = None  # --per-layer (else the config's hil.per_layer)
    farm: object = None  # hil.farm.shards.FarmRequest: several boards or places (None or one board: no sharding)


@dataclass
class ValidationOutcome:
    output_dir: Path
    report: dict
    gates: list
    summary: str


@dataclass
class Settings:
    run: RunFolder
    board: str
    mode: str
    limit: int | None
    gates: GateThresholds
    output_dir: Path
    inputs: ValidationInputs  # test frames, host references and the config's hil section (resolved)
    per_layer: PerLayerSelection | None = None  # which frames to compare layer by layer (None: off)


def resolve_settings(request: ValidationRequest) -> Settings:
    """The run's settings with the request's on top; the run is exported first (the references need it).
    Every option is checked before a board is started or a file is written in the output folder."""
    run = RunFolder.open(request.run_dir) if request.run_dir else RunFolder.newest()
    if request.options.board:
        load_board(request.options.board)  # an unknown board is refused before the export
    if request.output_dir is not None:
        check_output_dir(Path(request.output_dir), request.resume)
    ensure_export(run)
    inputs = make_inputs(run, request.overrides, request.limit)
    hil = inputs.hil
    board = request.options.board or hil["board"]
    mode = request.mode or hil["mode"]
    if mode not in ("raw", "tensor"):
        raise HilError(f"--mode {mode!r}: expected raw or tensor")
    gates = GateThresholds.from_config(hil["gates"]).with_overrides(request.gate_overrides)
    output_dir = request.output_dir or (Path(hil["output_dir"]) if hil["output_dir"] else None)
    if output_dir is None:
        output_dir = run.hil_dir / f"{board}-{mode}-{time.strftime('%Y_%m_%d_%H_%M_%S')}"
    output_dir = Path(output_dir)
    check_output_dir(output_dir, request.resume)
    if not request.options.board:
        load_board(board)
    per_layer = request.per_layer or parse_per_layer(hil.get("per_layer"))
    return Settings(run, board, mode, request.limit or hil["limit"], gates, output_dir, inputs, per_layer)


def check_output_dir(output_dir: Path, resume: bool = False) -> None:
    """The output folder can be used: a folder (made now if missing), and not one holding a finished or
    interrupted validation unless ``--resume`` continues it. Nothing in it is written before this passes."""
    if output_dir.exists() and not output_dir.is_dir():
        raise HilError(f"--output-dir {output_dir} is a file; name a folder")
    results = output_dir / "results.jsonl"
    if not resume and results.exists():
        raise HilError(f"{results} exists: pass --resume to continue that run, or another --output-dir")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        probe = output_dir / f".write-check-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise HilError(f"--output-dir {output_dir}: cannot write there ({exc.strerror or exc}); "
                       "name a folder you can write to") from None


def make_inputs(run: RunFolder, overrides: list[str], limit: int | None) -> ValidationInputs:
    """Run ``python -m training hil-inputs`` (config, dataset, TensorFlow live there) and read what it wrote."""
    with tempfile.TemporaryDirectory(prefix="tofhil-inputs-") as folder:
        command = [sys.executable, "-m", "training", "hil-inputs", str(run.path), "--to", folder,
                   *(["--limit", str(limit)] if limit is not None else []), *overrides]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise HilError(f"the test set of {run.path}: {step_error(result.stderr or result.stdout)}")
        return read_inputs(Path(folder))


def prepare_frames(settings: Settings) -> tuple[TestFrames, dict]:
    """The test frames and their host references, saved beside the results (a resumed run keeps the
    references it started with)."""
    frames, references = settings.inputs.frames, settings.inputs.references
    references_path = settings.output_dir / REFERENCES_NAME
    if references_path.is_file():
        stored = read_arrays(references_path)
        if stored["labels"].shape[0] == len(frames):
            return frames, stored
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    write_references(references, references_path)
    return frames, references


def compare_layers(session: BoardSession, settings: Settings, references: dict):
    """``--per-layer``: every layer of the picked frames on the board against BUILTIN_REF (per_layer.npz)."""
    from hil.per_layer import run_per_layer

    return run_per_layer(session, settings.per_layer, references, settings.inputs.layers, settings.output_dir)


def report_and_judge(output_dir: Path, gates: GateThresholds, training_run: RunFolder | None = None):
    """(report, gate results, summary text) of a finished stream, every report file written (and tracked in the
    training run's MLflow when ``training_run`` is given)."""
    from hil.report import make_report, summary_text

    made = make_report(output_dir, gates, track=training_run is not None,
                       run_dir=training_run.path if training_run is not None else None)
    return made.report, made.gates, summary_text(made.report, made.gates)


def run_validation(request: ValidationRequest, session: BoardSession | None = None) -> ValidationOutcome:
    farm = request.farm if request.farm is not None and request.farm.sharded else None
    if farm is not None and farm.boards:
        farm.shards(farm.boards[0], request.options.port)  # options that do not go together: refused first
    settings = resolve_settings(request)
    if farm is not None and settings.per_layer is not None:  # refused before a board starts or a file is written
        raise HilError("--per-layer (or hil.per_layer) compares the layers on one board: run it without "
                       "--parallel, --place, --reserve or a second --board (pytest hil compares them on the first)")
    request.options.board = settings.board
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    if farm is not None:  # several boards or labgrid places (hil/farm/)
        from hil.farm.sharded import run_farm

        frames, references = prepare_frames(settings)
        run_farm(farm, request.options, settings, frames, references, request.progress, request.resume)
        report, gates, summary = report_and_judge(settings.output_dir, settings.gates, settings.run)
        return ValidationOutcome(settings.output_dir, report, gates, summary)
    own_session = session is None
    if own_session:
        session = BoardSession(request.options, settings.run, settings.output_dir).open()
    try:
        frames, references = prepare_frames(settings)
        validate(session, frames, references, settings.mode, settings.output_dir, request.progress, request.resume)
        compare_layers(session, settings, references)
    finally:
        if own_session:
            session.close()
    report, gates, summary = report_and_judge(settings.output_dir, settings.gates, settings.run)
    return ValidationOutcome(settings.output_dir, report, gates, summary)
