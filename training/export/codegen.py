"""Render the C model library from Jinja2 templates in ``firmware_templates/``.

Python only builds plain context dicts here (small pure functions, every C
identifier validated); all C text lives in the templates. The output folder is
self-contained: the static runtime sources copied verbatim, the generated model
and preprocessing sources, each starting with a "generated - do not edit" banner.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import jinja2
import numpy as np

from tofhil.paths import templates_dir
from tofhil.templating import c_template_environment
from training.data import preprocess as pp
from training.errors import ExportError
from training.export.layer_kinds import kernel_structs, layer_kinds_context
from training.export.lowering import LoweredModel
from training.export.planner import ArenaPlan
from training.export.postprocess_context import POSTPROCESS_TEMPLATES
from training.export.specialize import Specialization, specialize

TEMPLATES_DIR = templates_dir()
RUNTIME_FILES = ("tofhil_status.h", "tofhil_status.c", "tofhil_kernels.h", "tofhil_kernels.c")
MODEL_TEMPLATES = {"tofhil_model.h": "model/tofhil_model.h.j2", "tofhil_model.c": "model/tofhil_model.c.j2"}
PREPROCESS_TEMPLATES = {"tofhil_preprocess.h": "model/tofhil_preprocess.h.j2",
                        "tofhil_preprocess.c": "model/tofhil_preprocess.c.j2"}
PREPROCESS_INPUT_SHAPE = (1, 8, 8, 2)
PREFIX = "tofhil_"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_C_KEYWORDS = frozenset("""auto break case char const continue default do double else enum extern float for goto
if inline int long register restrict return short signed sizeof static struct switch typedef union unsigned
void volatile while _Bool _Complex _Imaginary""".split())
C_TYPES = {"INT8": "int8_t", "FLOAT32": "float"}


def c_identifier(name: str) -> str:
    """Return ``name`` if it is a valid, prefixed C identifier; raise :class:`ExportError` otherwise."""
    if not _IDENTIFIER.match(name) or name in _C_KEYWORDS or not name.lower().startswith(PREFIX):
        raise ExportError(f"generated C identifier {name!r} is invalid (must match {_IDENTIFIER.pattern}, "
                          f"start with {PREFIX!r} and not be a keyword)")
    return name


def c_comment_text(text: str, limit: int = 96) -> str:
    """Text safe inside a ``/* */`` comment: printable ASCII, no comment terminators."""
    safe = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text).replace("*/", "*?").replace("/*", "/?")
    return safe if len(safe) <= limit else safe[: limit - 3] + "..."


def c_float(value: float, single: bool = True) -> str:
    """Exact C99 hex literal of a float32 (``f`` suffix) or a double."""
    if single:
        value = float(np.float32(value))
    literal = float(value).hex()
    return literal + "f" if single else literal


def c_rows(values, ctype: str, per_line: int = 16) -> list[str]:
    """Initializer rows of a constant array: exact hex literals for doubles, integers otherwise."""
    flat = np.asarray(values).reshape(-1)
    if ctype == "double":
        items, per_line = [c_float(float(v), single=False) for v in flat], 4
    else:
        suffix = "u" if ctype == "uint32_t" else ""
        items = [f"{int(v)}{suffix}" for v in flat]
    return [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]


def _environment() -> jinja2.Environment:
    return c_template_environment({"c_rows": c_rows})


def _tensor_context(tensor, plan: ArenaPlan) -> dict:
    ctype = C_TYPES.get(tensor.dtype)
    if ctype is None:
        raise ExportError(f"{tensor.describe()}: the runtime keeps only int8 and float32 tensors in its arena")
    outside = tensor.index in plan.outside
    return {"index": tensor.index, "offset": 0 if outside else plan.offsets[tensor.index], "outside": outside,
            "ctype": ctype, "size": tensor.size, "name": c_comment_text(tensor.name), "shape": list(tensor.shape)}


def _io_context(tensor, plan: ArenaPlan) -> dict:
    context = _tensor_context(tensor, plan)
    quant = tensor.quant
    context.update({"quantized": quant is not None,
                    "scale": c_float(quant.scale[0]) if quant else "1.0f",
                    "scale_value": quant.scale[0] if quant else 1.0,
                    "zero_point": quant.zero_point[0] if quant else 0})
    return context


def _spec_context(name: str, spec: Specialization | None) -> dict | None:
    if spec is None:
        return None
    arrays = [{"field": field_name, "name": c_identifier(f"{name}_{field_name}"), "ctype": ctype,
               "length": int(np.asarray(values).size), "values": values} for field_name, ctype, values in spec.arrays]
    return {"kind": spec.kind, "c": {k: int(v) for k, v in spec.consts.items()}, "arrays": arrays}


def _op_context(op, model: LoweredModel, plan: ArenaPlan, spec: Specialization | None = None) -> dict:
    name = c_identifier(f"tofhil_op{op.index}_{op.kind}")
    tensors = model.graph.tensors
    arrays = []
    for field_name, (ctype, values) in op.arrays.items():
        if values is not None:
            arrays.append({"field": field_name, "name": c_identifier(f"{name}_{field_name}"), "ctype": ctype,
                           "length": int(np.asarray(values).size), "values": values})
    fields = [(key, c_float(value) if key == "scale" and op.kind == "quantize"
               else c_float(value, single=False) if key == "scale" else str(int(value)))
              for key, value in op.fields.items()]
    return {"name": name, "kind": op.kind, "opcode": op.opcode, "index": op.index, "fields": dict(fields),
            "arrays": [] if spec is not None else arrays, "spec": _spec_context(name, spec),
            "null_fields": [k for k, (_, v) in op.arrays.items() if v is None],
            "inputs": [_tensor_context(tensors[i], plan) for i in op.inputs],
            "output": _tensor_context(tensors[op.output], plan)}


def _scratch(model: LoweredModel, specs: dict[int, Specialization]) -> dict:
    """One scratch shared by the ops in turn: int16 expanded activations, int32 softmax exps."""
    s16 = max((spec.scratch_s16 for spec in specs.values()), default=0)
    s32 = max((op.fields["depth"] for op in model.ops if op.kind == "softmax"), default=0)
    return {"s16": max(s16, 2), "s32": max(s32, 1), "used": bool(specs) or s32 > 0}


def model_context(model: LoweredModel, plan: ArenaPlan, sha256: str, source: str,
                  specs: dict[int, Specialization] | None = None) -> dict:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ExportError(f"model sha256 {sha256!r} is not 64 lowercase hex digits")
    specs = specialize(model) if specs is None else specs
    return {"source": c_comment_text(source, 200), "sha256": sha256, "arena_size": max(plan.size, 4),
            "layer_buffer_size": max(plan.outside.values(), default=0),
            "input": _io_context(model.input, plan), "output": _io_context(model.output, plan),
            "scratch": _scratch(model, specs),
            "ops": _fuse_outputs([_op_context(op, model, plan, specs.get(op.index)) for op in model.ops]),
            "kernel_structs": kernel_structs(), "layer_kinds": layer_kinds_context()}


def _fuse_outputs(ops: list[dict]) -> list[dict]:
    """A conv that pools its own accumulators writes the pool's output tensor (tofhil_model_invoke)."""
    by_index = {op["index"]: op for op in ops}
    for op in ops:
        consts = (op["spec"] or {}).get("c", {})
        op["pool_output"] = by_index[consts["pool_op"]]["output"] if consts.get("pool") else None
        op["fused"] = bool(consts.get("fused"))
    return ops


def preprocess_context(spec: pp.PreprocessingSpec, model: LoweredModel, source: str) -> dict:
    if spec.normalization not in pp.NORMALIZATION_MODES:
        raise ExportError(f"preprocessing.normalization {spec.normalization!r} is not one of "
                          f"{pp.NORMALIZATION_MODES}")
    for key in ("max_distance", "min_distance", "background_distance"):
        if not -2**31 < int(getattr(spec, key)) < 2**31 - 65536:
            raise ExportError(f"preprocessing.{key} = {getattr(spec, key)} is out of range")
    return {"source": c_comment_text(source, 200), "mode": spec.normalization, "zones": pp.ZONES,
            "valid_status": list(pp.VALID_TARGET_STATUS), "no_target_mm": pp.NO_TARGET_MM,
            "max_distance": int(spec.max_distance), "min_distance": int(spec.min_distance),
            "background_distance": int(spec.background_distance),
            "background_distance_f": c_float(float(spec.background_distance)),
            "no_target_f": c_float(float(pp.NO_TARGET_MM)),
            "st_distance_offset": c_float(pp.ST_DISTANCE_OFFSET), "st_distance_scale": c_float(pp.ST_DISTANCE_SCALE),
            "st_signal_offset": c_float(pp.ST_SIGNAL_OFFSET), "st_signal_scale": c_float(pp.ST_SIGNAL_SCALE),
            "hand_relative_far": c_float(pp.HAND_RELATIVE_FAR),
            "center_hand": bool(spec.center_hand),
            "input_is_int8": model.input.dtype == "INT8", "distance_lut": _distance_lut(spec, model),
            "fraction_store": _fraction_store(spec, model)}


def _fraction_store(spec: pp.PreprocessingSpec, model: LoweredModel) -> bool:
    """The hand-relative signal (0 <= signal / peak <= 1) may skip store_input's sign branch and its
    +-1e6 and -128 clamps: they never act when x / scale + 0.5 stays below 1e6 (float32 exact)."""
    if spec.normalization != "hand_relative" or model.input.dtype != "INT8":
        return False
    scale = float(model.input.quant.scale[0])
    return scale > 0 and np.float32(1.0) / np.float32(scale) + np.float32(0.5) < np.float32(1.0e6)


MAX_DISTANCE_LUT = 1024


def _distance_lut(spec: pp.PreprocessingSpec, model: LoweredModel) -> list[int]:
    """Quantized channel 0 of a hand zone per (distance - closest) in 0..Background_distance, computed by
    the host preprocessing's own float32 operations, so the table is the host result by construction."""
    background = int(spec.background_distance)
    if spec.normalization != "hand_relative" or model.input.dtype != "INT8" or not 0 < background <= MAX_DISTANCE_LUT:
        return []
    depth = np.arange(background + 1).astype(np.float32) / np.float32(background)
    return [int(v) for v in pp.quantize_input(depth, model.input.quant.scale[0], model.input.quant.zero_point[0])]


def supports_preprocessing(model: LoweredModel) -> bool:
    return tuple(model.input.shape) == PREPROCESS_INPUT_SHAPE


def render_library(model: LoweredModel, plan: ArenaPlan, sha256: str, output_dir: Path, source: str,
                   spec: pp.PreprocessingSpec | None, specs: dict[int, Specialization] | None = None,
                   postprocess: dict | None = None) -> list[Path]:
    """Write runtime + generated sources into ``output_dir``; return the written paths."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    env = _environment()
    written = []
    for name in RUNTIME_FILES:
        written.append(Path(shutil.copyfile(TEMPLATES_DIR / "runtime" / name, output_dir / name)))
    contexts = [(MODEL_TEMPLATES, model_context(model, plan, sha256, source, specs))]
    if spec is not None and supports_preprocessing(model):
        contexts.append((PREPROCESS_TEMPLATES, {**contexts[0][1], **preprocess_context(spec, model, source)}))
    if postprocess is not None:  # a context of training/export/postprocess_context.py
        contexts.append((POSTPROCESS_TEMPLATES, {**contexts[0][1], **postprocess}))
    for templates, context in contexts:
        for filename, template in templates.items():
            path = output_dir / filename
            path.write_text(env.get_template(template).render(**context))
            written.append(path)
    return written
