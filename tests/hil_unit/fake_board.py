"""A board behind the USB boundary, faked: answers the protocol over a pyserial-like object, only at one baud
rate (a firmware whose divisor does not match its clock), with a chosen core clock and cycle counts.

The protocol itself is the real codec (hil.protocol); only the wire is faked, because no board is attached.
"""
from __future__ import annotations

import dataclasses

from hil.protocol import FrameDecoder, Packet, decode_message, encode_message
from hil.protocol.messages import HelloRequest, InferTensor, SessionStart, StatsRequest
from hil.protocol.replies import PROTOCOL_VERSION, Hello, Result, Session, Stats

MODEL_SHA = "ab" * 32


def nucleo_hello(**changes) -> Hello:
    hello = Hello(protocol_version=PROTOCOL_VERSION, timer_kind=0, core_clock_hz=84_000_000, timer_hz=84_000_000,
                  model_sha256=MODEL_SHA, input_scale=0.5, input_zero_point=0, output_scale=1 / 256,
                  output_zero_point=-128, input_size=128, output_size=8, max_payload=512, has_preprocessing=True,
                  firmware_version="0.1.0", board="nucleo-f401re")
    return dataclasses.replace(hello, **changes)


class FakeBoardLink:
    """pyserial-like: ``write`` parses requests, ``read`` returns the replies queued for them."""

    def __init__(self, hello: Hello | None = None, answers_at: int | None = 921_600, ticks=(52_311, 52_309),
                 stack=(1_204, 2_048), baudrate: int = 921_600, port: str = "/dev/ttyACM0"):
        self.hello, self.answers_at, self.ticks = hello or nucleo_hello(), answers_at, list(ticks)
        self.stack, self.baudrate, self.port = stack, baudrate, port
        self.timeout = 0.05
        self.decoder, self.pending, self.closed = FrameDecoder(), b"", False
        self.rates_heard: list[int] = []
        self._inferences = 0
        self._in_session = False  # a firmware without the decision pipeline still opens sessions

    @property
    def in_waiting(self) -> int:
        return len(self.pending)

    def write(self, data: bytes) -> int:
        if self.baudrate not in self.rates_heard:
            self.rates_heard.append(self.baudrate)
        for item in self.decoder.feed(bytes(data)):
            if isinstance(item, Packet) and self.baudrate == self.answers_at:
                self.pending += self._answer(item)
        return len(data)

    def _answer(self, packet: Packet) -> bytes:
        request = decode_message(packet)
        if isinstance(request, HelloRequest):
            self._in_session = False
            return encode_message(self.hello, packet.seq)
        if isinstance(request, SessionStart):
            self._in_session = True
            return encode_message(Session(False, 0, 0, False, 0, 0), packet.seq)
        if isinstance(request, InferTensor):
            ticks = self.ticks[min(self._inferences, len(self.ticks) - 1)]
            self._inferences += 1
            return encode_message(Result(0, ticks, 0, tuple(range(self.hello.output_size)),
                                         in_session=self._in_session), packet.seq)
        if isinstance(request, StatsRequest):
            return encode_message(Stats(self.stack[0], self.stack[1], 3, 0, 0, 0, 0), packet.seq)
        return b""

    def read(self, size: int = 1) -> bytes:
        data, self.pending = self.pending[:size], self.pending[size:]
        return data

    def close(self) -> None:
        self.closed = True
