"""The layer kinds of the int8 runtime, one row each: the C parameter struct (``tofhil_kernels.h``) and the C
kernel the generated ``tofhil_model_invoke`` calls. The lowering of TFLite ops to these kinds is
``lowering._LOWERERS`` (opcode -> lowering function, which applies ``limits``); codegen reads the structs from
here. A new kind: a row here, its lowering function and opcode entry in lowering.py, its kernel in
runtime/tofhil_kernels.{c,h} and its call in model/tofhil_model.c.j2 (tests/export/test_layer_kinds.py checks
that these agree).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LayerKind:
    kind: str
    struct: str | None  # the parameter struct the op's constants go in; None: scalars in the call
    function: str  # the C kernel


LAYER_KINDS = {k.kind: k for k in (
    LayerKind("conv2d", "tofhil_conv_t", "tofhil_conv2d_s8"),
    LayerKind("depthwise_conv2d", "tofhil_conv_t", "tofhil_depthwise_conv2d_s8"),
    LayerKind("fully_connected", "tofhil_fully_connected_t", "tofhil_fully_connected_s8"),
    LayerKind("max_pool", "tofhil_pool_t", "tofhil_max_pool2d_s8"),
    LayerKind("avg_pool", "tofhil_pool_t", "tofhil_avg_pool2d_s8"),
    LayerKind("softmax", "tofhil_softmax_t", "tofhil_softmax_s8"),
    LayerKind("add", "tofhil_add_t", "tofhil_add_s8"),
    LayerKind("reshape", None, "tofhil_copy_s8"),
    LayerKind("quantize", None, "tofhil_quantize_f32_s8"),
    LayerKind("dequantize", None, "tofhil_dequantize_s8_f32"),
)}


def kernel_structs() -> dict[str, str]:
    return {kind: row.struct for kind, row in LAYER_KINDS.items() if row.struct}
