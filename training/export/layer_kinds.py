"""The layer kinds of the int8 runtime, one row each: the C parameter struct (``tofhil_kernels.h``), the C
kernel and how the generated ``tofhil_model_invoke`` calls it. The lowering of TFLite ops to these kinds is
``lowering._LOWERERS`` (opcode -> lowering function, which applies ``limits``); codegen hands this table to
``model/tofhil_model.c.j2``, which writes every call from its row. A new kind: a row here, its lowering function
and opcode entry in lowering.py, its kernel in runtime/tofhil_kernels.{c,h} (tests/export/test_layer_kinds.py
checks that these agree; a new call style also needs its line in the template's ``op_call``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

# How the kernel is called: "struct": kernel(&params, input..., output) with one input per tensor input of the
# op; "scalars": kernel(input, output, size, scale, zero point); "copy": kernel(input, output, bytes), nothing
# when the planner put the output on the input's bytes.
CALL_STYLES = ("struct", "scalars", "copy")


@dataclass(frozen=True)
class LayerKind:
    kind: str
    struct: str | None  # the parameter struct the op's constants go in; None: scalars in the call
    function: str  # the C kernel
    call: str = "struct"  # one of CALL_STYLES
    scratch_field: str | None = None  # the struct's pointer to the shared int32 scratch, if it takes one


LAYER_KINDS = {k.kind: k for k in (
    LayerKind("conv2d", "tofhil_conv_t", "tofhil_conv2d_s8"),
    LayerKind("depthwise_conv2d", "tofhil_conv_t", "tofhil_depthwise_conv2d_s8"),
    LayerKind("fully_connected", "tofhil_fully_connected_t", "tofhil_fully_connected_s8"),
    LayerKind("max_pool", "tofhil_pool_t", "tofhil_max_pool2d_s8"),
    LayerKind("avg_pool", "tofhil_pool_t", "tofhil_avg_pool2d_s8"),
    LayerKind("softmax", "tofhil_softmax_t", "tofhil_softmax_s8", scratch_field="exps"),
    LayerKind("add", "tofhil_add_t", "tofhil_add_s8"),
    LayerKind("reshape", None, "tofhil_copy_s8", "copy"),
    LayerKind("quantize", None, "tofhil_quantize_f32_s8", "scalars"),
    LayerKind("dequantize", None, "tofhil_dequantize_s8_f32", "scalars"),
)}


def kernel_structs() -> dict[str, str]:
    return {kind: row.struct for kind, row in LAYER_KINDS.items() if row.struct}


def layer_kinds_context() -> dict[str, dict]:
    """The table as the template reads it."""
    return {kind: asdict(row) for kind, row in LAYER_KINDS.items()}
