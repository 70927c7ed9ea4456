"""``model_report.json``: what was exported, how it scores, and what it costs on the board."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# ST's published numbers for the float model with STM32Cube.AI 10.0 on the F401 (facts.md section 2)
ST_REFERENCE = {"source": "ST model zoo, STM32Cube.AI 10.0, float32, STM32F401 @ 84 MHz",
                "weights_flash_kib": 10.75, "code_flash_kib": 14.37, "total_flash_kib": 25.12,
                "activation_ram_kib": 1.07, "runtime_ram_kib": 2.08, "total_ram_kib": 3.15,
                "inference_ms": 1.54}
TARGETS = {"total_flash_kib": 8.0, "total_ram_kib": 1.5}


@dataclass(frozen=True)
class Evaluation:
    samples: int
    float_accuracy: float | None
    int8_accuracy: float
    float_int8_agreement: float | None

    def to_dict(self) -> dict:
        return {"test_samples": self.samples, "float_accuracy": self.float_accuracy,
                "int8_accuracy": self.int8_accuracy, "float_int8_top1_agreement": self.float_int8_agreement}


def evaluate(labels: np.ndarray, int8_scores: np.ndarray, float_scores: np.ndarray | None) -> Evaluation:
    """Top-1 accuracy of both models and how often their top-1 classes agree."""
    int8_top = np.argmax(int8_scores.reshape(len(labels), -1), axis=1)
    int8_accuracy = float(np.mean(int8_top == labels)) if len(labels) else 0.0
    if float_scores is None:
        return Evaluation(len(labels), None, int8_accuracy, None)
    float_top = np.argmax(float_scores.reshape(len(labels), -1), axis=1)
    return Evaluation(len(labels), float(np.mean(float_top == labels)), int8_accuracy,
                      float(np.mean(float_top == int8_top)))


def _io(tensor) -> dict:
    quant = tensor.quant
    return {"name": tensor.name, "dtype": tensor.dtype.lower(), "shape": list(tensor.shape),
            "scale": quant.scale[0] if quant else None, "zero_point": quant.zero_point[0] if quant else None}


def build_report(library, source: str, class_names: list[str] | None, spec, evaluation: Evaluation | None,
                 footprint, timings: dict, quantization: dict | None) -> dict:
    footprint_dict = footprint.to_dict() if footprint is not None else None
    targets = None
    if footprint is not None:
        targets = {"total_flash_kib": TARGETS["total_flash_kib"], "total_ram_kib": TARGETS["total_ram_kib"],
                   "flash_met": footprint_dict["flash_kib"] <= TARGETS["total_flash_kib"],
                   "ram_met": footprint_dict["ram_kib"] <= TARGETS["total_ram_kib"]}
    return {
        "model": {"source": source, "sha256": library.sha256, "file": "model_int8.tflite",
                  "ops": [op.opcode for op in library.model.ops], "input": _io(library.model.input),
                  "output": _io(library.model.output), "class_names": class_names},
        "quantization": quantization,
        "preprocessing": None if spec is None or not library.has_preprocessing else
        {"max_distance": spec.max_distance, "min_distance": spec.min_distance,
         "background_distance": spec.background_distance, "normalization": spec.normalization,
         "center_hand": bool(spec.center_hand)},
        "library": {"files": sorted(p.name for p in library.files), "arena_bytes": library.plan.size,
                    "fully_connected_requantization": list(getattr(library, "requantization", ()))},
        "evaluation": evaluation.to_dict() if evaluation else None,
        "footprint": footprint_dict,
        "footprint_targets": targets,
        "st_reference": ST_REFERENCE,
        "timings_s": {key: round(value, 3) for key, value in timings.items()},
    }


def write_report(report: dict, path: Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path
