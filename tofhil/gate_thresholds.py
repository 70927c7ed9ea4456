"""The pass/fail thresholds of a HIL validation, typed once: the run config's ``hil.gates`` section
(``training.config`` validates YAML against these fields' metadata) and the gates ``hil.report.gates`` judges.

Each gate is on (a number) or off (null). The field metadata is the config validator's: inclusive ``range``,
``positive`` (strictly greater than 0), ``doc``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


def _gate(default, low: float, high: float, doc: str = "", positive: bool = False):
    return field(default=default, metadata={"required": False, "range": (low, high), "choices": None, "doc": doc,
                                            "positive": positive})


@dataclass(frozen=True)
class GateThresholds:
    """Pass/fail thresholds of a HIL validation; null = no gate."""

    min_accuracy: float = _gate(0.80, 0.0, 1.0,
                                doc="on-device accuracy, judged on the lower bound of its 95% confidence interval")
    min_exact_agreement: float = _gate(1.0, 0.0, 1.0, doc="share of frames whose int8 outputs equal the host's")
    min_shown_agreement: Optional[float] = _gate(1.0, 0.0, 1.0,
                                                 doc="share of frames whose label shown on the device (its decision "
                                                     "pipeline) equals the host's replay over the device's outputs "
                                                     "(not applicable to a firmware without the pipeline)")
    min_shown_accuracy: Optional[float] = _gate(None, 0.0, 1.0,
                                                doc="accuracy of the label the user sees (postprocessing: replayed over "
                                                    "the device's outputs per session), lower bound of its 95% CI")
    max_no_posture_rate: Optional[float] = _gate(None, 0.0, 1.0,
                                                 doc="share of frames holding a posture that show no posture, "
                                                     "upper bound of its 95% CI")
    max_latency_ms: Optional[float] = _gate(None, 0.0, 1e9, positive=True,
                                            doc="real boards: slowest inference (DWT cycles / core clock)")
    max_instructions: Optional[float] = _gate(None, 0.0, 1e15, positive=True,
                                              doc="emulator, per inference (QEMU -icount)")
    max_flash_kib: Optional[float] = _gate(None, 0.0, 1e9, positive=True, doc="whole firmware image")
    max_ram_kib: Optional[float] = _gate(None, 0.0, 1e9, positive=True)
