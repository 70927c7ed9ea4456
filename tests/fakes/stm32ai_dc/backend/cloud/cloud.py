"""A fake ``CloudBackend``: logs in, lists a board farm, stores uploads, and answers analyze/benchmark with
canned figures shaped as the real client returns them. No network.

``FAKE_STM32AI_SCENARIO`` (read at every call) picks a behaviour:
  ok                   everything works
  bad-login            the constructor raises InvalidCrendetialsException (wrong MyST password)
  network-down         the constructor raises requests' ConnectionError (the real one fetches versions first)
  no-f401              the farm has no NUCLEO-F401RE
  upload-refused       upload_model returns False (the real client prints and returns False)
  quota                benchmark raises BenchmarkParameterError carrying the server's quota message
  hang-benchmark       benchmark blocks for FAKE_STM32AI_HANG_S seconds (default 30)
  client-timeout       benchmark waits its ``timeout`` and then fails on the None poll result, as the real one does
  malformed-benchmark  benchmark raises KeyError('graphs') (the server's reply lacks the graph section)
  missing-cycles       benchmark returns cycles=-1, duration_ms=-1 (no exec_time in the reply)
  wrong-type           benchmark returns a plain dict instead of a BenchmarkResult
Every call is appended to ``CALLS`` as (method, arguments).
"""
import os
import time

from ...errors import (BenchmarkParameterError, InvalidCrendetialsException, LoginFailureException,
                       ModelNotFoundError, ParameterError, WrongTypeError)
from ...types import (AnalyzeResult, BenchmarkResult, BoardData, CliParameters, Stm32AiBackend,
                      ValidateResultMetrics)

CALLS = []
CORE_HZ = 84_000_000
# canned figures per model kind, of the size ST reports for CNN2D_ST_HandPosture on an F401 (fake numbers)
FIGURES = {
    "float": {"weights": 11_008, "activations": 1_096, "kernel_flash": 14_715, "kernel_ram": 2_130,
              "macc": 8_134, "cycles": 129_360, "acc": "n.a.", "l2r": 1.2e-7},
    "int8": {"weights": 3_232, "activations": 736, "kernel_flash": 12_980, "kernel_ram": 1_580,
             "macc": 8_134, "cycles": 63_000, "acc": "n.a.", "l2r": 0.0071},
}
FARM = [("NUCLEO-F401RE", "512KB", "Arm Cortex-M4", "0x433"), ("STM32H747I-DISCO", "2MB", "Arm Cortex-M7", "0x450"),
        ("B-U585I-IOT02A", "2MB", "Arm Cortex-M33", "0x482")]


def scenario() -> str:
    return os.environ.get("FAKE_STM32AI_SCENARIO", "ok")


def _connection_error(message):
    try:
        import requests
        return requests.exceptions.ConnectionError(message)
    except ImportError:
        return ConnectionError(message)


def _kind(model_name: str) -> str:
    return "int8" if model_name.endswith(".tflite") else "float"


class CloudBackend(Stm32AiBackend):
    def __init__(self, username, password, version=None, platform="stm32") -> None:
        CALLS.append(("CloudBackend", {"username": username, "version": version}))
        if scenario() == "network-down":
            raise _connection_error("HTTPSConnectionPool(host='stm32ai-cs.st.com', port=443): Max retries exceeded")
        if scenario() == "bad-login":
            raise InvalidCrendetialsException()
        if not username and not os.environ.get("FAKE_STM32AI_STORED_TOKEN"):
            raise LoginFailureException(username, password, details="Empty login or stored token invalid.")
        self.version = version or "10.2.0"
        self.models = []

    def get_benchmark_boards(self):
        CALLS.append(("get_benchmark_boards", {}))
        farm = [b for b in FARM if not (scenario() == "no-f401" and b[0] == "NUCLEO-F401RE")]
        return [BoardData(name=n, boardCount=2, flashSize=f, deviceCpu=c, deviceId=i) for n, f, c, i in farm]

    def list_models(self):
        return [{"name": name} for name in self.models]

    def upload_model(self, model_path: str):
        CALLS.append(("upload_model", {"path": model_path}))
        if scenario() == "upload-refused":
            return False
        self.models.append(os.path.basename(model_path))
        return True

    def delete_model(self, model_name: str):
        CALLS.append(("delete_model", {"name": model_name}))
        self.models.remove(model_name)
        return True

    def _check(self, options):
        if type(options) is not CliParameters:
            raise WrongTypeError(options, CliParameters)
        if options.model not in self.models:
            raise ModelNotFoundError(f"model: {options.model} not found locally or on cloud")

    def analyze(self, options):
        CALLS.append(("analyze", {"model": options.model, "series": options.series}))
        self._check(options)
        f = FIGURES[_kind(options.model)]
        info = {"memory_footprint": {"weights": f["weights"], "activations": f["activations"], "io": [0, 0],
                                     "kernel_flash": f["kernel_flash"], "kernel_ram": f["kernel_ram"],
                                     "series": options.series}}
        return AnalyzeResult(
            activations_size=f["activations"], weights=f["weights"], macc=f["macc"],
            rom_size=f["weights"] + f["kernel_flash"], total_ram_io_size=0,
            ram_size=f["activations"] + f["kernel_ram"], report={}, graph={}, info=info,
            date_time="2026-11-28T10:00:00", cli_version_str=self.version, cli_parameters=f"analyze -m {options.model}",
            estimated_library_flash_size=f["kernel_flash"], estimated_library_ram_size=f["kernel_ram"])

    def benchmark(self, options, board_name: str, timeout: int):
        CALLS.append(("benchmark", {"model": options.model, "board": board_name, "timeout": timeout}))
        if options.model not in self.models:
            raise ParameterError("options.model should be a file name that is already uploaded on the cloud")
        return self._benchmark_reply(options, board_name, timeout)

    def _benchmark_reply(self, options, board_name, timeout):
        case = scenario()
        if case == "quota":
            raise BenchmarkParameterError(board_name, "Wrong parameter: {'errors': 'Monthly benchmark quota "
                                                      "exceeded for this account'}")
        if case == "hang-benchmark":
            time.sleep(float(os.environ.get("FAKE_STM32AI_HANG_S", "30")))
        if case == "client-timeout":
            time.sleep(timeout)
            None.get("benchmark")  # exactly what the real client does after its wait loop returns None
        if case == "malformed-benchmark":
            raise KeyError("graphs")
        if case == "wrong-type":
            return {"cycles": 1}
        return self._result(options, board_name, missing_exec_time=case == "missing-cycles")

    def _result(self, options, board_name, missing_exec_time=False):
        f = FIGURES[_kind(options.model)]
        cycles = -1 if missing_exec_time else f["cycles"]
        duration = -1 if missing_exec_time else round(f["cycles"] / CORE_HZ * 1000, 3)
        metric = ValidateResultMetrics(accuracy=f["acc"], description="X-cross #1", l2r=f["l2r"], mae=1e-4,
                                       mean=0.0, rmse=2e-4, std=2e-4, ts_name="output")
        return BenchmarkResult(
            macc=f["macc"], rom_size=f["weights"], total_ram_io_size=0, ram_size=f["activations"],
            date_time="2026-11-28T10:00:00", cli_version_str=self.version,
            cli_parameters=f"validate -m {options.model}", report={}, validation_metrics=[metric],
            validation_error=f["l2r"], validation_error_description="x-cross (l2r) #1", graph={}, info={},
            cycles=cycles, duration_ms=duration, device=f"{board_name} @84MHz", cycles_by_macc=-1 if
            missing_exec_time else cycles // f["macc"], estimated_library_flash_size=f["kernel_flash"],
            estimated_library_ram_size=f["kernel_ram"], use_external_ram=False, use_external_flash=False,
            internal_ram_consumption=f["activations"], external_ram_consumption=0,
            internal_flash_consumption=0, external_flash_consumption=0)
