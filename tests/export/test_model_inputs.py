"""The exporter takes any Keras model with one input (Keras 2 files keep it as a list of one) and refuses the
rest with the file's name; a float .tflite with a dynamic batch is refused with the fix."""
from __future__ import annotations

import numpy as np
import pytest

from training.errors import ExportError
from training.export.float_tflite import quantize_float_tflite
from training.export.quantize import quantize_keras_model, with_batch_one


def test_a_model_with_two_inputs_is_refused_with_its_name():
    import keras

    first, second = keras.Input((8, 8, 2)), keras.Input((4,))
    outputs = keras.layers.Dense(3)(keras.layers.Concatenate()([keras.layers.Flatten()(first), second]))
    with pytest.raises(ExportError, match=r"two\.keras: the model has 2 inputs"):
        with_batch_one(keras.Model([first, second], outputs), "two.keras")


def test_an_input_given_as_a_list_of_one_is_exported():
    """A Keras 2 functional model loaded by Keras 3 has ``model.input == [tensor]``; a list-input model is
    the same structure made here."""
    import keras

    inputs = keras.Input((8, 8, 2))
    model = keras.Model([inputs], keras.layers.Dense(2)(keras.layers.Flatten()(inputs)))
    assert isinstance(model.input, list)
    assert tuple(with_batch_one(model).inputs[0].shape) == (1, 8, 8, 2)
    data = np.random.default_rng(0).normal(size=(8, 8, 8, 2)).astype(np.float32)
    assert quantize_keras_model(model, data)[4:8] == b"TFL3"


def test_a_float_tflite_with_a_dynamic_batch_is_refused_with_the_fix():
    import keras
    import tensorflow as tf

    inputs = keras.Input((8, 8, 2))
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(inputs)))
    float_bytes = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    with pytest.raises(ExportError, match=r"dyn\.tflite: the float model has a dynamic batch .*batch of 1"):
        quantize_float_tflite(float_bytes, np.zeros((2, 8, 8, 2), np.float32), "dyn.tflite")


def test_keras2_files_export(tmp_path):
    """Both Keras 2 files made with tf_keras (tests/model_files/make_keras2.py): ST's functional shape with its
    ``input_1`` list input, and a Sequential, which Keras 3 loads without a ``model.input``."""
    from tests.model_files.make_keras2 import KERAS2_FILES
    from tests.shared_runs import keras2_model_files
    from training.export.quantize import load_keras_model
    from training.export.tflite_graph import parse_tflite

    data = np.random.default_rng(0).normal(size=(16, 8, 8, 2)).astype(np.float32)
    for name in KERAS2_FILES:
        model = load_keras_model(keras2_model_files() / name)
        graph = parse_tflite(quantize_keras_model(model, data, source=name))
        opcodes = [op.opcode for op in graph.operators]
        assert opcodes[0] == "CONV_2D" and "SHAPE" not in opcodes, (name, opcodes)  # batch 1: a plain RESHAPE
        assert graph.tensors[graph.inputs[0]].shape == (1, 8, 8, 2)
