"""Every parameter that enters a C struct is checked against its field and the kernel's arithmetic:
each rule below is an ExportError naming the op, never a silently wrong library."""
from __future__ import annotations

import numpy as np
import pytest

from training.errors import ExportError
from training.export import limits
from training.export.lowering import lower
from training.export.tflite_graph import Graph, OperatorInfo, QuantParams, TensorInfo

CONV_OPTIONS = {"padding": "VALID", "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1,
                "activation": "NONE"}


def _q(scale=0.05, zero_point=0):
    return QuantParams((scale,), (zero_point,))


def _conv_graph(in_zp=0, filter_zp=0, out_scale=0.05, bias=0, weight=1, depthwise=False, multiplier=1):
    in_c = 1 if depthwise else 2
    out_c = in_c * multiplier if depthwise else 3
    shape = (1, 3, 3, out_c) if depthwise else (out_c, 3, 3, in_c)
    tensors = (TensorInfo(0, "in", "INT8", (1, 4, 4, in_c), _q(0.1, in_zp)),
               TensorInfo(1, "filter", "INT8", shape, _q(0.02, filter_zp), np.full(shape, weight, np.int8)),
               TensorInfo(2, "bias", "INT32", (out_c,), _q(0.002), np.full(out_c, bias, np.int32)),
               TensorInfo(3, "out", "INT8", (1, 2, 2, out_c), _q(out_scale)))
    opcode = "DEPTHWISE_CONV_2D" if depthwise else "CONV_2D"
    options = {**CONV_OPTIONS, "depth_multiplier": multiplier} if depthwise else CONV_OPTIONS
    return Graph(tensors, (OperatorInfo(0, opcode, (0, 1, 2), (3,), options),), (0,), (3,), "")


def _softmax_graph(depth=8, in_scale=0.1):
    tensors = (TensorInfo(0, "logits", "INT8", (1, depth), _q(in_scale)),
               TensorInfo(1, "probs", "INT8", (1, depth), _q(1 / 256, -128)))
    return Graph(tensors, (OperatorInfo(0, "SOFTMAX", (0,), (1,), {"beta": 1.0}),), (0,), (1,), "")


def _fc_graph(weights_zp=0):
    weights = np.ones((4, 6), np.int8)
    tensors = (TensorInfo(0, "in", "INT8", (1, 6), _q()),
               TensorInfo(1, "w", "INT8", (4, 6), _q(0.01, weights_zp), weights),
               TensorInfo(2, "out", "INT8", (1, 4), _q()))
    op = OperatorInfo(0, "FULLY_CONNECTED", (0, 1, -1), (2,), {"activation": "NONE", "weights_format": 0})
    return Graph(tensors, (op,), (0,), (2,), "")


def _pool_graph(height):
    tensors = (TensorInfo(0, "in", "INT8", (1, height, 4096, 1), _q()),
               TensorInfo(1, "out", "INT8", (1, height // 2, 2048, 1), _q()))
    options = {"padding": "VALID", "stride_h": 2, "stride_w": 2, "filter_h": 2, "filter_w": 2, "activation": "NONE"}
    return Graph(tensors, (OperatorInfo(0, "MAX_POOL_2D", (0,), (1,), options),), (0,), (1,), "")


@pytest.mark.parametrize("graph, message", [
    (_softmax_graph(depth=512), r"op 0 SOFTMAX .*softmax depth 512 exceeds 511"),
    (_softmax_graph(in_scale=1e-12), r"op 0 SOFTMAX .*multiplier .* and left shift"),
    (_conv_graph(depthwise=True, multiplier=256), r"op 0 DEPTHWISE_CONV_2D .*depth_multiplier = 256"),
    (_conv_graph(filter_zp=3), r"op 0 CONV_2D .*filter .* zero point 3"),
    (_conv_graph(in_zp=200), r"op 0 CONV_2D .*input .* zero point 200 outside the int8 range"),
    (_conv_graph(bias=2**31 - 100), r"op 0 CONV_2D .*accumulator of output channel 0 can reach"),
    (_conv_graph(weight=127, out_scale=1e-9), r"op 0 CONV_2D .*accumulator .* can reach"),
    (_fc_graph(weights_zp=5), r"op 0 FULLY_CONNECTED .*weights .* zero point 5"),
    (_pool_graph(4098), r"op 0 MAX_POOL_2D .*elements, more than 16777216"),
])
def test_parameter_beyond_the_runtime_is_an_export_error_naming_the_op(graph, message):
    with pytest.raises(ExportError, match=message):
        lower(graph)


def test_parameters_within_the_limits_lower():
    for graph in (_conv_graph(), _conv_graph(depthwise=True, multiplier=255), _softmax_graph(511), _fc_graph(),
                  _pool_graph(4096)):
        lower(graph)


def test_left_shift_is_part_of_the_accumulator_bound():
    ranges = np.array([[-1100, 1100]])
    assert limits.accumulator(ranges, np.array([20])) is None
    assert "can reach 2306867200" in limits.accumulator(ranges, np.array([21]))


def test_empty_or_out_of_int8_activation_range_is_rejected():
    assert limits.activation_bounds(-128, 127) is None
    assert "empty" in limits.activation_bounds(10, 9)
    assert limits.activation_bounds(-129, 0) is not None


def test_accumulator_ranges_are_exact_over_int8_inputs():
    weights = np.array([[2, -3]])
    low, high = limits.accumulator_ranges(weights, np.array([10]), input_zero_point=-1)[0]
    xs = np.arange(-128, 128) + 1
    products = [w * xs for w in weights[0]]
    assert low == 10 + sum(p.min() for p in products) and high == 10 + sum(p.max() for p in products)


@pytest.mark.parametrize("field, kind, value", [("stride_h", "uint8", 256), ("in_h", "uint16", 65536),
                                                ("input_offset", "int16", 32768), ("act_min", "int8", -129)])
def test_field_range_names_field_and_allowed_range(field, kind, value):
    problem = limits.field_range(value, field, kind)
    assert field in problem and kind in problem
    assert limits.field_range(value - 1 if value > 0 else value + 1, field, kind) is None
