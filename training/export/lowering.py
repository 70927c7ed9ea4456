"""Map a parsed TFLite graph onto the C runtime's kernels, with every parameter precomputed.

Each supported op becomes a :class:`KernelOp` (its kernel kind, the scalar fields of
its parameter struct, and its constant arrays). Anything the runtime cannot run
exactly -- an unknown op, an option such as dilation, a tensor type other than
int8 -- raises :class:`ExportError` naming the op and its output tensor, so no
wrong code is ever generated.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from training.errors import ExportError
from training.export import limits, qmath
from training.export.tflite_graph import Graph, OperatorInfo, TensorInfo

SUPPORTED_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
UINT16_MAX = 65535


@dataclass
class KernelOp:
    index: int
    opcode: str
    kind: str
    inputs: tuple[int, ...]  # activation tensors read, in kernel argument order
    output: int
    fields: dict = field(default_factory=dict)  # scalar struct fields, in declaration order
    arrays: dict = field(default_factory=dict)  # struct field -> (C element type, np.ndarray)
    accumulator_ranges: np.ndarray | None = None  # [channels, 2] reachable int32 accumulators (conv, FC)


@dataclass
class LoweredModel:
    graph: Graph
    ops: list[KernelOp]
    input: TensorInfo
    output: TensorInfo
    aliases: dict[int, int]  # RESHAPE output tensor -> the tensor whose buffer it shares


def lower(graph: Graph) -> LoweredModel:
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise ExportError(f"the model has {len(graph.inputs)} inputs and {len(graph.outputs)} outputs; "
                          "the runtime supports exactly one of each")
    ops, aliases = [], {}
    for op in graph.operators:
        kernel = _lower_op(graph, op)
        if kernel.kind == "reshape":
            aliases[kernel.output] = kernel.inputs[0]
        ops.append(kernel)
    model_input, model_output = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    for tensor in (model_input, model_output):
        if tensor.dtype not in ("INT8", "FLOAT32"):
            raise ExportError(f"model I/O {tensor.describe()} must be int8 or float32")
    return LoweredModel(graph, ops, model_input, model_output, aliases)


def _fail(graph: Graph, op: OperatorInfo, problem: str) -> ExportError:
    out = graph.tensors[op.outputs[0]].describe() if op.outputs else "no output"
    return ExportError(f"op {op.index} {op.opcode} (output {out}): {problem}")


def _require(graph: Graph, op: OperatorInfo, *problems: str | None) -> None:
    """Raise the first problem a :mod:`limits` check found, naming the op."""
    for problem in problems:
        if problem:
            raise _fail(graph, op, problem)


def _lower_op(graph: Graph, op: OperatorInfo) -> KernelOp:
    if op.opcode not in SUPPORTED_OPS:
        raise _fail(graph, op, f"unsupported op; the int8 runtime supports {', '.join(SUPPORTED_OPS)}")
    activation = op.options.get("activation", "NONE")
    if activation not in SUPPORTED_ACTIVATIONS:
        raise _fail(graph, op, f"unsupported fused activation {activation}")
    return _LOWERERS[op.opcode](graph, op)


def _tensor(graph: Graph, op: OperatorInfo, position: int, dtype: str, role: str,
            constant: bool = False) -> TensorInfo:
    if position >= len(op.inputs) or op.inputs[position] < 0:
        raise _fail(graph, op, f"missing {role} input")
    tensor = graph.tensors[op.inputs[position]]
    _check_tensor(graph, op, tensor, dtype, role, constant)
    return tensor


def _check_tensor(graph, op, tensor: TensorInfo, dtype: str, role: str, constant: bool) -> None:
    if tensor.dtype != dtype:
        raise _fail(graph, op, f"{role} {tensor.describe()} is {tensor.dtype}, expected {dtype} "
                               "(export needs a full-integer int8 model)")
    if constant != tensor.is_constant:
        raise _fail(graph, op, f"{role} {tensor.describe()} must {'' if constant else 'not '}be a constant")
    if dtype == "INT8" and (tensor.quant is None or (not constant and tensor.quant.per_channel)):
        raise _fail(graph, op, f"{role} {tensor.describe()} has no per-tensor quantization")
    _require(graph, op, limits.tensor_size(tensor, role),
             limits.zero_point(tensor, role) if dtype == "INT8" else None)


def _output(graph: Graph, op: OperatorInfo, dtype: str = "INT8") -> TensorInfo:
    tensor = graph.tensors[op.outputs[0]]
    _check_tensor(graph, op, tensor, dtype, "output", constant=False)
    return tensor


def _bias(graph: Graph, op: OperatorInfo, channels: int) -> np.ndarray | None:
    if len(op.inputs) < 3 or op.inputs[2] < 0:
        return None
    bias = _tensor(graph, op, 2, "INT32", "bias", constant=True)
    if bias.size != channels:
        raise _fail(graph, op, f"bias {bias.describe()} does not have {channels} values")
    return bias.data.reshape(-1).astype(np.int32)


def _multipliers(graph, op, in_t: TensorInfo, filter_t: TensorInfo, out_t: TensorInfo, channels: int):
    scales = filter_t.quant.scale
    if len(scales) not in (1, channels):
        raise _fail(graph, op, f"filter {filter_t.describe()} has {len(scales)} scales for {channels} channels")
    pairs = [qmath.quantize_multiplier(qmath.conv_multiplier(in_t.quant.scale[0], scales[c % len(scales)],
                                                             out_t.quant.scale[0])) for c in range(channels)]
    shifts = [s for _, s in pairs]
    if min(shifts) < -31 or max(shifts) > 30:
        raise _fail(graph, op, f"requantization shift {min(shifts)}..{max(shifts)} is out of range")
    return np.array([m for m, _ in pairs], np.int32), np.array(shifts, np.int8)


def _effective_scales(graph, op, in_t: TensorInfo, weights_t: TensorInfo, out_t: TensorInfo,
                      channels: int) -> np.ndarray:
    """FULLY_CONNECTED's reference kernel requantizes in double with these per-channel scales."""
    scales = weights_t.quant.scale
    if len(scales) not in (1, channels):
        raise _fail(graph, op, f"weights {weights_t.describe()} have {len(scales)} scales for {channels} channels")
    return np.array([qmath.conv_multiplier(in_t.quant.scale[0], scales[c % len(scales)], out_t.quant.scale[0])
                     for c in range(channels)], np.float64)


def _check_dims(graph, op, values: dict) -> None:
    for name, value in values.items():
        if not 0 <= value <= UINT16_MAX:
            raise _fail(graph, op, f"{name} = {value} does not fit the runtime's 16-bit dimensions")


def _check_4d(graph, op, tensor: TensorInfo, role: str) -> tuple[int, int, int]:
    if len(tensor.shape) != 4 or tensor.shape[0] != 1:
        raise _fail(graph, op, f"{role} {tensor.describe()} must be 4-D with batch 1 "
                               "(export the model with a fixed batch of 1)")
    return tensor.shape[1], tensor.shape[2], tensor.shape[3]


def _spatial(graph, op, in_hw, k_hw, out_hw, dilation=(1, 1)) -> dict:
    options = op.options
    if dilation != (1, 1):
        raise _fail(graph, op, f"dilation {dilation[0]}x{dilation[1]} is not supported (only 1x1)")
    if options["padding"] not in ("SAME", "VALID"):
        raise _fail(graph, op, f"unsupported padding {options['padding']}")
    strides = (options["stride_h"], options["stride_w"])
    if min(strides) < 1:  # a damaged file can say 0 (found by flipping bits of the shipped model)
        raise _fail(graph, op, f"stride {strides[0]}x{strides[1]} must be at least 1x1")
    expected = tuple(qmath.output_size(options["padding"], i, k, s) for i, k, s in zip(in_hw, k_hw, strides))
    if expected != tuple(out_hw):
        raise _fail(graph, op, f"output size {list(out_hw)} does not match padding {options['padding']} "
                               f"(expected {list(expected)})")
    pads = [qmath.padding_before(i, k, s, o) for i, k, s, o in zip(in_hw, k_hw, strides, out_hw)]
    if max(strides) > 255 or max(k_hw) > 255 or max(pads) > 255:
        raise _fail(graph, op, "stride, kernel or padding larger than 255")
    return {"k_h": k_hw[0], "k_w": k_hw[1], "stride_h": strides[0], "stride_w": strides[1],
            "pad_top": pads[0], "pad_left": pads[1]}


def _act(graph, op, out_t: TensorInfo) -> dict:
    lo, hi = qmath.activation_range(op.options.get("activation", "NONE"), out_t.quant.scale[0],
                                    out_t.quant.zero_point[0])
    _require(graph, op, limits.activation_bounds(lo, hi))
    return {"act_min": lo, "act_max": hi}


def _lower_conv(graph: Graph, op: OperatorInfo) -> KernelOp:
    depthwise = op.opcode == "DEPTHWISE_CONV_2D"
    in_t = _tensor(graph, op, 0, "INT8", "input")
    filter_t = _tensor(graph, op, 1, "INT8", "filter", constant=True)
    out_t = _output(graph, op)
    (in_h, in_w, in_c), (out_h, out_w, out_c) = _check_4d(graph, op, in_t, "input"), _check_4d(graph, op, out_t, "output")
    f_o, k_h, k_w, f_i = filter_t.shape
    if depthwise and (f_o != 1 or f_i != out_c or out_c % in_c):
        raise _fail(graph, op, f"depthwise filter {filter_t.describe()} does not match {in_c} -> {out_c} channels")
    if not depthwise and (f_o != out_c or f_i != in_c):
        raise _fail(graph, op, f"filter {filter_t.describe()} does not match {in_c} -> {out_c} channels "
                               "(grouped convolutions are not supported)")
    dilation = (op.options["dilation_h"], op.options["dilation_w"])
    fields = {"in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": out_h, "out_w": out_w, "out_c": out_c}
    _check_dims(graph, op, fields)
    fields.update(_spatial(graph, op, (in_h, in_w), (k_h, k_w), (out_h, out_w), dilation))
    fields.update({"depth_multiplier": out_c // in_c if depthwise else 1,
                   "input_offset": -in_t.quant.zero_point[0], "output_offset": out_t.quant.zero_point[0]})
    fields.update(_act(graph, op, out_t))
    multiplier, shift = _multipliers(graph, op, in_t, filter_t, out_t, out_c)
    arrays = {"filter": ("int8_t", filter_t.data.reshape(-1)), "bias": ("int32_t", _bias(graph, op, out_c)),
              "multiplier": ("int32_t", multiplier), "shift": ("int8_t", shift)}
    _require(graph, op, limits.symmetric_weights(filter_t, "filter"),
             limits.field_range(fields["depth_multiplier"], "depth_multiplier", "uint8"))
    taps = filter_t.data.reshape(-1, out_c).T if depthwise else filter_t.data.reshape(out_c, -1)
    ranges = limits.accumulator_ranges(taps, arrays["bias"][1], in_t.quant.zero_point[0])
    _require(graph, op, limits.accumulator(ranges, shift))
    kind = "depthwise_conv2d" if depthwise else "conv2d"
    return KernelOp(op.index, op.opcode, kind, (in_t.index,), out_t.index, fields, arrays, ranges)


def _lower_fully_connected(graph: Graph, op: OperatorInfo) -> KernelOp:
    if op.options.get("weights_format", 0) != 0:
        raise _fail(graph, op, "shuffled (non-default) weights format is not supported")
    in_t = _tensor(graph, op, 0, "INT8", "input")
    weights_t = _tensor(graph, op, 1, "INT8", "weights", constant=True)
    out_t = _output(graph, op)
    if len(weights_t.shape) != 2:
        raise _fail(graph, op, f"weights {weights_t.describe()} must be 2-D")
    out_depth, accum_depth = weights_t.shape
    batches = in_t.size // accum_depth
    if batches * accum_depth != in_t.size or batches * out_depth != out_t.size:
        raise _fail(graph, op, f"input {in_t.describe()} does not match weights {weights_t.describe()}")
    fields = {"batches": batches, "accum_depth": accum_depth, "out_depth": out_depth}
    _check_dims(graph, op, fields)
    fields.update({"input_offset": -in_t.quant.zero_point[0], "filter_offset": -weights_t.quant.zero_point[0],
                   "output_offset": out_t.quant.zero_point[0]})
    fields.update(_act(graph, op, out_t))
    bias = _bias(graph, op, out_depth)
    arrays = {"weights": ("int8_t", weights_t.data.reshape(-1)), "bias": ("int32_t", bias),
              "twice_effective_scale": ("double", 2.0 * _effective_scales(graph, op, in_t, weights_t, out_t, out_depth))}
    _require(graph, op, limits.symmetric_weights(weights_t, "weights"))
    ranges = limits.accumulator_ranges(weights_t.data.reshape(out_depth, accum_depth), bias,
                                       in_t.quant.zero_point[0])
    _require(graph, op, limits.accumulator(ranges))
    return KernelOp(op.index, op.opcode, "fully_connected", (in_t.index,), out_t.index, fields, arrays, ranges)


def _lower_pool(graph: Graph, op: OperatorInfo) -> KernelOp:
    in_t = _tensor(graph, op, 0, "INT8", "input")
    out_t = _output(graph, op)
    (in_h, in_w, in_c), (out_h, out_w, out_c) = _check_4d(graph, op, in_t, "input"), _check_4d(graph, op, out_t, "output")
    if in_c != out_c or in_t.quant != out_t.quant:
        raise _fail(graph, op, "input and output must have the same channels and quantization")
    fields = {"in_h": in_h, "in_w": in_w, "channels": in_c, "out_h": out_h, "out_w": out_w}
    _check_dims(graph, op, fields)
    k_hw = (op.options["filter_h"], op.options["filter_w"])
    fields.update(_spatial(graph, op, (in_h, in_w), k_hw, (out_h, out_w)))
    fields.update(_act(graph, op, out_t))
    kind = "max_pool" if op.opcode == "MAX_POOL_2D" else "avg_pool"
    return KernelOp(op.index, op.opcode, kind, (in_t.index,), out_t.index, fields)


def _lower_reshape(graph: Graph, op: OperatorInfo) -> KernelOp:
    in_t = graph.tensors[op.inputs[0]]
    out_t = graph.tensors[op.outputs[0]]
    if in_t.is_constant or in_t.dtype != out_t.dtype or in_t.size != out_t.size:
        raise _fail(graph, op, f"input {in_t.describe()} cannot be reshaped in place")
    return KernelOp(op.index, op.opcode, "reshape", (in_t.index,), out_t.index, {"size": out_t.size})


def _lower_softmax(graph: Graph, op: OperatorInfo) -> KernelOp:
    in_t = _tensor(graph, op, 0, "INT8", "input")
    out_t = _output(graph, op)
    if out_t.quant.zero_point[0] != -128 or abs(out_t.quant.scale[0] - 1 / 256) > 0.001 / 256:
        raise _fail(graph, op, "int8 softmax output must have scale 1/256 and zero point -128")
    depth = in_t.shape[-1] if in_t.shape else 1
    multiplier, left_shift, diff_min = qmath.softmax_params(op.options.get("beta", 1.0), in_t.quant.scale[0])
    fields = {"rows": in_t.size // depth, "depth": depth}
    _check_dims(graph, op, fields)
    _require(graph, op, limits.softmax(depth, left_shift, multiplier))
    fields.update({"input_multiplier": multiplier, "input_left_shift": left_shift, "diff_min": diff_min})
    return KernelOp(op.index, op.opcode, "softmax", (in_t.index,), out_t.index, fields)


def _strip_leading_ones(shape: tuple[int, ...]) -> tuple[int, ...]:
    """[1, 1, 1, 3] and [3] broadcast elementwise: same data, no real broadcasting."""
    index = 0
    while index < len(shape) - 1 and shape[index] == 1:
        index += 1
    return tuple(shape[index:])


def _lower_add(graph: Graph, op: OperatorInfo) -> KernelOp:
    in1, in2 = _tensor(graph, op, 0, "INT8", "input 1"), _tensor(graph, op, 1, "INT8", "input 2")
    out_t = _output(graph, op)
    if _strip_leading_ones(in1.shape) != _strip_leading_ones(in2.shape) or in1.size != out_t.size:
        raise _fail(graph, op, f"broadcasting ADD ({list(in1.shape)} + {list(in2.shape)}) is not supported")
    params = qmath.add_params(in1.quant.scale[0], in2.quant.scale[0], out_t.quant.scale[0])
    fields = {"size": out_t.size, "input1_offset": -in1.quant.zero_point[0],
              "input2_offset": -in2.quant.zero_point[0], "output_offset": out_t.quant.zero_point[0]}
    fields.update({k: params[k] for k in ("input1_multiplier", "input2_multiplier", "output_multiplier",
                                          "input1_shift", "input2_shift", "output_shift", "left_shift")})
    fields.update(_act(graph, op, out_t))
    return KernelOp(op.index, op.opcode, "add", (in1.index, in2.index), out_t.index, fields)


def _lower_quantize(graph: Graph, op: OperatorInfo) -> KernelOp:
    in_t = _tensor(graph, op, 0, "FLOAT32", "input")
    out_t = _output(graph, op)
    fields = {"size": out_t.size, "scale": out_t.quant.scale[0], "zero_point": out_t.quant.zero_point[0]}
    return KernelOp(op.index, op.opcode, "quantize", (in_t.index,), out_t.index, fields)


def _lower_dequantize(graph: Graph, op: OperatorInfo) -> KernelOp:
    in_t = _tensor(graph, op, 0, "INT8", "input")
    out_t = _output(graph, op, dtype="FLOAT32")
    fields = {"size": out_t.size, "scale": in_t.quant.scale[0], "zero_point": in_t.quant.zero_point[0]}
    return KernelOp(op.index, op.opcode, "dequantize", (in_t.index,), out_t.index, fields)


_LOWERERS = {"CONV_2D": _lower_conv, "DEPTHWISE_CONV_2D": _lower_conv, "FULLY_CONNECTED": _lower_fully_connected,
             "MAX_POOL_2D": _lower_pool, "AVERAGE_POOL_2D": _lower_pool, "RESHAPE": _lower_reshape,
             "SOFTMAX": _lower_softmax, "ADD": _lower_add, "QUANTIZE": _lower_quantize,
             "DEQUANTIZE": _lower_dequantize}
SUPPORTED_OPS = tuple(_LOWERERS)  # each lowers to a kind of training/export/layer_kinds.py
