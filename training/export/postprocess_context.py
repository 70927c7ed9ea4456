"""The context of the generated decision pipeline (``tofhil_postprocess.{h,c}``: ST's threshold and label
filter after the model, on its int8 outputs). Every value written into C is checked here, and the int8
threshold is proven equal to the float comparison for every int8 value (:func:`tofhil.postprocessing.
int8_threshold`), so the device decides what the host reference decides.
"""
from __future__ import annotations

import numpy as np

from tofhil.errors import ToolError
from tofhil.postprocessing import NO_POSTURE, Postprocessing, int8_threshold
from training.errors import ExportError

POSTPROCESS_TEMPLATES = {"tofhil_postprocess.h": "model/tofhil_postprocess.h.j2",
                         "tofhil_postprocess.c": "model/tofhil_postprocess.c.j2"}
MAX_CLASSES = 32767  # the decision is an int16_t


def postprocess_facts(spec: Postprocessing, class_names: list[str] | None, output) -> dict:
    """What the export generates and reports; ``output`` is the lowered model's output tensor."""
    if output.dtype != "INT8" or len(output.quant.scale) != 1:
        raise ExportError(f"postprocessing: the model output {output.describe()} is not a per-tensor int8 tensor")
    classes = int(np.prod(output.shape))
    if not 2 <= classes <= MAX_CLASSES:
        raise ExportError(f"postprocessing: needs 2..{MAX_CLASSES} class scores, the model outputs {classes} "
                          "(a single sigmoid output has no class to threshold)")
    names = list(class_names) if class_names and len(class_names) == classes else []
    fallback = spec.fallback_index(names) if names else NO_POSTURE
    scale, zero_point = float(output.quant.scale[0]), int(output.quant.zero_point[0])
    try:
        threshold_q = int8_threshold(spec.threshold, scale, zero_point)
    except ToolError as exc:
        raise ExportError(f"postprocessing.threshold: {exc}") from exc
    if not (-129 <= threshold_q <= 127 and 0 <= spec.filter_length <= 255 and NO_POSTURE <= fallback < classes):
        raise ExportError(f"postprocessing: threshold_q {threshold_q}, filter_length {spec.filter_length} or "
                          f"fallback {fallback} outside what the generated C holds")
    return {"threshold": float(spec.threshold), "threshold_int8": threshold_q,
            "threshold_proof": f"q > {threshold_q} == ({scale!r} * (q - {zero_point}) > {spec.threshold!r}) for "
                               "every int8 q",
            "filter_length": int(spec.filter_length), "keep_last_valid": bool(spec.keep_last_valid),
            "no_posture_class": spec.no_posture_class, "fallback_index": fallback, "classes": classes,
            "output_scale": scale, "output_zero_point": zero_point}


def postprocess_context(facts: dict, class_names: list[str] | None) -> dict:
    fallback = facts["fallback_index"]
    fallback_text = "no posture (-1)" if fallback == NO_POSTURE else f"class {fallback}"
    if class_names and fallback != NO_POSTURE:
        fallback_text += f" {''.join(ch for ch in class_names[fallback] if ch.isalnum())}"
    return {"classes": facts["classes"], "threshold_q": facts["threshold_int8"],
            "threshold_text": f"{facts['threshold']:g}", "scale_text": f"{facts['output_scale']:.9g}",
            "zero_point": facts["output_zero_point"], "filter_length": facts["filter_length"],
            "keep_last_valid": facts["keep_last_valid"], "fallback": fallback, "fallback_text": fallback_text}
