"""From ``.tflite`` bytes to a generated C library folder (parse -> lower -> plan -> render)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from training.data.preprocess import PreprocessingSpec
from training.export.codegen import render_library, supports_preprocessing
from training.export.lowering import LoweredModel, lower
from training.export.planner import ArenaPlan, plan_arena
from training.export.postprocess_context import postprocess_context, postprocess_facts
from tofhil.postprocessing import Postprocessing
from training.export.quantize import sha256_hex
from training.export.specialize import fully_connected_requantization, fused_conv_outputs, specialize
from training.export.tflite_graph import parse_tflite


@dataclass(frozen=True)
class GeneratedLibrary:
    directory: Path
    files: tuple[Path, ...]
    sha256: str
    model: LoweredModel
    plan: ArenaPlan
    has_preprocessing: bool
    requantization: tuple = ()  # per FULLY_CONNECTED op: integer (proven exact) or double
    postprocessing: dict | None = None  # the generated decision pipeline's facts (postprocess_context.py)

    @property
    def input_size(self) -> int:
        return self.model.input.size

    @property
    def output_size(self) -> int:
        return self.model.output.size


def generate_library(model_bytes: bytes, output_dir: Path, spec: PreprocessingSpec | None = None,
                     source: str = "model_int8.tflite", postprocessing: Postprocessing | None = None,
                     class_names: list[str] | None = None) -> GeneratedLibrary:
    """Generate the C library of an int8 ``.tflite`` model; unsupported content raises ExportError. With
    ``postprocessing``, also the decision pipeline after the model (``tofhil_postprocess.{h,c}``)."""
    model = lower(parse_tflite(model_bytes))
    specs = specialize(model)
    plan = plan_arena(model, fused_conv_outputs(model, specs))
    sha256 = sha256_hex(model_bytes)
    facts = postprocess_facts(postprocessing, class_names, model.output) if postprocessing is not None else None
    files = render_library(model, plan, sha256, Path(output_dir), source, spec, specs,
                           postprocess_context(facts, class_names) if facts is not None else None)
    with_preprocessing = spec is not None and supports_preprocessing(model)
    return GeneratedLibrary(Path(output_dir), tuple(files), sha256, model, plan, with_preprocessing,
                            tuple(fully_connected_requantization(model, specs)), facts)
