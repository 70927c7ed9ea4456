"""Doctor steps over the link: HELLO at the board file's baud (else at the other usual rates), the core clock,
two inferences with a running timer, the stack's high-water mark."""
from __future__ import annotations

from hil.protocol.client import DeviceClient
from hil.doctor.judgments import cycle_count_problem, hello_clock_problem
from hil.doctor.steps import OK, PROBLEM, SKIPPED, Step
from hil.errors import HilError, StaleFirmwareError
from hil.protocol.messages import InferTensor, StatsRequest
from tofhil.chips.stm32f4 import FALLBACK_BAUD

OTHER_RATES = (115_200, 460_800)


def candidate_rates(baud: int) -> list[int]:
    """The firmware's own fallback first (its rate on a PLL that did not lock), then the usual wrong rates:
    half, double (a divisor off by OVER8), 115,200 and 460,800."""
    rates = []
    for rate in (FALLBACK_BAUD, baud // 2, baud * 2, *OTHER_RATES):
        if rate != baud and rate not in rates:
            rates.append(rate)
    return rates


def _hello(link, attempts: int, expected_sha256: str | None = None):
    client = DeviceClient(link, timeout_s=1.0, max_attempts=3, expected_sha256=expected_sha256)
    return client, client.handshake(attempts=attempts, interval_s=0.25)


def check_hello(spec, link, expected_sha256: str | None, attempts: int = 12):
    """(Step, client or None): HELLO at the board file's rate, and the model the firmware carries."""
    baud = spec.uart.baud if spec.uart else None
    where = f" at {baud:,} baud" if baud and spec.kind == "physical" else ""  # a socket or pty has no baud rate
    try:
        client, hello = _hello(link, attempts, expected_sha256)
    except StaleFirmwareError as exc:  # it answered: the wire is fine, the firmware is another model's
        return Step("HELLO", PROBLEM, str(exc), "flash the run's firmware (drop --no-flash, or --run-dir)"), None
    except HilError as exc:
        return Step("HELLO", PROBLEM, f"no valid HELLO{where}: {exc}", "see the next step"), None
    return Step("HELLO", OK, f"{hello.board} answered{where}: firmware {hello.firmware_version}, model "
                f"{hello.model_sha256[:12]}, timer {hello.timer_unit}"), client


def scan_baud_rates(spec, link) -> Step:
    """Listen at the other usual rates; name the one the board answers at."""
    baud = spec.uart.baud
    if not hasattr(link, "baudrate"):
        return Step("other baud rates", SKIPPED, "the link has no baud rate (socket or pty)")
    tried = candidate_rates(baud)
    try:
        for rate in tried:
            link.baudrate = rate
            try:
                _, hello = _hello(link, attempts=4)
            except HilError:
                continue
            clock_problem = hello_clock_problem(hello, spec)
            if clock_problem and rate == FALLBACK_BAUD:  # the firmware's own fallback: say why it is there
                return Step("other baud rates", PROBLEM, f"the board answers at {rate:,} baud, the firmware's "
                            f"fallback rate: {clock_problem}", "see the board's power supply and the clock section "
                            "of the board file; docs/real-board.md, 'A PLL that does not lock'")
            return Step("other baud rates", PROBLEM,
                        f"the board answers at {rate:,} baud: its divisor does not match its clock "
                        f"({spec.source.name} says {baud:,})",
                        "flash a firmware built by this version (it programs the UART divisor for the clock it "
                        "runs at, oversampling by 16); if it still answers there, the chip's clock is not the "
                        "board file's clock section")
    finally:
        link.baudrate = baud
    return Step("other baud rates", PROBLEM,
                f"no answer at {baud:,} nor at {', '.join(f'{r:,}' for r in tried)} baud",
                "reset the board (black button) and look for bytes in serial.log; check the firmware was "
                "flashed (drop --no-flash) and that no other program holds the port")


def check_clock(spec, hello) -> Step:
    problem = hello_clock_problem(hello, spec)
    if problem:
        return Step("core clock", PROBLEM, problem, "see the board's clock section and the board's power supply")
    return Step("core clock", OK, f"{hello.core_clock_hz:,} Hz, as {spec.source.name} says")


def check_inferences(client, hello) -> Step:
    """Two inferences of an all-zero tensor: the timer must count (non-zero ticks)."""
    request = InferTensor(tuple([0] * hello.input_size))
    try:
        results = [reply for _, reply, _ in client.stream([(0, request), (1, request)], window=1)]
    except HilError as exc:
        return Step("inference timing", PROBLEM, f"inference failed: {exc}", "look at serial.log"), None
    ticks = [r.infer_ticks for r in results]
    problem = cycle_count_problem(hello, ticks)
    if problem is None and hello.timer_kind != 0 and not all(ticks):
        problem = f"the board reported {ticks} {hello.timer_unit} for two inferences: its timer does not count"
    if problem:
        return Step("inference timing", PROBLEM, problem, "flash a firmware built by this version"), ticks
    amounts = " and ".join(f"{round(hello.ticks_to_unit(t)):,}" for t in ticks)
    return Step("inference timing", OK, f"two inferences: {amounts} {hello.timer_unit} ({ticks[0]:,} and "
                f"{ticks[1]:,} timer ticks)"), ticks


def check_stack(client) -> Step:
    try:
        stats = next(reply for _, reply, _ in client.stream([("stats", StatsRequest())]))
    except HilError as exc:
        return Step("stack", PROBLEM, f"no STATS reply: {exc}", "look at serial.log")
    used, size = stats.stack_used_bytes, stats.stack_size_bytes
    if size and used >= 0.9 * size:
        return Step("stack", PROBLEM, f"{used} of {size} bytes used (high-water mark)",
                    "raise stack_bytes in the board file")
    return Step("stack", OK, f"{used} of {size} bytes used (high-water mark)" if size else
                "no painted stack on this board")
