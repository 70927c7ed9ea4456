"""Shape-specialised code for the ops that carry the arithmetic: the constants and weight layouts
the templates turn into straight-line C (constant dimensions, no per-pixel bounds checks).

* CONV_2D: the input is expanded once to int16 (x - zero point) into a zero-bordered
  scratch, so every window is in bounds and padding costs nothing; weights are stored
  as int16 in OHWI order, so each kernel row is one run of SMLAD pairs.
* FULLY_CONNECTED: the input is expanded to int16; weights stay int8 (flash) in groups
  of four reordered for SXTB16 (and rows interleaved by fours when the requantization is
  folded); requantization is the integer form of :mod:`training.export.requant` when one
  is proven identical, else the double kernel.
* Requantization, where proven exact over every reachable accumulator, is folded: one
  SMLAL of the bias-free accumulator with a 64-bit constant (bias, rounding, output offset).
* MAX_POOL_2D without padding: constant windows.
* SOFTMAX: the exps of every difference that matters from a table computed at export
  (:mod:`training.export.softmax_table`), the rest the runtime's code.
* CONV_2D followed by a 2x2 / stride 2 MAX_POOL_2D that alone reads its output: the pool takes the max of the
  int32 accumulators before the requantization (one requantization per pooled output instead of four). Exact
  because requantization and the activation clamps are monotone non-decreasing when every channel's
  multiplier is positive (checked here, per channel; otherwise the two ops stay apart). The separate kernels
  remain for per-layer validation (tofhil_model_invoke_layer).
Everything else runs the generic struct-driven kernels of ``tofhil_kernels.c``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from training.export.lowering import KernelOp, LoweredModel
from training.export.requant import find_integer_requant, fold_conv_requant, fold_fc_requant
from training.export.softmax_table import exp_table

SXTB16_ORDER = np.array([0, 2, 1, 3])


@dataclass
class Specialization:
    kind: str  # "conv2d", "fully_connected", "max_pool", "softmax"
    consts: dict
    arrays: list = field(default_factory=list)  # (field, C type, values)
    scratch_s16: int = 0  # int16 scratch elements the op needs
    notes: dict = field(default_factory=dict)  # what model_report.json records


def reorder_for_sxtb16(weights: np.ndarray) -> np.ndarray:
    """Rows of int8 weights with each full group of four stored as w0 w2 w1 w3."""
    rows, depth = weights.shape
    full = depth - depth % 4
    out = weights.copy()
    groups = weights[:, :full].reshape(rows, -1, 4)[:, :, SXTB16_ORDER]
    out[:, :full] = groups.reshape(rows, full)
    return out


def interleave_row_quads(weights: np.ndarray) -> np.ndarray:
    """Flat SXTB16-ordered rows, each full quad of rows interleaved for tofhil_dot4_s8_s16: per
    group of four inputs the four bytes of rows 0-3, then each row's depth % 4 last weights."""
    rows, depth = weights.shape
    quads, full = rows - rows % 4, depth - depth % 4
    if quads == 0:
        return weights.reshape(-1)
    head = weights[:quads].reshape(quads // 4, 4, depth)
    groups = head[:, :, :full].reshape(quads // 4, 4, full // 4, 4).transpose(0, 2, 1, 3).reshape(quads // 4, -1)
    blocks = np.concatenate([groups, head[:, :, full:].reshape(quads // 4, -1)], axis=1)
    return np.concatenate([blocks.reshape(-1), weights[quads:].reshape(-1)])


def _pairs_share_loads(f: dict) -> bool:
    """Two neighbouring pixels always exist (even output width), so the second window is the first
    moved by one stride: written that way, the compiler loads their common int16 pairs once."""
    return f["out_w"] % 2 == 0 and (f["stride_w"] * f["in_c"]) % 2 == 0


def _row_k3x6(f: dict) -> bool:
    """The shape tofhil_conv_row_k3x6_s16 computes: two input channels (one word per pixel), a 3-wide kernel at
    stride 1, six outputs per row (ST's hand-posture conv: 8x8x2 -> 6x6x8). The weights of a kernel row then stay
    in registers across the row; other shapes take the generic 2-channel x 2-pixel blocking."""
    return f["in_c"] == 2 and f["k_w"] == 3 and f["stride_w"] == 1 and f["out_w"] == 6


def pack_pixel_pairs(filters: np.ndarray) -> np.ndarray:
    """OHWI int8 filters with two input channels as one uint32 word per tap: channel 0 in the low half (int16),
    channel 1 in the high half, the order SMLAD pairs them with the input's int16 pixels."""
    pairs = filters.astype(np.int64).reshape(-1, 2) & 0xFFFF
    return (pairs[:, 0] | (pairs[:, 1] << 16)).astype(np.uint32)


def _right_only(shift: np.ndarray, ranges: np.ndarray) -> bool:
    """Every channel shifts right (>= 1) and high + 2^(right-1) fits int32 (|high| <= |acc|)."""
    if (shift > -1).any():
        return False
    return int(np.abs(ranges).max()) + 2 ** (int(-shift.min()) - 1) < 2**31


def _conv(op: KernelOp) -> Specialization:
    f = op.fields
    pad_bottom = max(0, (f["out_h"] - 1) * f["stride_h"] + f["k_h"] - f["in_h"] - f["pad_top"])
    pad_right = max(0, (f["out_w"] - 1) * f["stride_w"] + f["k_w"] - f["in_w"] - f["pad_left"])
    padded_h, padded_w = f["in_h"] + f["pad_top"] + pad_bottom, f["in_w"] + f["pad_left"] + pad_right
    shift = op.arrays["shift"][1].astype(np.int32)
    bias = op.arrays["bias"][1]
    # TFLite rounds twice (a rounding doubling high multiply, then a rounding shift): one floor
    # reproduces that wherever negative products clamp anyway (ReLU), proven per channel; else
    # the conv keeps TFLite's arithmetic, constants hoisted
    consts = {**f, "padded_h": padded_h, "padded_w": padded_w, "pairs_share_loads": _pairs_share_loads(f),
              "row_k3x6": _row_k3x6(f),
              "any_left": bool((shift > 0).any()), "right_only": _right_only(shift, op.accumulator_ranges),
              "padded": bool(f["pad_top"] or f["pad_left"] or pad_bottom or pad_right), "pool": 0}
    bias = np.zeros(f["out_c"], np.int64) if bias is None else bias
    filters = (("filter_words", "uint32_t", pack_pixel_pairs(op.arrays["filter"][1])) if consts["row_k3x6"]
               else ("filter", "int16_t", op.arrays["filter"][1].astype(np.int16)))
    folded = fold_conv_requant(op.accumulator_ranges, bias, op.arrays["multiplier"][1], shift, f["output_offset"],
                               f["act_min"], f["act_max"])
    scratch = padded_h * padded_w * f["in_c"]
    if folded is not None:
        arrays = [filters, *_folded_arrays(folded)]
        notes = {"requantization": "folded", "accumulators_checked": folded.checked_accumulators}
        return Specialization("conv2d", {**consts, "folded": True}, arrays, scratch, notes)
    arrays = [filters, ("bias", "int32_t", bias.astype(np.int32)),
              ("multiplier", "int32_t", op.arrays["multiplier"][1]),
              ("right", "uint8_t", np.maximum(-shift, 0).astype(np.uint8))]
    if consts["any_left"]:
        arrays.append(("left", "uint8_t", np.maximum(shift, 0).astype(np.uint8)))
    notes = {"requantization": "tflite"}
    return Specialization("conv2d", {**consts, "folded": False}, arrays, scratch, notes)


def _folded_arrays(folded) -> list:
    return [("multiplier", "int32_t", folded.multipliers), ("offset", "int64_t", folded.offsets),
            ("shift", "uint8_t", folded.shifts)]


def _fully_connected(op: KernelOp) -> Specialization | None:
    f = op.fields
    twice_scales = op.arrays["twice_effective_scale"][1]
    found = find_integer_requant(op.accumulator_ranges, twice_scales, f["output_offset"], f["act_min"], f["act_max"])
    if found is None:
        return None
    bias = op.arrays["bias"][1]
    weights = op.arrays["weights"][1].reshape(f["out_depth"], f["accum_depth"])
    bias = np.zeros(f["out_depth"], np.int64) if bias is None else bias
    packed = ("weights", "int8_t", reorder_for_sxtb16(weights))
    quads = f["out_depth"] - f["out_depth"] % 4
    folded = fold_fc_requant(op.accumulator_ranges, bias, found, twice_scales, f["output_offset"], f["act_min"],
                             f["act_max"])
    if folded is not None:
        notes = {"requantization": "integer", "form": "folded", "accumulators_checked": folded.checked_accumulators}
        packed = ("weights", "int8_t", interleave_row_quads(packed[2]))
        return Specialization("fully_connected", {**f, "folded": True, "quads": quads},
                              [packed, *_folded_arrays(folded)], f["accum_depth"], notes)
    arrays = [packed, ("bias", "int32_t", bias.astype(np.int32)),
              ("multiplier", "int32_t", found.multipliers), ("shift", "uint8_t", found.shifts)]
    notes = {"requantization": "integer", "accumulators_checked": found.checked_accumulators}
    return Specialization("fully_connected", {**f, "folded": False, "quads": 0}, arrays, f["accum_depth"], notes)


def _max_pool(op: KernelOp) -> Specialization | None:
    f = op.fields
    inside = all((f[f"out_{d}"] - 1) * f[f"stride_{d}"] + f[f"k_{d}"] <= f[f"in_{d}"] for d in ("h", "w"))
    if f["pad_top"] or f["pad_left"] or not inside:
        return None
    return Specialization("max_pool", dict(f))


def _softmax(op: KernelOp) -> Specialization | None:
    """The exps from a table of every difference that matters (training/export/softmax_table.py)."""
    table = exp_table(op)
    if table is None:
        return None
    # the tail below 2^16 as uint16: 2 B less flash an entry for one more compare an element
    wide = int(np.argmax(table < 2**16)) if (table < 2**16).any() else len(table)
    notes = {"exp_table_entries": len(table)}
    arrays = [("exp", "int32_t", table[:wide]), ("exp_tail", "uint16_t", table[wide:])] if wide < len(table) \
        else [("exp", "int32_t", table)]
    return Specialization("softmax", {**op.fields, "entries": len(table), "wide": wide}, arrays, 0, notes)


def specialize(model: LoweredModel) -> dict[int, Specialization]:
    """Specialisations keyed by op index; ops without one use the generic kernels."""
    makers = {"conv2d": _conv, "fully_connected": _fully_connected, "max_pool": _max_pool, "softmax": _softmax}
    result = {}
    for op in model.ops:
        made = makers[op.kind](op) if op.kind in makers else None
        if made is not None:
            result[op.index] = made
    for conv, pool in zip(model.ops, model.ops[1:]):
        _fuse_conv_pool(model, conv, pool, result)
    return result


def _fusable_pool(model: LoweredModel, conv: KernelOp, pool: KernelOp, specs: dict) -> str | None:
    """Why ``pool`` cannot take the max of ``conv``'s accumulators, or None when it can."""
    if conv.kind != "conv2d" or pool.kind != "max_pool" or conv.index not in specs or pool.index not in specs:
        return "not a specialised conv followed by a specialised max pool"
    f, g = conv.fields, pool.fields
    readers = [op.index for op in model.ops if conv.output in op.inputs]
    if pool.inputs[0] != conv.output or readers != [pool.index] or conv.output == model.output.index:
        return "the conv's output is read by more than the pool"
    if (g["k_h"], g["k_w"], g["stride_h"], g["stride_w"]) != (2, 2, 2, 2) or f["out_h"] % 2 or f["out_w"] % 2 \
            or (g["out_h"], g["out_w"]) != (f["out_h"] // 2, f["out_w"] // 2):
        return "not a 2x2 / stride 2 pool tiling the conv's even output"
    spec = specs[conv.index]
    multipliers = spec.arrays[1][2] if spec.consts["folded"] else conv.arrays["multiplier"][1]
    if (np.asarray(multipliers) <= 0).any():
        return "a channel's multiplier is not positive: its requantization is not monotone"
    if max(f["act_min"], g["act_min"]) > min(f["act_max"], g["act_max"]):
        return "the two activation ranges do not overlap"
    return None


def _fuse_conv_pool(model: LoweredModel, conv: KernelOp, pool: KernelOp, specs: dict) -> None:
    reason = _fusable_pool(model, conv, pool, specs)
    if conv.kind == "conv2d" and pool.kind == "max_pool" and conv.index in specs:
        specs[conv.index].notes["max_pool_fused"] = reason or f"op {pool.index}: max of the accumulators"
    if reason is not None:
        return
    f, g = conv.fields, pool.fields
    specs[conv.index].consts.update({"pool": 1, "pool_op": pool.index, "pool_h": g["out_h"], "pool_w": g["out_w"],
                                     "pool_min": max(f["act_min"], g["act_min"]),
                                     "pool_max": min(f["act_max"], g["act_max"])})
    specs[pool.index].consts["fused"] = 1


def fused_conv_outputs(model: LoweredModel, specs: dict[int, Specialization]) -> frozenset[int]:
    """Output tensors of convs whose max pool is fused: the inference never writes them."""
    return frozenset(op.output for op in model.ops if op.index in specs and specs[op.index].consts.get("pool"))


def fully_connected_requantization(model: LoweredModel, specs: dict[int, Specialization]) -> list[dict]:
    """Per FULLY_CONNECTED op: integer (proven exact) or double (no integer form exists)."""
    return [{"op": op.index, **(specs[op.index].notes if op.index in specs
                                else {"requantization": "double", "reason": "no integer form is identical"})}
            for op in model.ops if op.kind == "fully_connected"]
