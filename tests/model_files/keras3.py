"""Model files a user brings, made here with Keras 3 and TensorFlow's own converter (never with the exporter):
a ``.keras``, a float ``.tflite`` and a full-int8 ``.tflite``; beside them the Keras 2 ``.h5`` files of
:mod:`tests.model_files.make_keras2`. Random weights (seeded), four classes, the CNN2D_ST_HandPosture shape."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from tests.model_files.make_keras2 import KERAS2_FILES


def cnn2d_st(classes: int = 4, batch_size: int | None = None):
    import keras

    keras.utils.set_random_seed(3)
    inputs = keras.Input((8, 8, 2), batch_size=batch_size)
    x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Dropout(0.1)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(32, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(x))


def _tflite(model, representative: np.ndarray | None) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if representative is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([sample[None]] for sample in representative)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = converter.inference_output_type = tf.int8
    return bytes(converter.convert())


def write_model_files(folder: Path) -> dict[str, Path]:
    """Every kind of model file ``hil run --model`` takes, by kind: keras2_h5, keras2_sequential_h5, keras3,
    float_tflite, int8_tflite."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"keras2_h5": folder / KERAS2_FILES[0], "keras2_sequential_h5": folder / KERAS2_FILES[1],
             "keras3": folder / "model.keras", "float_tflite": folder / "model_float.tflite",
             "int8_tflite": folder / "model_int8.tflite"}
    from tests.shared_runs import keras2_model_files

    for name in KERAS2_FILES:
        shutil.copyfile(keras2_model_files() / name, folder / name)
    model = cnn2d_st()
    model.save(files["keras3"])
    batch_one = cnn2d_st(batch_size=1)  # a float .tflite with a batch of 1, as the int8 runtime needs
    batch_one.set_weights(model.get_weights())
    files["float_tflite"].write_bytes(_tflite(batch_one, None))
    calibration = np.random.default_rng(0).normal(size=(32, 8, 8, 2)).astype(np.float32)
    files["int8_tflite"].write_bytes(_tflite(batch_one, calibration))
    return files
