"""ST Edge AI Developer Cloud backend: analyze and benchmark the run's float model and our int8 model on
ST's board farm through ST's ``stm32ai_dc`` client (shipped in ST's model-zoo services, not on PyPI).

Every step (login, board list, upload, analyze, benchmark) runs under a hard time limit with a progress line,
and every figure is written to ``st_cloud_results.json`` as soon as it arrives; a failure raises one of the
:mod:`hil.st_benchmark.errors` classes naming the step, the fix, and that file.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hil.st_benchmark import cloud_failures, st_results
from hil.st_benchmark.client_watch import ClientWatch
from hil.st_benchmark.deadline import CallFailed, DeadlineExceeded, Progress, call_with_deadline
from hil.st_benchmark.errors import StCloudBoardError, StCloudLoginError, StCloudServiceError
from hil.st_benchmark.json_store import ResultsFile
from hil.st_benchmark.run_inputs import ModelFile, RunModels

DEFAULT_BOARD = "NUCLEO-F401RE"
ANALYZE_CLIENT_WAIT_S = 300  # the client's analyze waits at most this long (fixed in its wait_for_run), then fails
# ST's own model-zoo benchmark (common/benchmarking/common_benchmark.py) hands the client timeout=2500; the newer
# client's wait restarts its clock at each state of the run, so a farm run can legitimately take this long
ST_BENCHMARK_TIMEOUT_S = 2500.0
DELETE_TIMEOUT_S = 60.0
# ST's tutorial (tutorials/scripts/stm32ai_dc_examples/benchmark_model_with_cloud.py) benchmarks an STM32N6 board
# with these CliParameters (plus atonnOptions=AtonParameters()); STM32MP boards take MpuParameters instead
N6_PARAMETERS = {"target": "stm32n6", "stNeuralArt": "default"}
N6_ATON_OPTIONS = {"enable_epoch_controller": True}  # ST's common/benchmarking/common_benchmark.py (46924c0)
MPU_REFUSAL = ("{board} is an STM32MP (Linux MPU) board: ST's cloud benchmarks it with MpuParameters and answers "
               "with an MpuBenchmarkResult (model file size, peak RAM, ms, CPU/NPU load; no cycles, no library "
               "footprint), which cannot be compared with our bare-metal Cortex-M runtime; choose an STM32 MCU board "
               "with --st-board")
RESULTS_NAME = "st_cloud_results.json"
TOKEN_FILE = Path.home() / ".stmai_token"  # where ST's client stores the MyST token after a login
INSTALL_HINT = (
    "ST's Developer Cloud client `stm32ai_dc` is not importable ({error}). It is not on PyPI: "
    "git clone https://github.com/STMicroelectronics/stm32ai-modelzoo-services, pip install requests marshmallow "
    "(or the clone's requirements.txt), export PYTHONPATH=<clone> (ST's layout from 3.1 on; <clone>/common before), "
    "then set STM32AI_USERNAME and "
    "STM32AI_PASSWORD (MyST account) or keep the client's stored token ~/.stmai_token; see docs/st-edge-ai.md")
# (username, password) variable pairs, in order: ST's client examples, then ST's model-zoo scripts
CREDENTIAL_VARIABLES = (("STM32AI_USERNAME", "STM32AI_PASSWORD"), ("stmai_username", "stmai_password"))


@dataclass(frozen=True)
class StCloudOptions:
    board: str | None = None  # None: the cloud's NUCLEO-F401RE
    step_timeout_s: float = ST_BENCHMARK_TIMEOUT_S  # analyze, upload, benchmark (each)
    login_timeout_s: float = 180.0  # ST's client retries a failed login 5 times, 5 s apart
    grace_s: float | None = None  # beyond the client's own benchmark timeout (it overshoots by a poll);
    # None: 1 s + 5 % of the step limit, at most 30 s
    version: str | None = None  # ST Edge AI version on the cloud; None: the latest
    keep_uploads: bool = False
    progress_every_s: float = 10.0


def import_client():
    """``stm32ai_dc`` (or ``common.stm32ai_dc``, ST's layout from 3.1 on), imported only now (it is optional)."""
    from hil.st_benchmark.client_import import import_client as import_once

    return import_once(INSTALL_HINT)


def credentials(environ=None, token_file: Path | None = None) -> tuple[str | None, str | None]:
    """MyST credentials from the environment (STM32AI_USERNAME/STM32AI_PASSWORD, else ST's scripts'
    stmai_username/stmai_password); (None, None) makes ST's client use its stored token."""
    environ = os.environ if environ is None else environ
    token_file = Path(token_file or TOKEN_FILE)
    for user_variable, password_variable in CREDENTIAL_VARIABLES:
        username, password = environ.get(user_variable), environ.get(password_variable)
        if username and password:
            return username, password
    if token_file.is_file():
        return None, None
    username, password = environ.get("STM32AI_USERNAME"), environ.get("STM32AI_PASSWORD")
    missing = [name for name, value in (("STM32AI_USERNAME", username), ("STM32AI_PASSWORD", password)) if not value]
    raise StCloudLoginError(f"ST Edge AI Developer Cloud needs a MyST login: {' and '.join(missing)} not set and "
                            f"no stored token {token_file}; export both variables (ST's script names "
                            f"stmai_username/stmai_password work too; see docs/st-edge-ai.md)")


def board_family(board: str) -> str:
    """"mpu" (STM32MP, Linux), "n6" (STM32N6, Neural-ART) or "mcu": each needs other benchmark parameters."""
    name = board.upper()
    if "STM32MP" in name:
        return "mpu"
    return "n6" if series_for_board(board) == "stm32n6" else "mcu"


def effective_version(ai) -> str | None:
    """The ST Edge AI version the client settled on: its backend's ``version`` after matching ``--st-version``
    against the service's list (an unknown version silently becomes the latest)."""
    return st_results.version_text(getattr(getattr(ai, "backend", None), "version", None))


def series_for_board(board: str) -> str | None:
    """"NUCLEO-F401RE" -> "stm32f4": the series ST's analyze uses for its library footprint."""
    match = re.search(r"(?:STM32|-)([CFGHLNUW][0-9])[0-9A-Z]{2}", board.upper())
    return f"stm32{match.group(1).lower()}" if match else None


def choose_board(boards, requested: str | None) -> str:
    names = st_results.board_names(boards)
    if not names:
        raise StCloudServiceError("ST Edge AI Developer Cloud lists no benchmark board (maintenance?); retry later")
    wanted = requested or DEFAULT_BOARD
    for name in names:
        if name.upper() == wanted.upper():
            return name
    raise StCloudBoardError(f"board {wanted!r} is not in the ST Edge AI Developer Cloud farm; "
                            f"available: {', '.join(sorted(names))} (pass one with --st-board)")


class StCloudBenchmark:
    """One benchmark session: login, board, uploads, analyze and benchmark of both models."""

    def __init__(self, models: RunModels, out_dir: Path, options: StCloudOptions = StCloudOptions(),
                 progress: Progress | None = None, client=None):
        self.models, self.options = models, options
        self.client = client or import_client()
        self.progress = progress or Progress("st-cloud", options.progress_every_s)
        self.results = ResultsFile(Path(out_dir) / RESULTS_NAME, {
            "schema": "tofhil.st_cloud/1", "backend": "st-cloud", "run_dir": str(models.run_dir),
            "requested_board": options.board, "client": getattr(self.client, "__file__", None),
            "models": {m.kind: m.to_dict() for m in models.both()}, "measurements": {}})
        self.uploaded: dict[str, str] = {}
        self.watch = ClientWatch()
        self.unconfirmed: set[str] = set()  # uploads that raised: stored or not, they are deleted too

    def run(self) -> dict:
        try:
            self._run_steps()
        except KeyboardInterrupt:
            self.results.fail("interrupted", "-", "interrupted by the user")
            raise
        self.results.update(status="complete")
        return self.results.data

    def _run_steps(self) -> None:
        ai = self._login()
        board = self._board(ai)
        try:
            self._measure_both(ai, board)
        finally:  # whatever happened, nothing of ours stays in the user's cloud workspace (unless asked)
            if not self.options.keep_uploads:
                self._delete_uploads(ai)

    def _measure_both(self, ai, board: str) -> None:
        series = series_for_board(board)
        with tempfile.TemporaryDirectory(prefix="tofhil-st-cloud-") as staging:
            for model in self.models.both():
                self._upload(ai, model, Path(staging))
        for model in self.models.both():
            self._measure(model.kind, "analyze", lambda m=model: ai.analyze(self._parameters(m, series)),
                          st_results.analyze_figures, self.options.step_timeout_s, ANALYZE_CLIENT_WAIT_S)
        client_timeout = self._client_timeout_s()
        for model in self.models.both():
            run = lambda m=model: ai.benchmark(self._parameters(m, series), board,  # noqa: E731
                                               timeout=client_timeout)
            self._measure(model.kind, "benchmark", run, st_results.benchmark_figures,
                          client_timeout + self._grace_s(), client_timeout)

    def _client_timeout_s(self) -> int:
        """The limit handed to the client's own benchmark wait loop (whole seconds, as ST's examples pass)."""
        return max(1, round(self.options.step_timeout_s))

    def _grace_s(self) -> float:
        if self.options.grace_s is not None:
            return self.options.grace_s
        return min(30.0, 1.0 + 0.05 * self.options.step_timeout_s)

    def _step(self, step: str, fn, limit_s: float, client_limit_s: float | None = None):
        """``fn()`` under ``limit_s``; a failure is recorded in the results file and raised as our error."""
        try:
            with self.watch.step():
                return call_with_deadline(fn, step, limit_s, self.progress)
        except (CallFailed, DeadlineExceeded) as failure:
            kind, detail = cloud_failures.describe(failure, client_limit_s, self.watch.server_lines(),
                                                   self.watch.server_message())
            raise self._failed(kind, step, detail) from failure

    def _failed(self, kind: str, step: str, detail: str):
        self.results.fail(kind, step, detail)
        return cloud_failures.backend_error(kind, step, detail, self.results.path)

    def _checked(self, step: str, reader, value):
        """``reader(value)``; a reply this harness cannot read becomes :class:`StCloudReplyError`."""
        try:
            return reader(value)
        except st_results.ReplyShapeError as exc:
            raise self._failed("reply", step, f"malformed reply: {exc}") from exc

    def _login(self):
        try:
            username, password = credentials()
        except StCloudLoginError as exc:
            self.results.fail("login", "credentials", str(exc))
            raise StCloudLoginError(str(exc), self.results.path) from None
        self.progress.say("logging in to ST Edge AI Developer Cloud" + (f" as {username}" if username else
                                                                        " with the stored token"))
        make = lambda: self.client.Stm32Ai(self.client.CloudBackend(username, password,  # noqa: E731
                                                                     version=self.options.version))
        try:
            ai = call_with_deadline(make, "login", self.options.login_timeout_s, self.progress).value
        except DeadlineExceeded as failure:
            raise self._failed("timeout", "login", str(failure)) from failure
        except CallFailed as failure:
            # the client fetches its version list before logging in: a network failure is named as such; any
            # other exception here (the TypeError of its stored-token refresh, requests' JSONDecodeError of a
            # refresh reply that is not JSON, which is an OSError too) is a failed login
            error = failure.error
            kind = "network" if isinstance(error, OSError) and not isinstance(error, ValueError) else "login"
            raise self._failed(kind, "login", f"{type(failure.error).__name__}: {failure.error}") from failure
        self._record_version(ai)
        self.watch.attach(ai)
        return ai

    def _record_version(self, ai) -> None:
        effective = effective_version(ai)
        record = {"requested": self.options.version, "effective": effective}
        if self.options.version and effective and effective != self.options.version:
            # the older client maps the STM32Cube.AI numbering onto the service's own; either client silently
            # takes the latest for a version it does not match: say which one was used
            record["note"] = (f"--st-version {self.options.version} became ST Edge AI version {effective} in the "
                              f"client (a version it does not match becomes the latest; see docs/st-edge-ai.md for "
                              f"the numbering each client expects)")
            self.progress.say(f"warning: {record['note']}")
        self.results.update(st_edge_ai_version=record)
        self.progress.say(f"ST Edge AI version on the cloud: {effective or 'not reported by the client'}")

    def _board(self, ai) -> str:
        boards = self._step("list benchmark boards", ai.get_benchmark_boards, self.options.step_timeout_s).value
        self.results.update(available_boards=[st_results.board_details(b) for b in boards or []
                                              if hasattr(b, "name")])
        try:
            board = self._checked("list benchmark boards", lambda b: choose_board(b, self.options.board), boards)
            if board_family(board) == "mpu":
                raise StCloudBoardError(MPU_REFUSAL.format(board=board))
        except (StCloudBoardError, StCloudServiceError) as exc:
            self.results.fail("board", "list benchmark boards", str(exc))
            raise type(exc)(str(exc), self.results.path) from None
        self.results.update(board=board)
        self.progress.say(f"board {board}")
        return board

    def _upload(self, ai, model: ModelFile, staging: Path) -> None:
        # a content-addressed name: two runs never overwrite each other's files in the user's workspace
        name = f"tofhil_{model.sha256[:12]}_{model.path.name}"
        staged = shutil.copyfile(model.path, staging / name)
        # named before the call: an upload that fails after the service stored the file is deleted at the end too
        self.uploaded[model.kind] = name
        self.unconfirmed.add(name)
        accepted = self._step(f"upload {model.kind} model", lambda: ai.upload_model(str(staged)),
                              self.options.step_timeout_s).value
        self.unconfirmed.discard(name)
        if accepted is False:
            del self.uploaded[model.kind]  # refused: nothing stored
            raise self._failed("service", f"upload {model.kind} model", f"the cloud refused {model.path.name}")
        self.results.data["models"][model.kind]["uploaded_as"] = name
        self.results.save()
        self.progress.say(f"uploaded {model.kind} model as {name}")

    def _parameters(self, model: ModelFile, series: str | None):
        if series == "stm32n6":  # as ST's tutorial: Neural-ART compiler, default profile and options
            return self.client.CliParameters(model=self.uploaded[model.kind],
                                             atonnOptions=self.client.AtonParameters(**N6_ATON_OPTIONS),
                                             **N6_PARAMETERS)
        extra = {"series": series} if series else {}
        return self.client.CliParameters(model=self.uploaded[model.kind], **extra)

    def _measure(self, kind: str, command: str, call, reader, limit_s: float, client_limit_s=None) -> None:
        step = f"{command} {kind} model"
        outcome = self._step(step, call, limit_s, client_limit_s)
        figures = self._checked(step, reader, outcome.value)
        figures["elapsed_s"] = round(outcome.elapsed_s, 1)
        missing = st_results.missing_figures(figures)
        if missing:
            figures["not_reported"] = missing
        self.results.data["measurements"].setdefault(kind, {})[command] = figures
        self.results.save()
        self.progress.say(f"{step}: " + summary(figures))

    def _delete_uploads(self, ai) -> None:
        """Best effort: a file left in the user's cloud workspace is a warning (and listed in the results file),
        not a failed benchmark. The client answers a refused deletion with False, not an exception."""
        left = {}
        for name in self.uploaded.values():
            try:
                deleted = call_with_deadline(lambda n=name: ai.delete_model(n), f"delete {name}", DELETE_TIMEOUT_S,
                                             self.progress).value
                reason = None if deleted is not False else "the cloud refused the deletion"
            except (CallFailed, DeadlineExceeded) as exc:
                reason = str(exc)
            if reason and name in self.unconfirmed:
                reason += " (its upload failed; it is there only if the service stored it before)"
            if reason:
                left[name] = reason
                self.progress.say(f"warning: {name} stays in your cloud workspace ({reason}); delete it at "
                                  f"https://stedgeai-dc.st.com")
        self.results.update(uploads_left=left)


def _shown(value, unit: str = "") -> str:
    return "unknown" if value is None else f"{value}{unit}"


def summary(figures: dict) -> str:
    parts = [f"flash {_shown(figures.get('total_flash_bytes'), ' B')}",
             f"RAM {_shown(figures.get('total_ram_bytes'), ' B')}", f"MACC {_shown(figures.get('macc'))}"]
    if "cycles" in figures:
        parts += [f"{figures['cycles']} cycles", f"{figures['duration_ms']} ms"]
    return ", ".join(parts)


def run_st_cloud(models: RunModels, out_dir: Path, options: StCloudOptions = StCloudOptions(),
                 progress: Progress | None = None) -> dict:
    """Measure both models on ST's farm; the results dict (also in ``out_dir/st_cloud_results.json``)."""
    return StCloudBenchmark(models, out_dir, options, progress).run()
