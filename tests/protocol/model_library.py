"""A generated model library for the protocol and fuzz tests: CNN2D_ST_HandPosture with random weights,
int8-quantized by the exporter, with (or without) the on-device preprocessing. Imports TensorFlow."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def tiny_tflite(seed: int = 5) -> bytes:
    """int8 ``.tflite`` bytes of the ST hand-posture architecture (8 classes), untrained, calibrated on noise."""
    import keras

    from training.export.quantize import quantize_keras_model
    from training.models.cnn2d_st import build_cnn2d_st_handposture

    keras.utils.set_random_seed(seed)
    model = build_cnn2d_st_handposture(8, batch_size=1)
    calibration = np.random.default_rng(seed).normal(0.0, 1.0, (32, 8, 8, 2)).astype(np.float32)
    return quantize_keras_model(model, calibration)


CLASS_NAMES = ["None", "Like", "Dislike", "FlatHand", "Fist", "Love", "BreakTime", "CrossHands"]  # ST's order


def make_model_library(output_dir: Path, tflite: bytes, preprocessing: bool = True, postprocessing=None):
    """Generate the C library into ``output_dir``; returns the exporter's GeneratedLibrary. ``postprocessing``
    (a :class:`tofhil.postprocessing.Postprocessing`) also generates the decision pipeline."""
    from training.data.preprocess import PreprocessingSpec
    from training.export.library import generate_library

    spec = PreprocessingSpec() if preprocessing else None
    return generate_library(tflite, Path(output_dir), spec, source="tiny protocol-test model",
                            postprocessing=postprocessing, class_names=CLASS_NAMES if postprocessing else None)
