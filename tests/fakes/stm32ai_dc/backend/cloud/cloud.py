"""A fake ``CloudBackend``: logs in, lists a board farm, stores uploads, and answers analyze/benchmark.

Each answer is made in two steps, as in the real client: a reply shaped like the service's JSON (``info`` =
the tool's c-info report with ``memory_footprint``, ``graphs[0].nodes`` and ``exec_time``; optionally the legacy
``graph``), then the result NamedTuple the chosen client (``types.CLIENT``) builds from it. Which footprint keys
each result field adds up, per client, is in tests/fakes/stm32ai_dc_contract.json; the contract test checks it.

Figures (made up where ST publishes none): the float model has ST's published footprint of its hand-posture CNN
on an F401 (10.75 KiB weights + 14.37 KiB library, 1.07 KiB activations + 2.08 KiB library RAM); our int8 model
has 3,232 B weights, 736 B activations, a 12,980 B kernel and 600 B of toolchain code, 1,580 + 20 B library RAM:
16,812 B flash and 2,336 B RAM in total. The kernel/toolchain split of the float library is invented.

``FAKE_STM32AI_SCENARIO`` (read at every call) picks a behaviour:
  ok                   everything works
  bad-login            the constructor raises InvalidCrendetialsException (wrong MyST password)
  network-down         the constructor raises requests' ConnectionError (the real one fetches versions first)
  no-f401              the farm has no NUCLEO-F401RE
  upload-refused       upload_model returns False (the real client prints and returns False)
  delete-refused       delete_model returns False (same)
  quota                benchmark raises BenchmarkParameterError carrying the server's refusal (a quota message)
  hang-benchmark       benchmark blocks for FAKE_STM32AI_HANG_S seconds (default 30)
  client-timeout       benchmark waits its ``timeout`` and then fails on the None poll result, as the real one does
  malformed-benchmark  benchmark raises KeyError('graphs') (the server's reply lacks the graph section)
  missing-cycles       benchmark returns cycles=-1, duration_ms=-1 (no exec_time in the reply)
  wrong-type           benchmark returns a plain dict instead of a BenchmarkResult
  graphless-analyze    the analyze reply has ``info`` but no legacy ``graph`` (the older client then says MACC 0)
  analyze-quota        the service refuses the analyze (HTTP 429): the client prints its text, its trigger returns
                       None, and analyze fails on None (``'message' in result``: TypeError), as the real one does
  analyze-error-state  the analyze run ends in ST's ``error`` state with the server's message: the older client
                       raises AnalyzeServerError('Missing data in server response'), the newer one fails on the
                       missing report (TypeError); neither carries the message
  upload-raises        upload_model stores the file, then fails on the reply (requests' JSONDecodeError)
``FAKE_STM32AI_STORED_TOKEN``: unset (no stored token: LoginFailureException without credentials), ``1`` (a
valid one), ``expired`` (the refresh fails: the real client raises TypeError from inside its token code),
``refresh-not-json`` (the refresh reply is not JSON: requests' JSONDecodeError from ``resp.json()``) or
``rejected`` (not expired by its date, but the service answers 401: the board list logs the code on the
``STM32AI_API`` logger and the client fails on None, AttributeError).
Every call is appended to ``CALLS`` as (method, arguments).
"""
import logging
import os
import time

from ...errors import (AnalyzeServerError, BenchmarkParameterError, InvalidCrendetialsException, LoginFailureException,
                       ModelNotFoundError, ParameterError, WrongTypeError)
from ...types import (NEWER, AnalyzeResult, BackendVersionType, BenchmarkResult, BoardData, CliParameters,
                      MpuParameters, Stm32AiBackend, ValidateResultMetrics)

CALLS = []
CORE_HZ = 84_000_000
FOOTPRINTS = {
    "float": {"weights": 11_008, "activations": 1_096, "io": [0, 0], "kernel_flash": 14_115, "toolchain_flash": 600,
              "kernel_ram": 2_110, "toolchain_ram": 20, "series": "stm32f4"},
    "int8": {"weights": 3_232, "activations": 736, "io": [0, 0], "kernel_flash": 12_980, "toolchain_flash": 600,
             "kernel_ram": 1_580, "toolchain_ram": 20, "series": "stm32f4"},
}
NODE_MACC = [3_456, 4_096, 520, 62]  # 8,134 MACC in all
CYCLES = {"float": 129_360, "int8": 63_000}
L2R = {"float": 1.2e-7, "int8": 0.0071}
FARM = [("NUCLEO-F401RE", "512KB", "Arm Cortex-M4", "0x433"), ("STM32H747I-DISCO", "2MB", "Arm Cortex-M7", "0x450"),
        ("B-U585I-IOT02A", "2MB", "Arm Cortex-M33", "0x482"), ("STM32N6570-DK", "0KB", "Arm Cortex-M55", "0x486"),
        ("STM32MP257F-EV1", "0KB", "Arm Cortex-A35", "0x505")]
# the service's version list (made-up numbers): its own 'version' and each platform's numbering
SUPPORTED_VERSIONS = [{"version": "2.1.0", "platform": {"stm32": "10.1.0"}},
                      {"version": "2.2.0", "platform": {"stm32": "10.2.0"}, "isLatest": True}]
QUOTA_REFUSAL = "Monthly benchmark quota exceeded for this account"
ANALYZE_REFUSAL = "Daily analyze quota exceeded for this account"  # made up, like QUOTA_REFUSAL
RUN_ERROR = "E010(InvalidModelError): Unsupported layer type: Lambda"  # made up: a run's error message
LOGGER = logging.getLogger("STM32AI_API")  # types.LOGGER_NAME of the real client


def scenario() -> str:
    return os.environ.get("FAKE_STM32AI_SCENARIO", "ok")


def _json_error():
    """What ``requests.Response.json()`` raises on a reply that is not JSON (an OSError and a ValueError)."""
    try:
        import requests
        return requests.exceptions.JSONDecodeError("Expecting value", "<html>", 0)
    except ImportError:
        import json
        return json.JSONDecodeError("Expecting value", "<html>", 0)


def _connection_error(message):
    try:
        import requests
        return requests.exceptions.ConnectionError(message)
    except ImportError:
        return ConnectionError(message)


def _kind(model_name: str) -> str:
    return "int8" if model_name.endswith(".tflite") else "float"


def resolve_version(requested):
    """The version the client ends up using: the older client matches the platform's numbering (or the entry's
    own), the newer one the entry's own only; no match prints a warning and takes the latest."""
    for entry in SUPPORTED_VERSIONS:
        key = entry["version"] if NEWER else entry.get("platform", {}).get("stm32", entry["version"])
        if key == requested:
            return entry["version"]
    print(f"[WARN] Version {requested} for platform stm32 is not supported by Developer Cloud.")
    return next(e["version"] for e in SUPPORTED_VERSIONS if e.get("isLatest"))


# ---- the service's replies --------------------------------------------------------------------------------------

def c_info(kind: str, footprint: dict, version: str, model: str, exec_time: dict | None = None) -> dict:
    """The tool's c-info report as the service returns it under ``info``."""
    graph = {"nodes": [{"name": f"node_{i}", "macc": macc} for i, macc in enumerate(NODE_MACC)]}
    if exec_time is not None:
        graph["exec_time"] = exec_time
    return {"environment": {"generated_model": {"generated_time": "2026-11-28T10:00:00"},
                            "tools": [{"version": version, "arguments": f"analyze -m {model}"}],
                            "device": "NUCLEO-F401RE @84MHz"},
            "graphs": [graph], "memory_footprint": dict(footprint), "buffers": [], "memory_pools": [],
            "validation": {"val_metrics": [{"acc": "n.a.", "desc": "X-cross #1", "l2r": L2R[kind], "mae": 1e-4,
                                            "mean": 0.0, "rmse": 2e-4, "std": 2e-4, "ts_name": "output",
                                            "cos": "1.0"}],
                           "val_error": L2R[kind], "val_error_desc": "x-cross (l2r) #1"}}


def analyze_reply(kind: str, version: str, model: str, with_graph: bool = True, footprint: dict | None = None):
    footprint = footprint or FOOTPRINTS[kind]
    reply = {"report": {}, "info": c_info(kind, footprint, version, model)}
    if with_graph:  # the legacy graph report: same footprint, MACC as a single figure
        reply["graph"] = {"memory_footprint": dict(footprint), "macc": sum(NODE_MACC)}
    return reply


def benchmark_reply(kind: str, version: str, model: str, board: str, missing_exec_time=False, footprint=None):
    cycles = CYCLES[kind]
    exec_time = {} if missing_exec_time else {"cycles": cycles, "duration_ms": round(cycles / CORE_HZ * 1000, 3),
                                               "cycles_by_macc": cycles // sum(NODE_MACC)}
    info = c_info(kind, footprint or FOOTPRINTS[kind], version, model, exec_time)
    info["environment"]["device"] = f"{board} @84MHz"
    return {"state": "done", "benchmark": {"info": info, "report": {}, "graph": {}}, "memoryMapping": None}


# ---- what the client builds from them ----------------------------------------------------------------------------

def _add(footprint: dict, *keys) -> int:
    total = 0
    for key in keys:
        value = footprint.get(key, 0)
        total += sum(value) if isinstance(value, list) else int(value or 0)
    return total


def _library_ram(footprint: dict) -> int:
    """kernel RAM plus the toolchain's, or the 'extra' RAM when the reply has no toolchain figure."""
    return _add(footprint, "kernel_ram") + footprint.get("toolchain_ram", footprint.get("extra_ram", 0))


def analyze_result(reply: dict) -> AnalyzeResult:
    info, graph = reply.get("info"), reply.get("graph")
    footprint = graph.get("memory_footprint", {}) if graph else info.get("memory_footprint", {})
    node_sum = sum(node["macc"] for node in info["graphs"][0]["nodes"]) if info else None
    if NEWER and node_sum is not None:
        macc = node_sum
    else:
        macc = graph["macc"] if graph else 0
    tool = info["environment"]["tools"][0]
    return AnalyzeResult(
        activations_size=_add(footprint, "activations"), weights=_add(footprint, "weights"), macc=macc,
        rom_size=_add(footprint, "weights", "kernel_flash", "toolchain_flash"),
        ram_size=_add(footprint, "activations", "io") + _library_ram(footprint),
        total_ram_io_size=_add(footprint, "io"), report=reply.get("report"), graph=graph, info=info,
        date_time=info["environment"]["generated_model"]["generated_time"], cli_version_str=tool["version"],
        cli_parameters=tool["arguments"], estimated_library_flash_size=footprint.get("kernel_flash", -1),
        estimated_library_ram_size=footprint.get("kernel_ram", -1))


def benchmark_result(reply: dict) -> BenchmarkResult:
    info = reply["benchmark"]["info"]
    graph = info["graphs"][0]
    footprint, exec_time = info.get("memory_footprint", {}), graph.get("exec_time", {})
    validation = info.get("validation", {})
    metrics = [ValidateResultMetrics(accuracy=m["acc"], description=m["desc"], l2r=m["l2r"], mae=m["mae"],
                                     mean=m["mean"], rmse=m["rmse"], std=m["std"], ts_name=m.get("ts_name", ""),
                                     **({"cos": m.get("cos", "")} if NEWER else {}))
               for m in validation.get("val_metrics", [])]
    if NEWER:
        sizes = {"activations_size": _add(footprint, "activations"), "weights": _add(footprint, "weights"),
                 "rom_size": _add(footprint, "weights", "kernel_flash", "toolchain_flash"),
                 "ram_size": _add(footprint, "activations", "io") + _library_ram(footprint)}
    else:
        sizes = {"rom_size": footprint["weights"], "ram_size": footprint["activations"]}
    tool = info["environment"]["tools"][0]
    return BenchmarkResult(
        **sizes, macc=sum(node["macc"] for node in graph["nodes"]), total_ram_io_size=_add(footprint, "io"),
        validation_metrics=metrics, validation_error=validation.get("val_error", ""),
        validation_error_description=validation.get("val_error_desc", ""),
        date_time=info["environment"]["generated_model"]["generated_time"], cli_version_str=tool["version"],
        cli_parameters=tool["arguments"], report=reply["benchmark"]["report"], graph=reply["benchmark"]["graph"],
        info=info, cycles=exec_time.get("cycles", -1), duration_ms=exec_time.get("duration_ms", -1),
        device=info["environment"].get("device", ""), cycles_by_macc=exec_time.get("cycles_by_macc", -1),
        estimated_library_flash_size=_add(footprint, "kernel_flash", "extra_flash", "toolchain_flash"),
        estimated_library_ram_size=_add(footprint, "kernel_ram", "extra_ram", "toolchain_ram"),
        use_external_ram=False, use_external_flash=False, internal_ram_consumption=0, external_ram_consumption=0,
        internal_flash_consumption=0, external_flash_consumption=0)


# ---- the backend -------------------------------------------------------------------------------------------------

class CloudBackend(Stm32AiBackend):
    if NEWER:  # the newer client has one more parameter
        def __init__(self, username, password, version=None, platform=BackendVersionType.STM32,
                     silent=False) -> None:
            self._log_in(username, password, version)
    else:
        def __init__(self, username, password, version=None, platform=BackendVersionType.STM32) -> None:
            self._log_in(username, password, version)

    def _log_in(self, username, password, version) -> None:
        CALLS.append(("CloudBackend", {"username": username, "version": version}))
        if scenario() == "network-down":
            raise _connection_error("HTTPSConnectionPool(host='stm32ai-cs.st.com', port=443): Max retries exceeded")
        self.version = resolve_version(version)
        if scenario() == "bad-login":
            raise InvalidCrendetialsException()
        if not username or not password:
            stored = os.environ.get("FAKE_STM32AI_STORED_TOKEN")
            if stored == "expired":  # the refresh returned None and the client indexes it
                raise TypeError("'NoneType' object is not subscriptable")
            if stored == "refresh-not-json":  # login_service.refresh: resp.json() of an HTML error page
                raise _json_error()
            self.token_rejected = stored == "rejected"
            if not stored:
                raise LoginFailureException(username, password, details="Empty login or stored token invalid.")
        self.models = []
        self.stm32ai_service = Stm32AiService(self)

    def get_benchmark_boards(self):
        CALLS.append(("get_benchmark_boards", {}))
        if getattr(self, "token_rejected", False):  # benchmark_service.list_boards logs and returns None
            LOGGER.error("Error: server response code is: 401")
            None.keys()
        farm = [b for b in FARM if not (scenario() == "no-f401" and b[0] == "NUCLEO-F401RE")]
        return [BoardData(name=n, boardCount=2, flashSize=f, deviceCpu=c, deviceId=i) for n, f, c, i in farm]

    def list_models(self):
        return [{"name": name} for name in self.models]

    def upload_model(self, model_path: str):
        CALLS.append(("upload_model", {"path": model_path}))
        if scenario() == "upload-refused":
            return False
        self.models.append(os.path.basename(model_path))
        if scenario() == "upload-raises":
            raise _json_error()
        return True

    def delete_model(self, model_name: str):
        CALLS.append(("delete_model", {"name": model_name}))
        if scenario() == "delete-refused":
            return False
        self.models.remove(model_name)
        return True

    def analyze(self, options):
        if type(options) is not CliParameters:
            raise WrongTypeError(options, CliParameters)
        CALLS.append(("analyze", {"model": options.model, "series": options.series, "target": options.target,
                                  "stNeuralArt": options.stNeuralArt}))
        if options.model not in self.models:
            raise ModelNotFoundError(f"model: {options.model} not found locally or on cloud")
        result = self.stm32ai_service.wait_for_run(self.stm32ai_service.trigger_analyze(options))
        if result is None:
            raise TypeError("argument of type 'NoneType' is not iterable")  # both clients: 'message' in None
        if result.get("report") is None:
            if not NEWER:
                raise AnalyzeServerError("Missing data in server response")
            raise TypeError("'NoneType' object is not subscriptable")  # report['date_time'] with no report
        return analyze_result(result)

    def benchmark(self, options, board_name: str, timeout: int):
        CALLS.append(("benchmark", {"model": options.model, "board": board_name, "timeout": timeout,
                                    "options": options}))
        if options.model not in self.models:
            raise ParameterError("options.model should be a file name that is already uploaded on the cloud")
        if not isinstance(options, (CliParameters, MpuParameters)):
            raise WrongTypeError(options, "CliParameters or MpuParameters")
        return self._benchmark_reply(options, board_name, timeout)

    def _benchmark_reply(self, options, board_name, timeout):
        case = scenario()
        if case == "quota":  # the service answers non-200 with 'errors'; the client wraps them like this
            raise BenchmarkParameterError(board_name, f"Wrong parameter{' ' * 24}: {QUOTA_REFUSAL}")
        if case == "hang-benchmark":
            time.sleep(float(os.environ.get("FAKE_STM32AI_HANG_S", "30")))
        if case == "client-timeout":
            time.sleep(timeout)
            None.get("benchmark")  # exactly what the real client does after its wait loop returns None
        if case == "malformed-benchmark":
            raise KeyError("graphs")
        if case == "wrong-type":
            return {"cycles": 1}
        reply = benchmark_reply(_kind(options.model), self.version, options.model, board_name,
                                missing_exec_time=case == "missing-cycles")
        return benchmark_result(reply)


class Stm32AiService:
    """The analyze half of the real client (backend/cloud/stm32ai_service.py): a trigger that prints the server's
    refusal and returns None, and a wait loop that returns the run's result, or the whole reply of a run in the
    ``error`` state."""

    def __init__(self, backend):
        self.backend, self.options = backend, None

    def trigger_analyze(self, options):
        if scenario() == "analyze-quota":
            print(f"Error server reply with 429 HTTP code: 'Too Many Requests', '{{\"errors\": \"{ANALYZE_REFUSAL}\"}}'")
            return None
        self.options = options
        return "runtime-1"

    def wait_for_run(self, runtime_id, timeout=300, pooling_delay=2):
        if not runtime_id:
            return None
        if scenario() == "analyze-error-state":
            return {"state": "error", "message": RUN_ERROR}
        model = self.options.model
        return analyze_reply(_kind(model), self.backend.version, model, with_graph=scenario() != "graphless-analyze")
