"""The qemu-stm32f405 firmware on QEMU netduinoplus2: HELLO, inference equal to the reference, STATS, HardFault.

QEMU runs with the command line of facts.md section 4 and is killed in a ``finally``. Bytes sent before the
firmware enables its USART are dropped, so the handshake retries.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from hil.protocol import (FrameDecoder, HelloRequest, InferTensor, Packet, StatsRequest, decode_message,
                          encode_message, status_code)
from tests.firmware.conftest import require_tools
from tofhil.firmware import build_project, generate_project

FAULT_MAIN = Path(__file__).parent / "c" / "fault_main.c"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def qemu_link(elf: Path):
    """A socket to USART2 of QEMU running ``elf``; another process may take a free port first: then retry."""
    for _ in range(3):
        port = _free_port()
        command = ["qemu-system-arm", "-M", "netduinoplus2", "-nographic", "-monitor", "none", "-icount", "shift=0",
                   "-serial", "null", "-serial", f"tcp:127.0.0.1:{port},server=on,wait=off,nodelay=on",
                   "-kernel", str(elf)]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        try:
            link = _connect(port, process)
            if link is not None:
                yield link
                return
        finally:
            process.kill()
            process.wait(10)
    raise AssertionError("QEMU could not open a TCP port three times")


def _connect(port: int, process) -> socket.socket | None:
    deadline = time.monotonic() + 10
    while process.poll() is None:
        try:
            link = socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"QEMU did not open port {port}") from None
            time.sleep(0.05)
            continue
        time.sleep(0.2)
        if process.poll() is None:  # our QEMU holds the port, not someone else's
            link.settimeout(0.5)
            return link
        link.close()
    return None


def _frames_after_a_poke(link: socket.socket, deadline_s: float = 60.0) -> list[Packet]:
    """Send one byte until the firmware answers (a byte sent before its UART is enabled is dropped), then only
    read until a whole frame arrived. On a loaded machine the fault frame came in pieces over more than 60
    reads while every read sent another byte the faulted core never takes; so the poke stops at the first byte
    back and the limit is wall time, not a number of reads."""
    decoder, replies, answered = FrameDecoder(), [], False
    deadline = time.monotonic() + deadline_s
    while not replies and time.monotonic() < deadline:
        if not answered:
            link.sendall(b"\x00")
        try:
            data = link.recv(4096)
        except socket.timeout:
            continue
        answered = answered or bool(data)
        replies += [item for item in decoder.feed(data) if isinstance(item, Packet)]
    return replies


def _request(link: socket.socket, decoder: FrameDecoder, message, seq: int, tries: int = 20, output_size=None):
    for _ in range(tries):
        link.sendall(b"\x00" + encode_message(message, seq))
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            try:
                chunk = link.recv(4096)
            except socket.timeout:
                break
            for item in decoder.feed(chunk):
                if isinstance(item, Packet) and item.seq == seq:
                    return decode_message(item, output_size=output_size)
    raise AssertionError(f"no reply to seq {seq} after {tries} tries")


def test_qemu_firmware_answers_hello_inference_and_stats(export_dir, model_bytes):
    require_tools("make", "arm-none-eabi-gcc", "qemu-system-arm")
    from training.export.reference import ReferenceRunner

    image = build_project(generate_project(export_dir, "qemu-stm32f405"))
    inputs = np.random.default_rng(1).integers(-128, 128, size=(3, 128), dtype=np.int8)
    expected = ReferenceRunner(model_bytes).run(inputs.reshape(3, 8, 8, 2)).reshape(3, -1)
    with qemu_link(image.elf) as link:
        decoder = FrameDecoder()
        hello = _request(link, decoder, HelloRequest(), 1)
        assert (hello.board, hello.model_sha256, hello.timer_kind) == ("qemu-stm32f405", image.model_sha256, 1)
        assert (hello.core_clock_hz, hello.timer_hz, hello.input_size, hello.output_size) == (168_000_000,) * 2 + (128, 8)
        assert hello.has_preprocessing
        for seq, (tensor, reference) in enumerate(zip(inputs, expected), start=2):
            result = _request(link, decoder, InferTensor(tuple(int(v) for v in tensor)), seq, output_size=8)
            assert result.status == 0 and list(result.output) == reference.tolist()
            # ticks = instructions x 0.168; the model needs thousands of instructions, less than one SysTick period
            assert 500 < result.infer_ticks < 2**24
        stats = _request(link, decoder, StatsRequest(), 9)
        assert stats.stack_size_bytes == 2048 and 64 < stats.stack_used_bytes < 2048


def test_nucleo_firmware_survives_a_clock_tree_that_never_gets_ready(export_dir):
    """QEMU models no RCC ready bits: the F401 clock set-up must give up waiting and report the HSI it kept."""
    require_tools("make", "arm-none-eabi-gcc", "qemu-system-arm")
    image = build_project(generate_project(export_dir, "nucleo-f401re"))
    with qemu_link(image.elf) as link:
        hello = _request(link, FrameDecoder(), HelloRequest(), 3)
    assert (hello.board, hello.timer_kind, hello.core_clock_hz, hello.timer_hz) == ("nucleo-f401re", 0, 16_000_000,
                                                                                  16_000_000)


def test_hard_fault_is_reported_as_an_error_frame(export_dir, tmp_path):
    require_tools("make", "arm-none-eabi-gcc", "qemu-system-arm")
    project = tmp_path / "faulting"
    shutil.copytree(generate_project(export_dir, "qemu-stm32f405"), project)
    shutil.copyfile(FAULT_MAIN, project / "src" / "tofhil_main.c")
    subprocess.run(["make"], cwd=project, check=True, capture_output=True)
    with qemu_link(project / "build" / "tofhil_firmware.elf") as link:
        replies = _frames_after_a_poke(link)
    assert replies, "no frame after the fault"
    error = decode_message(replies[0])
    assert replies[0].seq == 0xFFFF and error.code == status_code("HARD_FAULT")
    assert error.text.startswith("hard fault pc=0x") and " lr=0x" in error.text and " cfsr=0x" in error.text


def test_hard_fault_after_a_stack_overflow_is_reported_not_a_lockup(export_dir, tmp_path):
    """The stacked frame is unreadable when SP left the stack: the handler must check SP before reading it."""
    require_tools("make", "arm-none-eabi-gcc", "qemu-system-arm")
    project = tmp_path / "overflowing"
    shutil.copytree(generate_project(export_dir, "nucleo-f401re"), project)
    shutil.copyfile(Path(__file__).parent / "c" / "stack_overflow_main.c", project / "src" / "tofhil_main.c")
    subprocess.run(["make"], cwd=project, check=True, capture_output=True)
    with qemu_link(project / "build" / "tofhil_firmware.elf") as link:
        replies = _frames_after_a_poke(link)
    assert replies, "no frame after the stack overflow: the HardFault handler locked up"
    error = decode_message(replies[0])
    assert replies[0].seq == 0xFFFF and error.code == status_code("HARD_FAULT")
    assert error.text.startswith("hard fault, stack overflow sp=0x1fff") and " cfsr=0x" in error.text, error.text
