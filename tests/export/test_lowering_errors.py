"""Unsupported ops and options are export errors naming the op and its tensor, never wrong code."""
from __future__ import annotations

import numpy as np
import pytest

from training.errors import ExportError
from training.export.library import generate_library
from training.export.quantize import quantize_keras_model
from training.export.lowering import lower
from training.export.tflite_graph import Graph, OperatorInfo, QuantParams, TensorInfo, parse_tflite


def _convert(build):
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    model = build(keras, layers)
    data = np.random.default_rng(0).normal(size=(16, *model.input_shape[1:])).astype(np.float32)
    return quantize_keras_model(model, data)


def _concatenation(keras, layers):
    inputs = keras.Input((4, 4, 2), batch_size=1)
    a = layers.Conv2D(2, 1)(inputs)
    b = layers.Conv2D(3, 1)(inputs)
    return keras.Model(inputs, layers.Flatten()(layers.Concatenate()([a, b])))


def _dilation(keras, layers):
    inputs = keras.Input((8, 8, 1), batch_size=1)
    return keras.Model(inputs, layers.Conv2D(2, 3, dilation_rate=2)(inputs))


@pytest.mark.parametrize("build, op_name", [(_concatenation, "CONCATENATION"), (_dilation, "CONV_2D")])
def test_unsupported_op_or_option_names_op_and_tensor(build, op_name, tmp_path):
    with pytest.raises(ExportError) as error:
        generate_library(_convert(build), tmp_path)
    message = str(error.value)
    assert op_name in message and "tensor" in message
    assert not (tmp_path / "tofhil_model.c").exists()


def test_lstm_op_is_rejected_by_name():
    # TF 2.21's int8 converter crashes on Keras LSTM, so the graph is built directly
    tensors = (TensorInfo(0, "input", "INT8", (1, 5, 3), QuantParams((0.1,), (0,))),
               TensorInfo(1, "lstm_out", "INT8", (1, 5, 4), QuantParams((0.1,), (0,))))
    graph = Graph(tensors, (OperatorInfo(0, "UNIDIRECTIONAL_SEQUENCE_LSTM", (0,), (1,), {}),), (0,), (1,), "")
    with pytest.raises(ExportError, match=r"op 0 UNIDIRECTIONAL_SEQUENCE_LSTM \(output tensor 1 'lstm_out'"):
        lower(graph)


def test_dilation_message_says_what_is_supported(tmp_path):
    with pytest.raises(ExportError, match="dilation 2x2 is not supported"):
        generate_library(_convert(_dilation), tmp_path)


def test_bytes_that_are_not_tflite_are_rejected():
    with pytest.raises(ExportError, match="TFL3"):
        parse_tflite(b"definitely not a flatbuffer")


def test_zero_stride_from_a_damaged_file_is_an_export_error():
    """A bit flip in the shipped model once set a stride to 0 (ZeroDivisionError in the lowering)."""
    import dataclasses

    from tests.export.model_factory import calibration_data, random_model

    model = random_model(3)
    graph = parse_tflite(quantize_keras_model(model, calibration_data(model, 3)))
    conv = next(op for op in graph.operators if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D",
                                                                "AVERAGE_POOL_2D"))
    damaged = dataclasses.replace(conv, options={**conv.options, "stride_h": 0})
    graph = dataclasses.replace(graph, operators=tuple(damaged if op is conv else op for op in graph.operators))
    with pytest.raises(ExportError, match=r"stride 0x\d+ must be at least 1x1"):
        lower(graph)
