"""Merge gates: thresholds from the config's ``hil.gates`` (and the command line) judged on a report.

Each gate is on (a number) or off (null). A gate that does not fit the board (latency in milliseconds on the
emulator, whose timer counts instructions) is reported as "not applicable", never as passed; a gate that is on
but has nothing to judge (no frames, no firmware size) fails. Accuracy is judged on the lower bound of its
95 % Wilson interval, so a small test set cannot pass by luck.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from hil.errors import HilError
from hil.report.report_file import REPORT_FILE
from hil.report.report_type import GateResult, HilReport
from tofhil import gate_thresholds as thresholds
from tofhil.board_parse import KINDS as BOARD_KINDS

PASS, FAIL, NOT_APPLICABLE, OFF = "pass", "fail", "not applicable", "off"
FRACTION_GATES = ("min_accuracy", "min_exact_agreement", "min_shown_agreement", "min_shown_accuracy",
                  "max_no_posture_rate")
NULL_WORDS = ("null", "none", "off", "~", "")


@dataclass(frozen=True)
class GateThresholds(thresholds.GateThresholds):
    """The thresholds (fields and defaults: :mod:`tofhil.gate_thresholds`) with the checks of overrides."""

    @classmethod
    def from_config(cls, section=None) -> GateThresholds:
        """From ``hil.gates``: a mapping, a config dataclass, or ``None`` (defaults)."""
        if section is None:
            return cls()
        if dataclasses.is_dataclass(section):
            section = dataclasses.asdict(section)
        if not isinstance(section, Mapping):
            raise HilError(f"hil.gates must be a mapping of gate names to numbers or null, got {section!r}")
        return cls().with_overrides(section)

    def with_overrides(self, overrides: Mapping[str, object]) -> GateThresholds:
        names = gate_names()
        unknown = sorted(set(overrides) - set(names))
        if unknown:
            raise HilError(f"hil.gates: unknown gate {unknown[0]!r}; allowed: {', '.join(names)}")
        checked = {name: _threshold(name, value) for name, value in overrides.items()}
        return dataclasses.replace(self, **checked)


@dataclass(frozen=True)
class GateMeasure:
    """What a gate reads from the report, in which unit, and on which board kinds it means something."""

    unit: str
    key: str  # where in hil_report.json (said in the gate's message)
    boards: tuple[str, ...]
    why_not: str  # said when the board kind does not fit
    read: Callable[[HilReport], tuple[float | None, str]]
    absent: Callable[[HilReport], str | None] = lambda report: None  # why the gate does not apply to this report


def _device_accuracy_low(report: HilReport):
    entry = report.accuracy.device
    if not entry.total:
        return None, "no frame classified on the device"
    return entry.ci95[0], (f"95 % CI lower bound of on-device accuracy ({100 * entry.accuracy:.2f} % on "
                           f"{entry.total} frames; split: {entry.split})")


def _exact_rate(report: HilReport):
    exact = report.agreement.exact_match
    if not exact.total:
        return None, "no frame classified by both device and host"
    return exact.rate, f"device-vs-host exact-match rate ({exact.count}/{exact.total} frames)"


def _shown_agreement(report: HilReport):
    entry = report.agreement.shown
    return entry.rate, (f"label shown on the device vs the host's replay ({entry.count}/{entry.total} "
                        f"frames, {entry.sessions} sessions)")


def _no_device_labels(report: HilReport) -> str | None:
    if report.agreement.shown is None:
        return "no frame carries a label shown by the device (a firmware without the decision pipeline)"
    return None


def _shown(pick: Callable, bound: int, what: str):
    """A figure of what the user sees (``pick(section) -> Rate``), judged on one bound of its 95 % CI
    (0: lower, 1: upper)."""
    def read(report: HilReport):
        section = report.shown
        entry = pick(section) if section else None
        if not entry or not entry.total:
            return None, f"no {what} in the report (no scored frame, or a model without class scores)"
        spec = section.postprocessing
        return entry.ci95[bound], (f"95 % CI {('lower', 'upper')[bound]} bound of the {what} "
                                   f"({100 * entry.rate:.2f} % of {entry.total} frames; threshold "
                                   f"{spec.threshold:g}, filter {spec.filter_length})")
    return read


def _slowest(pick: Callable, scale: float, what: str, tolerant: bool = False):
    """The slowest inference in ``pick(latency block) -> Stats``."""
    def read(report: HilReport):
        block = report.latency.inference
        stats = pick(block) if block else None
        if not stats:
            return None, "no inference latency in the report"
        tolerance = block.us_tolerance if tolerant else None
        if tolerance:  # judged on the slowest the clock allows: a core running (tolerance) slow takes longer
            return (stats.max * scale / (1 - tolerance),
                    f"slowest inference of {stats.count} frames, {what}, / {1 - tolerance:g} for the clock's "
                    f"+-{100 * tolerance:g} %")
        return stats.max * scale, f"slowest inference of {stats.count} frames, {what}"
    return read


def _firmware(pick: Callable, what: str, source: str):
    def read(report: HilReport):
        value = pick(report.firmware) if report.firmware else None
        if value is None:
            return None, f"run_meta.json has no firmware.{source}"
        return value, f"firmware {what} (whole image)"
    return read


# board kinds a gate means something on; accuracy and agreement: every kind tofhil.board_parse knows
REAL, EMULATED, MCU = ("physical",), ("qemu",), ("physical", "qemu")
MEASURES = {
    "min_accuracy": GateMeasure("fraction", "accuracy.device.ci95", BOARD_KINDS, "", _device_accuracy_low),
    "min_exact_agreement": GateMeasure("fraction", "agreement.exact_match", BOARD_KINDS, "", _exact_rate),
    "min_shown_agreement": GateMeasure("fraction", "agreement.shown", BOARD_KINDS, "", _shown_agreement,
                                       _no_device_labels),
    "min_shown_accuracy": GateMeasure("fraction", "shown.shown_accuracy.ci95", BOARD_KINDS, "",
                                      _shown(lambda s: s.shown_accuracy, 0, "shown-label accuracy")),
    "max_no_posture_rate": GateMeasure("fraction", "shown.no_posture.ci95", BOARD_KINDS, "",
                                       _shown(lambda s: s.no_posture, 1,
                                              "'no posture' rate on frames holding a posture")),
    "max_latency_ms": GateMeasure("ms", "latency.inference.us", REAL,
                                  "time is measured on real boards only; the emulator counts instructions "
                                  "(use max_instructions), the host's wall time says nothing of a board",
                                  _slowest(lambda b: b.us, 1e-3, "DWT cycles / core clock", tolerant=True)),
    "max_instructions": GateMeasure("instructions", "latency.inference.stats", EMULATED,
                                    "instruction counts come from the emulator (QEMU -icount) only",
                                    _slowest(lambda b: b.stats, 1.0, "QEMU -icount instructions")),
    "max_flash_kib": GateMeasure("KiB", "firmware.flash_kib", MCU, "the host build is not a firmware image",
                                 _firmware(lambda f: f.flash_kib, "flash", "flash_bytes")),
    "max_ram_kib": GateMeasure("KiB", "firmware.ram_kib", MCU, "the host build is not a firmware image",
                               _firmware(lambda f: f.ram_kib, "ram", "ram_bytes")),
}


def gate_names() -> list[str]:
    return [f.name for f in dataclasses.fields(GateThresholds)]


def parse_gate_overrides(items: Iterable[str]) -> dict[str, float | None]:
    """Command-line ``name=value`` pairs (``min_accuracy=0.9``, ``max_latency_ms=null``)."""
    overrides = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip().removeprefix("hil.gates.")
        if not sep or name not in gate_names():
            raise HilError(f"gate override {item!r}: expected NAME=VALUE with NAME one of {', '.join(gate_names())}")
        overrides[name] = value.strip()
    return overrides


def evaluate_gates(report: HilReport, gates: GateThresholds, evidence_path=None) -> list[GateResult]:
    """One result per gate, in declaration order; ``evidence_path`` defaults to the report's hil_report.json."""
    evidence = str(evidence_path or Path(report.output_dir) / REPORT_FILE)
    results = []
    for name in gate_names():
        threshold = getattr(gates, name)
        measure = MEASURES[name]
        if threshold is None:
            results.append(GateResult(name, None, None, None, measure.unit, evidence, f"{name}: off", OFF))
            continue
        results.append(_judge(name, threshold, measure, report, evidence))
    return results


def failed_gates(results: Iterable[GateResult]) -> list[GateResult]:
    return [result for result in results if result.status == FAIL]


def _judge(name: str, threshold: float, measure, report: HilReport, evidence: str) -> GateResult:
    kind = report.board_kind or "?"
    if kind not in measure.boards:
        message = f"{name}: not applicable on a {kind} board ({measure.why_not})"
        return GateResult(name, None, None, threshold, measure.unit, evidence, message, NOT_APPLICABLE)
    absent = measure.absent(report)
    if absent:
        message = f"{name}: not applicable ({absent})"
        return GateResult(name, None, None, threshold, measure.unit, evidence, message, NOT_APPLICABLE)
    measured, what = measure.read(report)
    if measured is None:
        message = (f"{name}: FAILED: nothing to judge ({what}); threshold {threshold:g} {measure.unit}; "
                   f"evidence: {evidence} ({measure.key})")
        return GateResult(name, False, None, threshold, measure.unit, evidence, message, FAIL, _short(what))
    # bool(): a numpy comparison's bool_ was written as the text "True" in schema 1
    passed = bool(measured >= threshold if name.startswith("min_") else measured <= threshold)
    relation = (">=" if passed else "<") if name.startswith("min_") else ("<=" if passed else ">")
    verdict = "passed" if passed else "FAILED"
    message = (f"{name}: {verdict}: {what} = {measured:.6g} {measure.unit} {relation} threshold {threshold:g} "
               f"{measure.unit}; evidence: {evidence} ({measure.key})")
    return GateResult(name, passed, measured, threshold, measure.unit, evidence, message, PASS if passed else FAIL,
                      _short(what))


def _short(what: str) -> str:
    """What a gate measured, for the gates table: up to the first ``;`` (the split's long name and the
    postprocessing settings stay in the message)."""
    head = what.split(";")[0]
    return head + ")" if head.count("(") > head.count(")") else head


def _threshold(name: str, value) -> float | None:
    if isinstance(value, str):
        if value.strip().lower() in NULL_WORDS:
            return None
        try:
            value = float(value)
        except ValueError:
            raise HilError(f"hil.gates.{name}: expected a number or null, got {value!r}") from None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise HilError(f"hil.gates.{name}: expected a number or null, got {value!r}")
    if name in FRACTION_GATES and not 0.0 <= value <= 1.0:
        raise HilError(f"hil.gates.{name}: expected a fraction in [0, 1] (0.9 for 90 %), got {value}")
    if name not in FRACTION_GATES and value <= 0:
        raise HilError(f"hil.gates.{name}: expected a number > 0, got {value}")
    return float(value)
