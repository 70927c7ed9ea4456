"""The NamedTuples and enums of ``stm32ai_dc.types`` the harness passes or reads, with the real names, field order
and defaults, in the shape of the client chosen by ``FAKE_STM32AI_CLIENT`` (read at import):

- ``46924c0`` (ST's client of March 2025): ``BenchmarkResult.rom_size`` is the weights and ``ram_size`` the
  activations; the library is in ``estimated_library_*``;
- ``f971224`` (default; ST's client since release 3.2.0): ``BenchmarkResult`` also has ``weights`` and
  ``activations_size``, and its ``rom_size``/``ram_size`` are totals that include the library;
  ``ValidateResultMetrics`` has ``cos``.

tests/fakes/stm32ai_dc_contract.json describes both; tests/hil_unit/test_st_fake_contract.py checks this module
against it. CliParameters and AtonParameters keep only the fields the harness may set (same names and defaults).
"""
import os
import typing
from enum import Enum
from typing import Optional

CLIENTS = ("46924c0", "f971224")
CLIENT = os.environ.get("FAKE_STM32AI_CLIENT", "f971224")
if CLIENT not in CLIENTS:
    raise ImportError(f"FAKE_STM32AI_CLIENT={CLIENT!r}: expected one of {', '.join(CLIENTS)}")
NEWER = CLIENT == "f971224"


class CliParameterType(str, Enum):
    KERAS = "keras"
    TFLITE = "tflite"
    ONNX = "onnx"


class CliParameterCompression(str, Enum):
    NONE = "none"
    LOSSLESS = "lossless"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class CliParameterVerbosity(int, Enum):
    NONE = 0
    NORMAL = 1
    HIGH = 2


class MpuEngine(str, Enum):
    CPU = "cpu"
    HW_ACCELERATOR = "hw_accelerator"


class BackendVersionType(str, Enum):
    STM32 = "stm32"
    STELLAR_E = "stellar-e"
    STM32MPU = "stm32mpu"
    ISPU = "ispu"


class CliLibrarySerie(str, Enum):
    STM32F4 = "STM32F4"
    STM32H7 = "STM32H7"
    STM32N6 = "STM32N6"


class CliLibraryIde(str, Enum):
    GCC = "gcc"
    IAR = "iar"
    KEIL = "keil"


class AtonParameters(typing.NamedTuple):
    """Neural-ART compiler options (the real one has about a hundred; all default to None)."""
    name: Optional[str] = None
    enable_epoch_controller: Optional[bool] = None
    target: Optional[str] = None


class AtonParametersSchema:
    """The real one is a marshmallow schema; the harness never calls it."""

    def dump(self, options):
        return None if options is None else {k: v for k, v in options._asdict().items() if v is not None}


class CliParameters(typing.NamedTuple):
    model: str
    verbosity: CliParameterVerbosity = CliParameterVerbosity.NORMAL
    type: Optional[CliParameterType] = None
    name: Optional[str] = None
    compression: Optional[CliParameterCompression] = None
    allocateInputs: bool = True
    allocateOutputs: bool = True
    target: Optional[str] = None
    series: str = "stm32f4"
    optimization: Optional[str] = None
    output: str = "output"
    stNeuralArt: Optional[str] = None
    atonnOptions: Optional[AtonParameters] = None
    fromModel: Optional[str] = None


class MpuParameters(typing.NamedTuple):
    model: str
    engine: MpuEngine = MpuEngine.CPU
    nbCores: int = 1


if NEWER:
    class ValidateResultMetrics(typing.NamedTuple):
        accuracy: str
        description: str
        l2r: float
        mae: float
        mean: float
        rmse: float
        std: float
        ts_name: str
        cos: str
else:
    class ValidateResultMetrics(typing.NamedTuple):
        accuracy: str
        description: str
        l2r: float
        mae: float
        mean: float
        rmse: float
        std: float
        ts_name: str


class AnalyzeResult(typing.NamedTuple):
    activations_size: int
    weights: int
    macc: int
    rom_size: int
    total_ram_io_size: int
    ram_size: int
    report: dict
    graph: dict
    info: dict
    date_time: str
    cli_version_str: str
    cli_parameters: str
    estimated_library_flash_size: int
    estimated_library_ram_size: int


_BENCHMARK_FIELDS = [
    ("macc", int), ("rom_size", int), ("total_ram_io_size", int), ("ram_size", int), ("date_time", str),
    ("cli_version_str", str), ("cli_parameters", str), ("report", Optional[dict]),
    ("validation_metrics", typing.List[ValidateResultMetrics]), ("validation_error", float),
    ("validation_error_description", str), ("graph", Optional[dict]), ("info", Optional[dict]), ("cycles", int),
    ("duration_ms", int), ("device", str), ("cycles_by_macc", int), ("estimated_library_flash_size", int),
    ("estimated_library_ram_size", int), ("use_external_ram", bool), ("use_external_flash", bool),
    ("internal_ram_consumption", int), ("external_ram_consumption", int), ("internal_flash_consumption", int),
    ("external_flash_consumption", int)]
# the newer client puts the two new fields first
BenchmarkResult = typing.NamedTuple("BenchmarkResult", ([("activations_size", int), ("weights", int)] if NEWER
                                                        else []) + _BENCHMARK_FIELDS)
BenchmarkResult.__module__ = __name__


class MpuBenchmarkResult(typing.NamedTuple):
    rom_size: int
    ram_size: int
    date_time: str
    cli_version_str: str
    info: Optional[dict]
    duration_ms: int
    npu_percent: int
    cpu_percent: int
    gpu_percent: int
    device: str


class BoardData(typing.NamedTuple):
    name: str
    boardCount: int
    flashSize: str
    deviceCpu: str
    deviceId: str


class Stm32AiBackend:
    """The interface every backend implements (the real one raises NotImplementedError by default)."""

    def analyze(self, options: CliParameters) -> AnalyzeResult:
        raise NotImplementedError("Analyze not implemented on this backend")

    def benchmark(self, options: CliParameters, board_name: str, timeout: int):
        raise NotImplementedError("Benchmark not implemented on this backend")

    def get_benchmark_boards(self) -> typing.List[BoardData]:
        raise NotImplementedError("Get benchmark boards not implemented on this backend")
