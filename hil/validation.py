"""One validation as users ask for it: a run folder and a board in, a judged report folder out.

Resolves the settings (the run config's ``hil:`` section, ``section.key=value`` overrides, command-line
options) and the test frames with their host references (both from ``python -m training hil-inputs``, run as a
step: ``hil`` imports nothing from ``training``), brings the board up (:class:`~hil.runner.BoardSession`),
streams the test set, writes the report files and judges the gates. ``python -m hil run`` and the pytest
plugin both call :func:`run_validation` / its parts.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from hil.errors import HilError
from hil.model_request import check_model_request, default_output_dir, model_run_dir, step_arguments
from hil.report.gates import GateThresholds
from hil.report.report_type import HilReport
from hil.runner import BoardOptions, BoardSession, ensure_export, validate
from tofhil.boards import load_board
from tofhil.folders import RunFolder
from tofhil.processes import python_step
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
    model: Path | None = None  # --model: a model file trained elsewhere (with config), instead of a run folder
    config: Path | None = None
    sweep: bool = False  # --sweep-threshold: the summary gets the threshold x filter-length table


@dataclass
class ValidationOutcome:
    output_dir: Path
    report: HilReport
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
    external_model: bool = False  # --model: the run folder was made for a model trained elsewhere
    sweep: bool = False  # --sweep-threshold

    @property
    def training_run(self) -> RunFolder | None:
        """The training run whose MLflow run the report is logged under; None for a model trained elsewhere
        (no training run to nest under: the report stays in its folder)."""
        return None if self.external_model else self.run


def resolve_settings(request: ValidationRequest) -> Settings:
    """The run's settings with the request's on top; the run is exported first (the references need it).
    Every option is checked before a board is started or a file is written in the output folder."""
    check_model_request(request.model, request.config, request.run_dir)
    if request.model is not None:
        run, inputs, default_output = _model_run(request)
    else:
        run = RunFolder.open(request.run_dir) if request.run_dir else RunFolder.newest()
        if request.options.board:
            load_board(request.options.board)  # an unknown board is refused before the export
        if request.output_dir is not None:
            check_output_dir(Path(request.output_dir), request.resume)
        ensure_export(run)
        inputs = make_inputs(run.path, request.overrides, request.limit)
        default_output = None
    hil = inputs.hil
    board = request.options.board or hil["board"]
    mode = request.mode or hil["mode"]
    if mode not in ("raw", "tensor"):
        raise HilError(f"--mode {mode!r}: expected raw or tensor")
    gates = GateThresholds.from_config(hil["gates"]).with_overrides(request.gate_overrides)
    output_dir = request.output_dir or default_output or (Path(hil["output_dir"]) if hil["output_dir"] else None)
    if output_dir is None:
        output_dir = run.hil_dir / f"{board}-{mode}-{time.strftime('%Y_%m_%d_%H_%M_%S')}"
    output_dir = Path(output_dir)
    check_output_dir(output_dir, request.resume)
    if not request.options.board:
        load_board(board)
    per_layer = request.per_layer or parse_per_layer(hil.get("per_layer"))
    return Settings(run, board, mode, request.limit or hil["limit"], gates, output_dir, inputs, per_layer,
                    external_model=request.model is not None, sweep=request.sweep)


def _model_run(request: ValidationRequest) -> tuple[RunFolder, ValidationInputs, Path]:
    """--model: the run-shaped folder OUTPUT/model made by the training step, its inputs, and OUTPUT."""
    if request.options.board:
        load_board(request.options.board)  # an unknown board is refused before the export
    output_dir = Path(request.output_dir or default_output_dir(request.model))
    check_output_dir(output_dir, request.resume)
    run_dir = model_run_dir(output_dir)
    inputs = make_inputs(run_dir, request.overrides, request.limit, step_arguments(request.model, request.config))
    run = RunFolder.open(run_dir)
    ensure_export(run)  # made by the step; checked as for any run folder
    return run, inputs, output_dir


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


def make_inputs(run_dir: Path, overrides: list[str], limit: int | None, extra: list[str] = ()) -> ValidationInputs:
    """Run ``python -m training hil-inputs`` (config, dataset, TensorFlow live there) and read what it wrote
    (``extra``: ``--model``/``--config``, which make ``run_dir`` a run-shaped folder first)."""
    with tempfile.TemporaryDirectory(prefix="tofhil-inputs-") as folder:
        python_step("training", ["hil-inputs", run_dir, "--to", folder,
                                 *(["--limit", str(limit)] if limit is not None else []), *extra, *overrides],
                    f"the test set of {run_dir}", error=HilError)
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


def report_and_judge(output_dir: Path, gates: GateThresholds, training_run: RunFolder | None = None,
                     sweep: bool = False):
    """(report, gate results, summary text) of a finished stream, every report file written (and tracked in the
    training run's MLflow when ``training_run`` is given); ``sweep`` adds the threshold sweep to the text."""
    from hil.report import make_report, summary_text
    from hil.report.sweep import sweep_text

    made = make_report(output_dir, gates, track=training_run is not None,
                       run_dir=training_run.path if training_run is not None else None)
    summary = summary_text(made.report, made.gates)
    if sweep:
        summary = sweep_text(made.report.sweep) + "\n\n" + summary
    return made.report, made.gates, summary


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

        try:  # the references are written once the places are held: a refused place leaves nothing behind
            run_farm(farm, request.options, settings, None, None, request.progress, request.resume,
                     prepare=lambda: prepare_frames(settings))
        except HilError:
            with contextlib.suppress(OSError):
                settings.output_dir.rmdir()  # only when empty: the folder check made it
            raise
        report, gates, summary = report_and_judge(settings.output_dir, settings.gates, settings.training_run,
                                                   settings.sweep)
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
    report, gates, summary = report_and_judge(settings.output_dir, settings.gates, settings.training_run,
                                                   settings.sweep)
    return ValidationOutcome(settings.output_dir, report, gates, summary)
