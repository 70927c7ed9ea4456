"""The export, end to end: quantize (or take a ready int8 ``.tflite``), generate the C
library, evaluate float vs int8 on the test set, measure the footprint, write the report.

:func:`export_model` takes plain inputs (a model path, the preprocessing spec, class
names, representative and test data) so that any caller -- the CLI on a run folder,
or a model trained elsewhere -- can use it.
"""
from __future__ import annotations

import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.data.preprocess import PreprocessingSpec, quantize_input
from training.errors import ExportError
from training.export import float_tflite, quantize, staging
from training.export.config_data import FROM_TRAINING
from training.export.emulated_speed import measure_emulated_speed
from training.export.firmware_step import build_firmware
from training.export.footprint import board_spec, measure_footprint
from training.export.library import GeneratedLibrary, generate_library
from training.export.reference import ReferenceRunner
from training.export.tflite_verify import verify_tflite
from training.export.report import Evaluation, build_report, evaluate, write_report
from tofhil.postprocessing import Postprocessing

TFLITE_NAME = "model_int8.tflite"
REPORT_NAME = "model_report.json"


@dataclass(frozen=True)
class ExportOptions:
    representative_size: int = 500
    representative_seed: int = 0
    board: str = "nucleo-f401re"
    measure_footprint: bool = True
    firmware: bool = True  # generate and build EXPORT/firmware/<board>/
    postprocessing: Postprocessing | None = None  # generate the decision pipeline after the model (C library)
    calibration: str = FROM_TRAINING  # where the representative frames come from, for the report


@dataclass(frozen=True)
class ExportResult:
    output_dir: Path
    tflite_path: Path
    report_path: Path
    report: dict
    library: GeneratedLibrary


def export_model(model_path: Path, output_dir: Path, spec: PreprocessingSpec | None, class_names: list[str] | None,
                 representative: np.ndarray | None, test_set: tuple[np.ndarray, np.ndarray] | None = None,
                 options: ExportOptions = ExportOptions()) -> ExportResult:
    """Export a Keras model (quantized here on ``representative``) or a ready int8 ``.tflite``."""
    board_spec(options.board)  # an unknown board fails before any work
    model_path, output_dir = Path(model_path), Path(output_dir)
    timings, started = {}, time.perf_counter()
    float_model, model_bytes, quantization = _int8_model(model_path, representative, options)
    timings["quantize"] = time.perf_counter() - started
    final_dir, output_dir = output_dir, staging.staging_dir(output_dir)  # moved to final_dir once whole
    try:
        tflite_path = output_dir / TFLITE_NAME
        tflite_path.write_bytes(model_bytes)
        step = time.perf_counter()
        library = generate_library(model_bytes, output_dir, spec, source=model_path.name,
                                   postprocessing=options.postprocessing, class_names=class_names)
        (output_dir / (TFLITE_NAME + ".sha256")).write_text(f"{library.sha256}  {TFLITE_NAME}\n")
        timings["codegen"] = time.perf_counter() - step
        step = time.perf_counter()
        evaluation = _evaluate(model_bytes, float_model, test_set) if test_set is not None else None
        timings["evaluate"] = time.perf_counter() - step
        step = time.perf_counter()
        footprint = _footprint(library, output_dir, options)
        timings["footprint"] = time.perf_counter() - step
        timings["total"] = time.perf_counter() - started
        model_report = build_report(library, str(model_path), class_names, spec, evaluation, footprint, timings,
                                    quantization)
        model_report["emulated_speed"] = _emulated_speed(library, model_bytes, spec, options)
        model_report["postprocessing"] = library.postprocessing
        report_path = write_report(model_report, output_dir / "model_report.json")
        staging.publish(output_dir, final_dir)
    except BaseException:
        staging.discard(output_dir)  # the earlier export, if any, stays as it was
        raise
    library = staging.moved_library(library, output_dir, final_dir)
    output_dir, tflite_path, report_path = final_dir, final_dir / TFLITE_NAME, final_dir / REPORT_NAME
    if options.firmware:
        # after the report: a failed firmware build loses nothing already computed
        model_report["firmware"] = build_firmware(library, output_dir, options.board)
        write_report(model_report, report_path)
    return ExportResult(output_dir, tflite_path, report_path, model_report, library)


def _int8_model(model_path: Path, representative, options: ExportOptions):
    """(float model or None, int8 ``.tflite`` bytes, quantization facts or None): a Keras model or a float
    ``.tflite`` is quantized here; an int8 ``.tflite`` is used as it is."""
    tflite_bytes = _read_tflite(model_path) if model_path.suffix == ".tflite" else None
    if tflite_bytes is not None and not float_tflite.is_float_model(tflite_bytes):
        return None, tflite_bytes, None
    if representative is None:
        raise ExportError(f"{model_path}: a float model is quantized here and needs a representative set: "
                          "pass --config (its dataset and preprocessing)")
    sample = quantize.representative_sample(representative, options.representative_size,
                                            options.representative_seed)
    if tflite_bytes is not None:
        float_model = float_tflite.FloatTfliteModel(tflite_bytes)
        model_bytes = float_tflite.quantize_float_tflite(tflite_bytes, sample, model_path)
    else:
        float_model = quantize.load_keras_model(model_path)
        model_bytes = quantize.quantize_keras_model(float_model, sample, source=model_path)
    return float_model, model_bytes, {"representative_samples": int(len(sample)),
                                      "representative_seed": options.representative_seed,
                                      "calibration": options.calibration,
                                      "scheme": "full-integer post-training, int8 I/O, batch 1"}


def _read_tflite(model_path: Path) -> bytes:
    if not model_path.is_file():
        raise ExportError(f"{model_path}: model file not found")
    model_bytes = model_path.read_bytes()
    try:
        verify_tflite(model_bytes)  # a corrupt file is one line before the interpreter walks it
    except ExportError as exc:
        raise ExportError(f"{model_path}: {exc}") from exc
    return model_bytes


def _evaluate(model_bytes: bytes, float_model, test_set) -> Evaluation:
    x, y = test_set
    runner = ReferenceRunner(model_bytes)
    scale, zero_point = runner.input_quantization
    inputs = quantize_input(x, scale, zero_point) if runner.input_dtype == np.int8 else x.astype(np.float32)
    int8_scores = runner.run(inputs)
    float_scores = None
    if float_model is not None:
        float_scores = np.asarray(float_model.predict(x, batch_size=256, verbose=0))
    return evaluate(np.asarray(y), int8_scores, float_scores)


def _emulated_speed(library: GeneratedLibrary, model_bytes: bytes, spec, options: ExportOptions) -> dict:
    """Instructions per inference and per preprocessing next to flash and RAM (null with the reason)."""
    if not options.measure_footprint or not board_spec(options.board).is_arm:
        return {"instructions_per_inference": None, "instructions_per_preprocessing": None,
                "reason": "footprint measurement off" if not options.measure_footprint else "not a Cortex-M board"}
    return measure_emulated_speed(library.directory, model_bytes, spec, library.has_preprocessing)


def _footprint(library: GeneratedLibrary, output_dir: Path, options: ExportOptions):
    if not options.measure_footprint:
        return None
    if not board_spec(options.board).is_arm:
        warnings.warn(f"board {options.board}: the footprint is measured on Cortex-M boards only", stacklevel=3)
        return None
    if shutil.which("arm-none-eabi-gcc") is None:
        warnings.warn("arm-none-eabi-gcc not found: model_report.json has no footprint", stacklevel=3)
        return None
    build_dir = output_dir / "build_cortex_m4"
    try:
        return measure_footprint(library.directory, build_dir, library.plan.size, library.has_preprocessing,
                                 options.board)
    finally:
        shutil.rmtree(build_dir, ignore_errors=True)
