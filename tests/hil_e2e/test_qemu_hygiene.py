"""QEMU is started and stopped by the harness and never outlives it: not after stop(), not after an error in
the with-block, not after the harness itself is killed (SIGKILL: the parent-death signal reaches QEMU)."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hil.runner import build_firmware, ensure_export
from hil.targets.qemu import QemuTarget
from tests.conftest import require
from tofhil.boards import load_board
from tofhil.folders import RunFolder

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def qemu_image(tiny_runs):
    for tool in ("qemu-system-arm", "arm-none-eabi-gcc", "make"):
        require(shutil.which(tool) is not None, f"{tool} is not installed")
    return build_firmware(ensure_export(RunFolder.open(tiny_runs[0])), "qemu-stm32f405")


def _alive(pid: int) -> bool:
    result = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return result.returncode == 0 and not result.stdout.strip().startswith("Z")


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_stop_ends_qemu_and_is_idempotent(qemu_image, tmp_path):
    target = QemuTarget(load_board("qemu-stm32f405"), tmp_path)
    assert target.start(qemu_image).startswith("socket://127.0.0.1:")
    pid = target.process.pid
    assert _alive(pid)
    target.stop()
    target.stop()
    assert _gone_within(pid, 5)


def test_an_error_inside_the_with_block_still_ends_qemu(qemu_image, tmp_path):
    with pytest.raises(RuntimeError, match="a failing test"):
        with QemuTarget(load_board("qemu-stm32f405"), tmp_path) as target:
            target.start(qemu_image)
            pid = target.process.pid
            raise RuntimeError("a failing test")
    assert _gone_within(pid, 5)


def test_qemu_dies_with_a_killed_harness(qemu_image, tmp_path):
    script = (
        "import sys, time\n"
        "from hil.targets.qemu import QemuTarget\n"
        "from tofhil.boards import load_board\n"
        "from tofhil.firmware import FirmwareImage\n"
        f"image = type('Image', (), {{'elf': {str(qemu_image.elf)!r}}})()\n"
        f"target = QemuTarget(load_board('qemu-stm32f405'), {str(tmp_path)!r})\n"
        "target.start(image)\n"
        "print(target.process.pid, flush=True)\n"
        "time.sleep(60)\n")
    harness = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    pid = int(harness.stdout.readline())
    assert _alive(pid)
    harness.send_signal(signal.SIGKILL)
    harness.wait()
    assert _gone_within(pid, 5), "QEMU outlived the harness that started it"
