"""Talking to the firmware: handshake, and a pipelined request stream that survives a faulty link.

Up to ``window`` requests are in flight (the firmware receives into its ring buffer while it computes). Each
request has its own sequence number; a reply is matched by it, duplicates are dropped. The firmware answers in
order, so a reply to a later request means an earlier one was lost: it is sent again at once. A quiet link
for ``timeout_s`` resends everything in flight; after ``max_attempts`` a request ends the run with a timeout
error naming the frame, carrying the last bytes received and the log path. A HELLO that nobody asked for
means the board restarted: the client handshakes again, re-checks the model and resends what was in flight.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from hil.errors import DeviceTimeoutError, ProtocolError, StaleFirmwareError
from hil.protocol.codec import SEQ_UNKNOWN, FrameDecoder, FrameError, Packet
from hil.protocol.messages import HelloRequest, StatsRequest, decode_message, encode_message
from hil.protocol.replies import PROTOCOL_VERSION, Error, Hello, Stats
from hil.links.serial_log import SerialLog


@dataclass
class LinkCounters:
    bytes_sent: int = 0
    bytes_received: int = 0
    retries: int = 0  # requests sent again
    resyncs: int = 0  # frames the host decoder discarded (CRC, framing)
    device_errors: int = 0  # ERROR replies
    duplicates: int = 0  # replies to requests already answered
    resets: int = 0  # board restarts seen (unsolicited HELLO)
    errors: list = field(default_factory=list)  # the first few ERROR texts, for the report

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class _InFlight:
    key: object
    message: object
    seq: int
    sent_at: float
    attempts: int = 1


class DeviceClient:
    """Requests and replies over an open link (a pyserial object)."""

    def __init__(self, link, log: SerialLog | None = None, timeout_s: float = 2.0, max_attempts: int = 10,
                 expected_sha256: str | None = None, on_reset: Callable[[], None] | None = None):
        self.link, self.log = link, log or SerialLog(None)
        self.timeout_s, self.max_attempts = timeout_s, max_attempts
        self.expected_sha256, self.on_reset = expected_sha256, on_reset
        self.decoder = FrameDecoder()
        self.counters = LinkCounters()
        self.hello: Hello | None = None
        self._seq = 0
        self._last_rx = b""
        self._flight: OrderedDict[int, _InFlight] = OrderedDict()  # requests sent, not yet answered

    # --- bytes ---------------------------------------------------------------------------------------
    def _send(self, message, seq: int) -> None:
        # a leading delimiter ends whatever a faulty link left half-sent, so it cannot spoil this frame
        data = b"\x00" + encode_message(message, seq)
        self.link.write(data)
        self.counters.bytes_sent += len(data)
        self.log.record("TX", data)

    def _receive(self) -> list[Packet]:
        data = self.link.read(1)  # waits up to the link's short timeout for the first byte
        if not data:
            return []
        data += self._drain()
        self.counters.bytes_received += len(data)
        self._last_rx = (self._last_rx + data)[-256:]
        self.log.record("RX", data)
        packets = []
        for item in self.decoder.feed(data):
            if isinstance(item, FrameError):
                self.counters.resyncs += 1
                self.log.note(f"discarded frame: {item.status} {item.detail}")
            else:
                packets.append(item)
        return packets

    def _drain(self) -> bytes:
        """Whatever else has arrived, without waiting. A serial port knows its count; a socket:// link says
        only 0 or 1, so it is read non-blocking instead of byte by byte."""
        waiting = getattr(self.link, "in_waiting", 0) or 0
        if waiting > 1:
            return self.link.read(waiting)
        timeout, self.link.timeout = self.link.timeout, 0
        try:
            return self.link.read(4096)
        finally:
            self.link.timeout = timeout

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) % SEQ_UNKNOWN  # 0xFFFF is reserved for "unknown"
        return self._seq

    def _decode(self, packet: Packet):
        sizes = (self.hello.input_size, self.hello.output_size) if self.hello else (None, None)
        try:
            return decode_message(packet, *sizes)
        except ProtocolError as exc:
            self.counters.resyncs += 1
            self.log.note(f"undecodable reply seq {packet.seq}: {exc}")
            return None

    # --- handshake -----------------------------------------------------------------------------------
    def handshake(self, attempts: int = 40, interval_s: float = 0.25) -> Hello:
        """HELLO until the board answers (QEMU drops bytes sent before its USART is up); check the model."""
        self.link.write(b"\x00")  # flush a half-received frame on the device
        for _ in range(attempts):
            seq = self._next_seq()
            self._send(HelloRequest(), seq)
            deadline = time.monotonic() + interval_s
            while time.monotonic() < deadline:
                for packet in self._receive():
                    message = self._decode(packet)
                    if isinstance(message, Hello) and packet.seq in (seq, SEQ_UNKNOWN):
                        if packet.seq == seq:
                            return self._accept_hello(message)
        raise DeviceTimeoutError(f"no HELLO from the board after {attempts} tries ({attempts * interval_s:.0f} s)",
                                 self._last_rx, _path(self.log))

    def _accept_hello(self, hello: Hello) -> Hello:
        if hello.protocol_version != PROTOCOL_VERSION:
            raise StaleFirmwareError(
                f"board {hello.board}: firmware {hello.firmware_version} speaks protocol version "
                f"{hello.protocol_version}; this host needs version {PROTOCOL_VERSION} (the label shown computed "
                "on the device): flash the current firmware (drop --no-flash)")
        if self.expected_sha256 and hello.model_sha256 != self.expected_sha256:
            raise StaleFirmwareError(
                f"the board runs a firmware for model sha256 {hello.model_sha256}, but the run's model is "
                f"{self.expected_sha256}: flash the current firmware (drop --no-flash)")
        self.hello = hello
        return hello

    def stats(self) -> Stats:
        for reply in self.stream([("stats", StatsRequest())]):
            return reply[1]
        raise ProtocolError("no STATS reply")

    # --- the pipelined stream ------------------------------------------------------------------------
    def stream(self, requests: Iterable[tuple[object, object]], window: int = 2) -> Iterator[tuple]:
        """Yield ``(key, reply, attempts)`` for each ``(key, request)`` as its reply arrives (request order unless
        an earlier reply was lost: that request is sent again and yielded later)."""
        pending = iter(requests)
        flight = self._flight
        flight.clear()
        exhausted = False
        last_progress = time.monotonic()
        while True:
            while not exhausted and len(flight) < window:
                item = next(pending, None)
                if item is None:
                    exhausted = True
                    break
                entry = _InFlight(item[0], item[1], self._next_seq(), time.monotonic())
                flight[entry.seq] = entry
                self._send(entry.message, entry.seq)
            if not flight:
                return
            packets = self._receive()
            for packet in packets:
                done = self._on_packet(packet, flight)
                if done is not None:
                    last_progress = time.monotonic()
                    yield done
            if time.monotonic() - last_progress > self.timeout_s:
                self._resend(list(flight.values()), "no reply")
                last_progress = time.monotonic()

    def _on_packet(self, packet: Packet, flight: OrderedDict):
        message = self._decode(packet)
        if message is None:
            return None
        if isinstance(message, Hello):
            if packet.seq == SEQ_UNKNOWN:  # the board restarted on its own
                self._handle_reset(message, flight)
            return None
        if isinstance(message, Error):
            self.counters.device_errors += 1
            if len(self.counters.errors) < 20:
                self.counters.errors.append(f"seq {packet.seq}: {message}")
            entry = flight.get(packet.seq) or (next(iter(flight.values())) if flight else None)
            if entry is not None:  # a corrupted request (or its seq): send it again, after any earlier one still
                # unanswered (inside a session the device steps frames in seq order: OUT_OF_ORDER names the later)
                older = [e for seq, e in flight.items() if _before(seq, entry.seq)]
                self._resend([*older, entry], f"device error {message}")
            return None
        entry = flight.pop(packet.seq, None)
        if entry is None:
            self.counters.duplicates += 1
            return None
        for older in [e for seq, e in flight.items() if _before(seq, packet.seq)]:
            self._resend([older], "a later request was answered first")  # in-order device: it was lost
        return entry.key, message, entry.attempts

    def _resend(self, entries: list[_InFlight], why: str) -> None:
        for entry in entries:
            if entry.attempts >= self.max_attempts:
                raise DeviceTimeoutError(
                    f"request {entry.key} (seq {entry.seq}) unanswered after {entry.attempts} attempts "
                    f"({why}; timeout {self.timeout_s} s)", self._last_rx, _path(self.log))
            entry.attempts += 1
            entry.sent_at = time.monotonic()
            self.counters.retries += 1
            self.log.note(f"resend seq {entry.seq} ({why})")
            self._send(entry.message, entry.seq)

    def _handle_reset(self, hello: Hello, flight: OrderedDict) -> None:
        self.log.note("unsolicited HELLO: the board restarted")
        if self.on_reset:
            self.on_reset()
        self.recover_after_reset()

    def recover_after_reset(self, link=None) -> None:
        """After a board reset: (a new link,) handshake again, re-check the model, resend what was in flight."""
        self.counters.resets += 1
        if link is not None:
            self.link = link
        self.decoder = FrameDecoder()
        self.handshake()
        for entry in list(self._flight.values()):
            entry.attempts = max(0, entry.attempts - 1)  # a reset is not the request's fault
            self._resend([entry], "board restarted")


def _before(seq: int, other: int) -> bool:
    """True when ``seq`` was issued before ``other`` (sequence numbers wrap below 0xFFFF)."""
    return seq != other and (other - seq) % SEQ_UNKNOWN < SEQ_UNKNOWN // 2


def _path(log: SerialLog) -> str | None:
    return str(log.path) if log.path else None
