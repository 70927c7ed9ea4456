"""The NamedTuples of ``stm32ai_dc.types`` the harness passes or reads, with the real field names and order.

CliParameters keeps the common and analyze/benchmark fields (the real one also has generate/validate/Neural-ART
options the harness never sets). BenchmarkResult's ``rom_size`` is the weights and ``ram_size`` the
activations, while AnalyzeResult's ``rom_size``/``ram_size`` already include the runtime library: the real
client computes them that way.
"""
import typing
from enum import Enum
from typing import Optional


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
    fromModel: Optional[str] = None


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


class BenchmarkResult(typing.NamedTuple):
    macc: int
    rom_size: int
    total_ram_io_size: int
    ram_size: int
    date_time: str
    cli_version_str: str
    cli_parameters: str
    report: Optional[dict]
    validation_metrics: typing.List[ValidateResultMetrics]
    validation_error: float
    validation_error_description: str
    graph: Optional[dict]
    info: Optional[dict]
    cycles: int
    duration_ms: int
    device: str
    cycles_by_macc: int
    estimated_library_flash_size: int
    estimated_library_ram_size: int
    use_external_ram: bool
    use_external_flash: bool
    internal_ram_consumption: int
    external_ram_consumption: int
    internal_flash_consumption: int
    external_flash_consumption: int


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
