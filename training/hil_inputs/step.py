"""``python -m training hil-inputs RUN --to DIR``: the test frames, host references and resolved ``hil:``
settings of a run, written for ``hil`` (:mod:`tofhil.validation_inputs`), which runs this as a step."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from tofhil.errors import FolderError
from tofhil.folders import ExportFolder, RunFolder
from tofhil.sequence_arrays import sequence_arrays
from tofhil.validation_inputs import write_inputs
from training.errors import ExportError
from training.hil_inputs.layer_references import compute_layer_references
from training.hil_inputs.model_folder import make_model_folder
from training.hil_inputs.references import compute_references
from training.hil_inputs.testset import load_config, load_test_frames


def write_hil_inputs(run_dir: Path, folder: Path, overrides: list[str], limit: int | None = None,
                     model: Path | None = None, config_path: Path | None = None) -> Path:
    if model is not None:  # a model trained elsewhere: RUN_DIR is made its run-shaped folder first
        make_model_folder(model, config_path, run_dir, overrides)
    run = RunFolder.open(run_dir)
    config = load_config(run, overrides)
    frames = load_test_frames(run, config).limit(limit or config.hil.limit)
    export = ExportFolder.open(run.export_dir)
    spec = export.report().get("preprocessing")
    if spec is None:
        raise ExportError(f"{export.path / 'model_report.json'}: no preprocessing section (a model without the "
                          "8x8x2 ToF input cannot be validated on sensor frames)")
    try:
        model_path = run.model_path()
    except FolderError:
        model_path = None
    references = compute_references(frames, spec, export.tflite_path, model_path)
    references.update(sequence_arrays(frames, config.postprocessing))
    layers = compute_layer_references(export.tflite_path, references["host_input"], references["host_kept"])
    return write_inputs(folder, dataclasses.asdict(config.hil), frames, references, layers)


def add_hil_inputs_parser(sub) -> None:
    command = sub.add_parser("hil-inputs", help="write a run's HIL test frames and host references (for python -m hil)")
    command.add_argument("run_dir", help="run folder of python -m training train (with its export/)")
    command.add_argument("--to", required=True, type=Path, help="folder to write into")
    command.add_argument("--limit", type=int, default=None, help="N frames spread over the test set")
    command.add_argument("--model", type=Path, default=None,
                         help="a model trained elsewhere (.h5, .keras, .tflite): RUN_DIR is first made a run-shaped "
                              "folder for it (resolved config, model, split manifest, export); needs --config")
    command.add_argument("--config", type=Path, default=None, help="the config.yaml of --model")
    command.add_argument("overrides", nargs="*", metavar="section.key=value",
                         help="config overrides, e.g. dataset.test_path=DIR")
    command.set_defaults(func=cmd_hil_inputs)


def cmd_hil_inputs(args) -> int:
    if (args.model is None) != (args.config is None):
        raise ExportError("--model and --config go together")
    write_hil_inputs(args.run_dir, args.to, args.overrides, args.limit, args.model, args.config)
    return 0
