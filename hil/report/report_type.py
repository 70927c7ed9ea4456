"""The HIL report as one typed object: :class:`HilReport` and its sections.

Every field is named as its key in ``hil_report.json`` (a key that is no Python name, ``class``, says so in its
field's ``metadata``), so the file stays what users' scripts read; :mod:`hil.report.report_file` is the one
module that turns the object into that file and back. Readers use attributes only (``tests/test_report_keys.py``
fails on a string key read anywhere else).

A new section: its dataclass here, a field of :class:`HilReport` (with a default of ``None`` when files written
before it have no such key), its builder in ``hil/report/metrics.py`` ``build_report``; a field that only some
rows carry gets ``OMIT_IF_NONE``, so the file holds the key only when the builder wrote it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

# field metadata: "key" = the JSON key when it is no Python name; OMIT_IF_NONE: the key is written only when set
OMIT_IF_NONE = {"omit_if_none": True}
Interval = Optional[list[float]]  # a 95 % interval [low, high]; None for no frames


def json_key(name: str) -> dict:
    return {"key": name}


# --- shared shapes ---------------------------------------------------------------------------------------------
@dataclass
class AccuracyEntry:
    """An accuracy with its Wilson interval and the name of the split it was measured on."""

    split: str
    correct: int
    total: int
    accuracy: Optional[float]
    ci95: Interval
    ci_method: str


@dataclass
class Rate:
    """count of total, with its Wilson interval."""

    count: int
    total: int
    rate: Optional[float]
    ci95: Interval


@dataclass
class Stats:
    """Summary statistics of one latency sample (population std, linear-interpolated percentiles)."""

    count: int
    mean: float
    min: float
    max: float
    std: float
    p50: float
    p95: float
    p99: float


# --- frames, accuracy, agreement ---------------------------------------------------------------------------
@dataclass
class FrameCounts:
    expected: int
    received: int
    complete: bool
    device_ok: int
    device_rejected: int
    host_kept: int
    compared: int
    retried: int
    truncated_lines_ignored: int


@dataclass
class AccuracySection:
    device: AccuracyEntry
    host_int8: AccuracyEntry
    host_float: AccuracyEntry

    def sides(self) -> list[tuple[str, AccuracyEntry]]:
        """(JSON key, entry) in the file's order: device, host_int8, host_float."""
        return [("device", self.device), ("host_int8", self.host_int8), ("host_float", self.host_float)]


@dataclass
class ClassMismatch:
    index: int
    file: str
    frame: int
    user: Optional[str]
    session: Optional[str]
    label: str
    device_class: str
    host_class: str
    device_output: list[int]
    host_output: list[int]


@dataclass
class OutputMismatch:
    index: int
    file: str
    frame: int
    user: Optional[str]
    session: Optional[str]
    max_abs_diff: int


@dataclass
class ClassMismatches:
    count: int
    frames: list[ClassMismatch]  # the first ``list_limit``


@dataclass
class OutputMismatches:
    count: int
    frames: list[OutputMismatch]


@dataclass
class ShownMismatch:
    """A frame whose label shown on the device is not the host replay's (``hil/report/shown_agreement.py``)."""

    index: int
    session: str
    step: Optional[int]
    file: str
    frame: int
    device_shown: int
    host_shown: int
    device_output: list[int]


@dataclass
class ShownAgreement:
    """The label shown on the device against the host's replay of the same pipeline, frame by frame."""

    count: int
    total: int
    rate: Optional[float]
    ci95: Interval
    mismatches: list[ShownMismatch]  # the first SHOWN_MISMATCHES_KEPT
    sessions: int


@dataclass
class AgreementSection:
    frames: int
    exact_match: Rate
    top1: Rate
    class_mismatches: ClassMismatches
    output_mismatches: OutputMismatches
    shown: Optional[ShownAgreement] = None  # None: no frame carries the device's label (or a schema-1 file)


# --- per class, per user / session ------------------------------------------------------------------------
@dataclass
class ClassEntry:
    precision: Optional[float]
    recall: Optional[float]
    f1: Optional[float]
    support: int
    note: Optional[str] = field(default=None, metadata=OMIT_IF_NONE)  # "no samples"


@dataclass
class MacroAverages:
    precision: Optional[float]
    recall: Optional[float]
    f1: Optional[float]


@dataclass
class Classification:
    accuracy: Optional[float]
    accuracy_ci95: Interval
    samples: int
    per_class: dict[str, ClassEntry]  # by class name
    macro: MacroAverages
    class_names: list[str]
    confusion_matrix: list[list[int]]
    no_samples: list[str]


@dataclass
class ClassificationSection:
    device: Classification
    host_int8: Classification


@dataclass
class UserGroup:
    user: str
    frames: int
    device: AccuracyEntry
    host_int8: AccuracyEntry

    @property
    def name(self) -> str:
        return self.user


@dataclass
class SessionGroup:
    session: str
    frames: int
    device: AccuracyEntry
    host_int8: AccuracyEntry

    @property
    def name(self) -> str:
        return self.session


@dataclass
class Breakdowns:
    """Per user and per session, each only when the received frames span more than one."""

    user: Optional[list[UserGroup]] = field(default=None, metadata=OMIT_IF_NONE)
    session: Optional[list[SessionGroup]] = field(default=None, metadata=OMIT_IF_NONE)

    def tables(self) -> list[tuple[str, list]]:
        return [(key, groups) for key, groups in (("user", self.user), ("session", self.session))
                if groups is not None]


# --- ST's validate metrics, raw mode ----------------------------------------------------------------------
@dataclass
class StedgeaiRow:
    row: str
    frames: int
    acc: Optional[float]
    rmse: Optional[float]
    mae: Optional[float]
    l2r: Optional[float]
    cos: Optional[float]


@dataclass
class PreprocessingMismatch:
    index: int
    file: str
    frame: int
    differing_elements: int
    first_element: int
    max_abs_diff: int


@dataclass
class PreprocessingMismatches:
    compared: int
    count: int
    no_echo: int
    frames: list[PreprocessingMismatch]


@dataclass
class FrameRef:
    index: int
    file: str
    frame: int


@dataclass
class FrameList:
    count: int
    frames: list[FrameRef]


@dataclass
class FilterDisagreement:
    device_rejected_host_kept: FrameList
    device_kept_host_rejected: FrameList


@dataclass
class RawModeSection:
    preprocessing_mismatches: PreprocessingMismatches
    filter: FilterDisagreement


# --- latency, link, firmware ------------------------------------------------------------------------------
@dataclass
class LatencyBlock:
    unit: str
    label: str
    timer_kind: int
    timer_hz: Optional[float]
    core_clock_hz: Optional[float]
    stats: Optional[Stats]
    us: Optional[Stats]
    us_tolerance: Optional[float]
    us_tolerance_note: Optional[str]


@dataclass
class LatencySection:
    inference: Optional[LatencyBlock]
    preprocessing: Optional[LatencyBlock]

    def stages(self) -> list[tuple[str, Optional[LatencyBlock]]]:
        return [("inference", self.inference), ("preprocessing", self.preprocessing)]


@dataclass
class InterruptsRemoved:
    ticks: int
    count: int
    unit: str
    removed: float
    per_inference: Optional[float]


@dataclass
class LinkSection:
    wall_seconds: Optional[float]
    frames: int
    bytes_sent: Optional[int]
    bytes_received: Optional[int]
    frames_per_s: Optional[float]
    bytes_per_s: Optional[float]
    recovery: Any  # run_meta.json's "link" as the client wrote it (retries, resyncs, resets, errors)
    injected_faults: Any  # what a faulty:// link injected, as it counted it


@dataclass
class FirmwareSection:
    flash_bytes: Optional[int]
    ram_bytes: Optional[int]
    flash_kib: Optional[float]
    ram_kib: Optional[float]
    stack_used_bytes: Optional[int]
    stack_size_bytes: Optional[int]
    device_stats: dict[str, Any]  # the board's STATS reply, field by field


# --- per layer, boards ------------------------------------------------------------------------------------
@dataclass
class LayerRow:
    layer: int
    opcode: str
    name: str
    shape: str
    frames: int
    exact_frames: int
    exact_rate: Optional[float]
    elements_differing_share: float
    max_abs_diff: float
    time_mean: Optional[float]
    time_p95: Optional[float]
    time_share: Optional[float]


@dataclass
class FirstDifference:
    layer: int
    opcode: str
    name: str
    shape: str
    frames_first_here: int
    frames_differing: int
    max_abs_diff: float
    elements_differing_share: float
    example_frame: int
    heat_map: Optional[list[list[int]]]


@dataclass
class PerLayerSection:
    frames: int
    frame_indices: list[int]
    unit: str
    unit_label: str
    layers: list[LayerRow]
    first_difference: Optional[FirstDifference]
    all_layers_exact: bool


@dataclass
class BoardRow:
    """One board of the run (a sharded run: one per shard)."""

    board: str
    frames: int
    device_ok: int
    accuracy: Optional[float]
    exact_match: Optional[float]
    latency_mean: Optional[float]
    latency_p50: Optional[float]
    frames_per_s: Optional[float]
    bytes_per_s: Optional[float]
    restarts: int
    given_back: int
    place: Optional[str]
    failure: Optional[str]


# --- what the user sees, the sweep, calibration -----------------------------------------------------------
@dataclass
class ShownPostprocessing:
    threshold: float
    filter_length: int
    keep_last_valid: bool
    no_posture_class: Optional[str]
    shown_when_nothing_passes: Optional[str]


@dataclass
class Spread:
    count: int
    median: float
    p90: float
    max: float


@dataclass
class TimeToLabel:
    segments: int
    never: int
    frames: Optional[Spread]
    ms: Optional[Spread]


@dataclass
class LabelChanges:
    changes: int
    minutes: Optional[float]
    per_minute: Optional[float]


@dataclass
class ShownClassRow:
    class_name: str = field(metadata=json_key("class"))
    per_frame_accuracy: Rate
    shown_accuracy: Rate
    no_posture: Rate
    above_threshold: Rate
    time_to_label: TimeToLabel
    label_changes: LabelChanges


@dataclass
class ShownSessionRow:
    session: str
    class_name: str = field(metadata=json_key("class"))
    per_frame_accuracy: Rate
    shown_accuracy: Rate
    no_posture: Rate
    above_threshold: Rate
    time_to_label: TimeToLabel
    label_changes: LabelChanges


@dataclass
class ShownSection:
    """The run's decision pipeline replayed over the device's outputs (``hil/report/shown.py``)."""

    postprocessing: ShownPostprocessing
    frames: int
    scored: int
    per_frame_accuracy: Rate
    shown_accuracy: Rate
    no_posture: Rate
    above_threshold: Rate
    time_to_label: TimeToLabel
    label_changes: LabelChanges
    per_class: list[ShownClassRow]
    per_session: list[ShownSessionRow]
    threshold_int8: int
    subsampled: bool


@dataclass
class SweepPoint:
    threshold: float
    filter_length: int
    shown_accuracy: Optional[float]
    no_posture: Optional[float]
    label_changes: int


@dataclass
class SweepSection:
    per_frame_accuracy: Optional[float]
    keep_last_valid: bool
    points: list[SweepPoint]


@dataclass
class CalibrationBin:
    low: float
    high: float
    frames: int
    confidence: Optional[float]
    accuracy: Optional[float]


@dataclass
class CalibrationSection:
    ece: Optional[float]
    frames: int
    mean_confidence: Optional[float] = field(default=None, metadata=OMIT_IF_NONE)  # absent without frames
    accuracy: Optional[float] = field(default=None, metadata=OMIT_IF_NONE)
    bins: list[CalibrationBin] = field(default_factory=list)


# --- gates ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GateResult:
    """One gate's verdict (``hil/report/gates.py`` judges; its message names the evidence)."""

    name: str
    passed: Optional[bool]  # None: off or not applicable, which is not a pass
    measured: Optional[float]
    threshold: Optional[float]
    unit: str
    evidence_path: str
    message: str
    status: str = "pass"  # pass | fail | not applicable | off
    judged_on: str = ""  # what ``measured`` is (a CI bound, not the figure itself, for the fraction gates)


# --- the report -------------------------------------------------------------------------------------------
@dataclass
class HilReport:
    """Everything one validation measured (``hil_report.json``); sections a run does not have are ``None``."""

    schema: int
    output_dir: str
    board: str
    board_kind: str
    mode: str
    split: str
    model_sha256: Optional[str]
    run_dir: Optional[str]
    class_names: list[str]
    frames: FrameCounts
    accuracy: AccuracySection
    agreement: AgreementSection
    classification: ClassificationSection
    breakdowns: Breakdowns
    stedgeai: list[StedgeaiRow]
    raw_mode: Optional[RawModeSection]  # raw mode only
    latency: LatencySection
    # files written before these sections were added (schema 1 grew by hand) lack their keys: None / empty
    interrupts_removed: Optional[InterruptsRemoved] = None
    link: Optional[LinkSection] = None
    firmware: Optional[FirmwareSection] = None
    per_layer: Optional[PerLayerSection] = None  # --per-layer only
    boards: list[BoardRow] = field(default_factory=list)
    shown: Optional[ShownSection] = None  # None for a model without class scores
    sweep: Optional[SweepSection] = None
    calibration: Optional[CalibrationSection] = None
    gates: Optional[list[GateResult]] = None  # None: no gate judged
