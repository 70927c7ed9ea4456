"""ST's ``deployment`` and ``benchmarking`` operation modes, over our export and ``python -m hil``.

deployment: the config's model is exported (int8, C library, firmware project for the board) through the
run-shaped folder of ``hil run --model`` (:func:`training.hil_inputs.model_folder.fill_model_folder`): a Keras
model or a float ``.tflite`` is calibrated on the config's first data path (training split, else the test set,
said on one line; none is one line naming the keys), an int8 ``.tflite`` is used as it is. It is built with
``python -m hil build``, then ``python -m hil doctor`` flashes it (or starts the emulated board) and checks that
the board answers with the model's sha256. A board that does not answer is the doctor's diagnosis and exit 2;
the deployment folder (and its built project) is kept.

benchmarking: ``python -m hil benchmark`` on ST's Developer Cloud (``tools.stedgeai.on_cloud`` true, board
``benchmarking.board``) or the local ``stedgeai`` at ``path_to_stedgeai``, on a run folder or on a model file
exported first (with no data path, as in ST's example, calibrated on random inputs: no figure measured there
depends on the calibration; said on one line and in model_report.json).

``hil`` runs in its own process: training imports nothing of ``hil``, and ``hil`` nothing of training.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from training.config.schema import Config
from training.errors import HandPostureError

ST_BOARDS = {"NUCLEO-F401RE": "nucleo-f401re"}  # ST's board names that have a board file here
DEPLOYABLE = (".h5", ".keras", ".tflite")  # a float model is quantized here; an int8 .tflite is used as it is


class StModeError(HandPostureError):
    """An ST operation mode cannot run here (board, model or tool), with what to do."""


def our_board(name: str | None, key: str, source: str) -> str:
    """ST's board name (``NUCLEO-F401RE``) or one of ours -> the name of a file in configs/boards/."""
    from tofhil.boards import list_boards

    ours = list_boards()
    board = ST_BOARDS.get(name or "NUCLEO-F401RE", name)
    if board not in ours:
        raise StModeError(f"{source}: {key}: {name!r} has no board file here; boards: {', '.join(ours)} "
                          f"(ST's NUCLEO-F401RE is nucleo-f401re)")
    return board


def run_deployment(config: Config, output_dir: str | None, overwrite: bool) -> int:
    from training.export.config_data import config_data, needs_calibration
    from training.hil_inputs.model_folder import fill_model_folder
    from training.train.run_folder import create_run_folder

    setup = config.deployment.hardware_setup if config.deployment else None
    board = our_board(setup.board if setup else None, "deployment.hardware_setup.board", config.source)
    model = _model_file(config, DEPLOYABLE)
    data = config_data(config, calibrate=needs_calibration(model))  # before any folder is made
    folder = create_run_folder(config, output_dir, suffix="_deployment", overwrite=overwrite)
    config.export.board = board
    fill_model_folder(config, model, folder.path, firmware=True, data=data, print_summary=True)
    _hil("build", "--board", board, "--run-dir", str(folder.path))
    probe = ["--probe", setup.stlink_serial_number] if setup and setup.stlink_serial_number else []
    doctor = _hil("doctor", "--board", board, "--run-dir", str(folder.path), *probe, check=False)
    if doctor.returncode != 0:
        raise StModeError(f"{board}: the board did not answer with this model (the doctor's steps above say why "
                          f"and what to do); the built project is kept in {folder.path / 'export' / 'firmware'}")
    print(f"deployed: {board} answers with this model's sha256; deployment folder {folder.path}")
    return 0


def run_benchmarking(config: Config, output_dir: str | None) -> int:
    """``python -m hil benchmark`` on the model's run folder; its exit code."""
    tools = config.tools.stedgeai if config.tools and config.tools.stedgeai else None
    legacy = config.tools.stm32ai if config.tools and config.tools.stm32ai else None
    on_cloud = _first(tools and tools.on_cloud, legacy and legacy.on_cloud, True)
    run_dir = _benchmark_run_folder(config)
    args = ["benchmark", "--run-dir", str(run_dir)] + (["--output-dir", output_dir] if output_dir else [])
    if on_cloud:
        board = config.benchmarking.board if config.benchmarking and config.benchmarking.board else None
        version = _first(tools and tools.version, legacy and legacy.version, None)
        args += ["--backend", "st-cloud"] + (["--st-board", board] if board else [])
        args += ["--st-version", str(version)] if version is not None else []
    else:
        executable = _first(tools and tools.path_to_stedgeai, legacy and legacy.path_to_stm32ai, None)
        if not executable or not Path(executable).is_file():
            raise StModeError(f"{config.source}: tools.stedgeai.path_to_stedgeai: {executable!r} is not a file; "
                              f"install ST Edge AI Core and give its stedgeai executable, or set "
                              f"tools.stedgeai.on_cloud: true for ST's Developer Cloud")
        args += ["--backend", "stedgeai", "--stedgeai", executable]
    return _hil(*args, check=False, capture=False).returncode


def _first(*values):
    return next((v for v in values if v is not None and v != ""), None)


def _model_file(config: Config, suffixes: tuple[str, ...]) -> Path:
    model = Path(config.general.model_path)
    if not model.is_file():
        raise StModeError(f"{config.source}: general.model_path (4.x: model.model_path): {model} is not a file")
    if model.suffix not in suffixes:
        raise StModeError(f"{config.source}: general.model_path: {model.name}: {config.operation_mode} here takes "
                          f"a {'/'.join(suffixes)} model")
    return model


def _benchmark_run_folder(config: Config) -> Path:
    """A run folder (general.model_path may name one), or one made for the model: its copy and our export."""
    from tofhil.folders import find_best_model

    model = Path(config.general.model_path)
    if model.is_dir():
        if find_best_model(model) is None:
            raise StModeError(f"{config.source}: general.model_path: {model} holds no saved_models/best_model")
        return model
    # ST's cloud and stedgeai measure the float Keras model beside our int8 one
    model = _model_file(config, (".h5", ".keras"))
    from training.export.cli import export_and_print, options_from_config
    from training.export.run_folder import inputs_from_config
    from training.config import save_resolved_config
    from training.train.run_folder import create_run_folder

    # no data path (ST's benchmarking example): random calibration, as no benchmark figure depends on it
    inputs = inputs_from_config(config, model, random_ok=True)
    folder = create_run_folder(config, None, suffix="_benchmarking")
    save_resolved_config(config, folder.path / "config.yaml")
    shutil.copy2(model, folder.saved_models / f"best_model{model.suffix}")
    export_and_print(model, folder.path / "export", inputs, options_from_config(config.export, config.postprocessing))
    return folder.path


def _hil(*args: str, check: bool = True, capture: bool = True) -> subprocess.CompletedProcess:
    """``python -m hil ARGS``; its output is shown; ``check``: a failure is one line (the step's own error)."""
    command = [sys.executable, "-m", "hil", *args]
    print(f"$ python -m hil {' '.join(args)}", flush=True)
    result = subprocess.run(command, text=True, stdout=subprocess.PIPE if capture else None,
                            stderr=subprocess.STDOUT if capture else None)
    if capture and result.stdout:
        print(result.stdout.rstrip(), flush=True)
    if check and result.returncode != 0:
        lines = [line for line in (result.stdout or "").splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("error: ")]
        raise StModeError(f"python -m hil {args[0]} failed: "
                          f"{(errors or lines or ['(no output)'])[-1].removeprefix('error: ')}")
    return result
