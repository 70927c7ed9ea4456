"""Host references on the frames a validation streams: what the device must reproduce.

- ``host_int8``: the int8 ``.tflite`` on TFLite's reference kernels (BUILTIN_REF): the device must equal it
  bit for bit;
- ``host_float``: the float model (Keras, or a float ``.tflite``), for the float-vs-int8 cost (zeros for a
  model given as int8);
- ``host_input`` / ``host_kept``: the host preprocessing (training/data/preprocess.py) quantized to int8,
  which the device's echoed input must equal in raw mode.
Imports TensorFlow. Written to ``references.npz`` without pickles (:mod:`tofhil.validation_inputs`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def compute_references(frames, spec_dict: dict, tflite_path: Path, model_path: Path | None) -> dict:
    from training.data.preprocess import PreprocessingSpec, preprocess, quantize_input
    from training.export.reference import ReferenceRunner

    spec = PreprocessingSpec(spec_dict["max_distance"], spec_dict["min_distance"],
                             spec_dict["background_distance"], spec_dict["normalization"],
                             bool(spec_dict.get("center_hand", False)))
    x, kept = preprocess(frames.raw, spec)
    runner = ReferenceRunner(Path(tflite_path).read_bytes())
    scale, zero_point = runner.input_quantization
    host_input_kept = quantize_input(x, scale, zero_point).reshape(len(x), -1)
    outputs_kept = runner.run(host_input_kept).reshape(len(x), -1)
    count, classes = len(frames), outputs_kept.shape[1]
    host_input = np.zeros((count, host_input_kept.shape[1]), np.int8)
    host_int8 = np.zeros((count, classes), np.int8)
    host_float = np.zeros((count, classes), np.float32)
    host_input[kept], host_int8[kept] = host_input_kept, outputs_kept
    scores = _float_scores(model_path, x) if model_path is not None and len(x) else None
    if scores is not None:
        host_float[kept] = scores
    return {"host_int8": host_int8, "host_float": host_float, "host_input": host_input,
            "host_kept": kept.astype(bool), "labels": np.asarray(frames.labels, np.int32),
            "output_scale": np.float32(runner.output_quantization[0]),
            "output_zero_point": np.int32(runner.output_quantization[1])}


def _float_scores(model_path: Path, x: np.ndarray) -> np.ndarray | None:
    """The float model's scores (a Keras model or a float ``.tflite``); None for an int8 ``.tflite``."""
    model_path = Path(model_path)
    if model_path.suffix == ".tflite":
        from training.export.float_tflite import FloatTfliteModel, is_float_model

        model_bytes = model_path.read_bytes()
        if not is_float_model(model_bytes):
            return None
        model = FloatTfliteModel(model_bytes)
    else:
        from training.export.quantize import load_keras_model

        model = load_keras_model(model_path)
    return np.asarray(model.predict(x, batch_size=512, verbose=0), np.float32).reshape(len(x), -1)
