"""Read a ``.tflite`` flatbuffer into plain dataclasses (tensors, quantization, ops with options).

Parsing goes through the ``tflite`` package (generated flatbuffer bindings of the
TFLite schema), never by hand-decoding bytes. Only what the exporter needs is
kept: one subgraph, tensor shapes/types/quantization, constant buffers, and the
builtin options of the ops the C runtime knows. Anything else is left for
:mod:`training.export.lowering` to reject with a clear message.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np
import tflite

from training.errors import ExportError
from training.export.tflite_verify import verify_tflite


def _enum_names(enum_class) -> dict[int, str]:
    return {value: name for name, value in vars(enum_class).items()
            if not name.startswith("_") and isinstance(value, int)}


BUILTIN_OPERATORS = _enum_names(tflite.BuiltinOperator)
TENSOR_TYPES = _enum_names(tflite.TensorType)
ACTIVATIONS = _enum_names(tflite.ActivationFunctionType)
PADDINGS = _enum_names(tflite.Padding)
NUMPY_DTYPES = {"FLOAT32": np.float32, "INT8": np.int8, "UINT8": np.uint8, "INT16": np.int16,
                "INT32": np.int32, "INT64": np.int64, "BOOL": np.bool_}


@dataclass(frozen=True)
class QuantParams:
    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    quantized_dimension: int = 0

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1


@dataclass(frozen=True)
class TensorInfo:
    index: int
    name: str
    dtype: str  # schema name: "INT8", "INT32", "FLOAT32", ...
    shape: tuple[int, ...]
    quant: QuantParams | None
    data: np.ndarray | None = field(default=None, compare=False, repr=False)  # constant buffer

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    def describe(self) -> str:
        return f"tensor {self.index} {self.name!r} ({self.dtype} {list(self.shape)})"


@dataclass(frozen=True)
class OperatorInfo:
    index: int
    opcode: str  # builtin name, "CONV_2D", or "CUSTOM:<name>"
    inputs: tuple[int, ...]  # -1 = optional input absent
    outputs: tuple[int, ...]
    options: dict


@dataclass(frozen=True)
class Graph:
    tensors: tuple[TensorInfo, ...]
    operators: tuple[OperatorInfo, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    description: str


def parse_tflite(model_bytes: bytes) -> Graph:
    """Parse the flatbuffer; a file that is not a sound TFLite model raises :class:`ExportError`."""
    verify_tflite(model_bytes)  # every offset in bounds before the bindings follow any of them
    try:
        graph = _walk(tflite.Model.GetRootAsModel(model_bytes, 0))
    except (struct.error, TypeError, ValueError, IndexError, OverflowError, UnicodeDecodeError) as exc:
        raise ExportError(f"corrupt TFLite flatbuffer: {type(exc).__name__}: {exc}; export the model again") from exc
    _check_references(graph)
    return graph


def _check_references(graph: Graph) -> None:
    """Tensor indices of the graph and of every op point at existing tensors; shapes are not negative."""
    count = len(graph.tensors)
    for where, indices, optional in [("graph inputs", graph.inputs, False), ("graph outputs", graph.outputs, False),
                                     *[(f"op {op.index} ({op.opcode}) inputs", op.inputs, True)
                                       for op in graph.operators],
                                     *[(f"op {op.index} ({op.opcode}) outputs", op.outputs, False)
                                       for op in graph.operators]]:
        bad = [i for i in indices if not (-1 if optional else 0) <= i < count]
        if bad:
            raise ExportError(f"corrupt TFLite flatbuffer: {where} refer to tensor(s) {bad}; "
                              f"the model has {count} tensors")
    for tensor in graph.tensors:
        if any(d < 0 for d in tensor.shape):
            raise ExportError(f"corrupt or dynamic TFLite model: {tensor.describe()} has a negative dimension")


def _walk(model) -> Graph:
    if model.SubgraphsLength() != 1:
        raise ExportError(f"the model has {model.SubgraphsLength()} subgraphs; only single-subgraph "
                          "models (no control flow) can be exported")
    subgraph = model.Subgraphs(0)
    tensors = tuple(_read_tensor(model, subgraph.Tensors(i), i) for i in range(subgraph.TensorsLength()))
    operators = tuple(_read_operator(model, subgraph.Operators(i), i) for i in range(subgraph.OperatorsLength()))
    description = (model.Description() or b"").decode("utf-8", "replace")
    return Graph(tensors, operators, tuple(int(i) for i in subgraph.InputsAsNumpy()),
                 tuple(int(i) for i in subgraph.OutputsAsNumpy()), description)


def _checked(index: int, length: int, what: str) -> int:
    if not 0 <= index < length:
        raise ExportError(f"corrupt TFLite flatbuffer: {what} index {index} is outside [0, {length})")
    return index


def _read_tensor(model, tensor, index: int) -> TensorInfo:
    dtype = TENSOR_TYPES.get(tensor.Type(), f"type{tensor.Type()}")
    shape = tuple(int(d) for d in tensor.ShapeAsNumpy()) if tensor.ShapeLength() else ()
    quant = None
    q = tensor.Quantization()
    if q is not None and q.ScaleLength() > 0:
        zero_points = q.ZeroPointAsNumpy() if q.ZeroPointLength() else np.zeros(q.ScaleLength(), np.int64)
        quant = QuantParams(tuple(float(s) for s in q.ScaleAsNumpy()),
                            tuple(int(z) for z in zero_points), int(q.QuantizedDimension()))
    data = None
    buffer = model.Buffers(tensor.Buffer()) if tensor.Buffer() < model.BuffersLength() else None
    if buffer is not None and buffer.DataLength() > 0 and dtype in NUMPY_DTYPES:
        raw = buffer.DataAsNumpy().tobytes()
        expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(NUMPY_DTYPES[dtype]).itemsize
        if len(raw) != expected:
            raise ExportError(f"corrupt TFLite flatbuffer: tensor {index} has {len(raw)} bytes of data for shape "
                              f"{list(shape)} of {dtype} ({expected} bytes)")
        data = np.frombuffer(raw, dtype=NUMPY_DTYPES[dtype]).reshape(shape).copy()
    name = (tensor.Name() or b"").decode("utf-8", "replace")
    return TensorInfo(index, name, dtype, shape, quant, data)


def _read_operator(model, op, index: int) -> OperatorInfo:
    code = model.OperatorCodes(_checked(op.OpcodeIndex(), model.OperatorCodesLength(), f"op {index} opcode"))
    builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
    opcode = BUILTIN_OPERATORS.get(builtin, f"BUILTIN_{builtin}")
    if opcode == "CUSTOM":
        opcode = "CUSTOM:" + (code.CustomCode() or b"").decode("utf-8", "replace")
    inputs = tuple(int(i) for i in op.InputsAsNumpy()) if op.InputsLength() else ()
    outputs = tuple(int(i) for i in op.OutputsAsNumpy()) if op.OutputsLength() else ()
    return OperatorInfo(index, opcode, inputs, outputs, _read_options(opcode, op))


def _table(op, options_class):
    table = op.BuiltinOptions()
    if table is None:
        return None
    options = options_class()
    options.Init(table.Bytes, table.Pos)
    return options


def _activation(options) -> str:
    return ACTIVATIONS.get(options.FusedActivationFunction(), "UNKNOWN")


def _conv_options(options) -> dict:
    return {"padding": PADDINGS.get(options.Padding(), "UNKNOWN"), "stride_h": options.StrideH(),
            "stride_w": options.StrideW(), "dilation_h": options.DilationHFactor(),
            "dilation_w": options.DilationWFactor(), "activation": _activation(options)}


def _read_options(opcode: str, op) -> dict:
    reader = _OPTION_READERS.get(opcode)
    if reader is None:
        return {}
    options_class, read = reader
    options = _table(op, options_class)
    return read(options) if options is not None else {}


_OPTION_READERS = {
    "CONV_2D": (tflite.Conv2DOptions, _conv_options),
    "DEPTHWISE_CONV_2D": (tflite.DepthwiseConv2DOptions,
                          lambda o: {**_conv_options(o), "depth_multiplier": o.DepthMultiplier()}),
    "FULLY_CONNECTED": (tflite.FullyConnectedOptions,
                        lambda o: {"activation": _activation(o), "weights_format": o.WeightsFormat(),
                                   "keep_num_dims": bool(o.KeepNumDims())}),
    "MAX_POOL_2D": (tflite.Pool2DOptions, lambda o: _pool_options(o)),
    "AVERAGE_POOL_2D": (tflite.Pool2DOptions, lambda o: _pool_options(o)),
    "SOFTMAX": (tflite.SoftmaxOptions, lambda o: {"beta": float(o.Beta())}),
    "ADD": (tflite.AddOptions, lambda o: {"activation": _activation(o),
                                          "pot_scale_int16": bool(o.PotScaleInt16())}),
}


def _pool_options(options) -> dict:
    return {"padding": PADDINGS.get(options.Padding(), "UNKNOWN"), "stride_h": options.StrideH(),
            "stride_w": options.StrideW(), "filter_h": options.FilterHeight(),
            "filter_w": options.FilterWidth(), "activation": _activation(options)}
