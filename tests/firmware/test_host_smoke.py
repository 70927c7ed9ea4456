"""The host board: the firmware as a Linux program on a pty answers HELLO and exits cleanly on a signal."""
from __future__ import annotations

import select
import signal
import subprocess
import time

import pytest
import serial

from hil.protocol import FrameDecoder, HelloRequest, Packet, StatsRequest, decode_message, encode_message
from tests.firmware.conftest import require_tools
from tofhil.firmware import build_project, generate_project


def _pty_path(process) -> str:
    ready, _, _ = select.select([process.stdout], [], [], 10)
    assert ready, "the host firmware printed no TOFHIL_PTY line"
    line = process.stdout.readline().decode()
    assert line.startswith("TOFHIL_PTY /dev/"), line
    return line.split(" ", 1)[1].strip()


def _ask(port, message, seq):
    decoder = FrameDecoder()
    port.write(b"\x00" + encode_message(message, seq))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for item in decoder.feed(port.read(port.in_waiting or 1)):
            if isinstance(item, Packet) and item.seq == seq:
                return decode_message(item)
    raise AssertionError(f"no reply to seq {seq}")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGHUP])
def test_host_firmware_serves_a_pty_and_stops_cleanly(export_dir, stop_signal):
    require_tools("make", "cc")
    image = build_project(generate_project(export_dir, "host"))
    process = subprocess.Popen([str(image.executable)], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        with serial.Serial(_pty_path(process), timeout=0.2) as port:
            hello = _ask(port, HelloRequest(), 5)
            stats = _ask(port, StatsRequest(), 6)
        assert (hello.board, hello.timer_kind, hello.timer_hz) == ("host", 2, 1_000_000_000)
        assert hello.model_sha256 == image.model_sha256 and hello.has_preprocessing
        assert (stats.stack_used_bytes, stats.stack_size_bytes, stats.frames_ok) == (0, 0, 2)
        process.send_signal(stop_signal)
        assert process.wait(5) == 0
    finally:
        process.kill()
        process.wait(5)
