"""``python -m hil doctor`` against the boards that run here (QEMU's emulated STM32F405, the host build), and
the same diagnosis from ``hil run`` and ``pytest hil`` when a NUCLEO does not answer (its port is pyserial's
``loop://``, which only echoes: the one fake, standing in for a board behind USB)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.firmware.conftest import require_tools

REPO = Path(__file__).resolve().parents[2]
SUITE = str(REPO / "hil" / "suite")
pytest_plugins = ["pytester"]


def _hil(*args, timeout=600):
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "hil", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.mark.parametrize("board, unit", [("qemu-stm32f405", "instructions"), ("host", "ns")])
def test_doctor_walks_a_running_board_and_writes_json(tiny_runs, tmp_path, board, unit):
    require_tools("make", "arm-none-eabi-gcc", "qemu-system-arm")
    out = tmp_path / "doctor.json"
    result = _hil("doctor", "--board", board, "--run-dir", str(tiny_runs[0]), "--json", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(out.read_text())
    steps = {s["name"]: s for s in data["steps"]}
    assert data["ok"] and data["board"] == board
    assert steps["USB devices"]["status"] == "skipped" and f"{'qemu' if 'qemu' in board else 'host'} board: no USB" \
        in steps["USB devices"]["detail"]
    assert all(steps[name]["status"] == "ok" for name in ("board file", "firmware", "start", "HELLO",
                                                          "inference timing", "stack"))
    ticks = re.search(r"two inferences: ([\d,]+) and ([\d,]+) " + unit, steps["inference timing"]["detail"])
    assert ticks and all(int(t.replace(",", "")) > 0 for t in ticks.groups())
    if board == "qemu-stm32f405":
        assert steps["core clock"]["detail"] == "168,000,000 Hz, as qemu-stm32f405.yaml says"
        assert re.search(r"\d+ of 2048 bytes used", steps["stack"]["detail"])
    for step in data["steps"]:  # the text report shows the same steps
        assert f"[{step['status']:^7}] {step['name']}: {step['detail']}" in result.stdout


def _diagnosis(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "diagnosis (python -m hil doctor):" in line)
    return [re.sub(r"^E\s+", "", line).strip() for line in lines[start:start + 2]]


def test_run_and_pytest_hil_give_the_same_diagnosis_for_a_silent_nucleo(pytester, tiny_runs, tmp_path):
    require_tools("make", "arm-none-eabi-gcc")
    common = ["--board", "nucleo-f401re", "--port", "loop://", "--no-flash", "--run-dir", str(tiny_runs[0])]
    run = _hil("run", *common, "--mode", "tensor", "--limit", "5", "--output-dir", str(tmp_path / "run"))
    assert run.returncode == 2 and "no HELLO from the board after 40 tries" in run.stderr
    # its own output folder: the suite must not write into the shared run (RUN/hil/...)
    suite = pytester.runpytest_subprocess(SUITE, "-p", "no:cacheprovider", "--rootdir", str(REPO), *common,
                                          "--mode", "tensor", "--limit", "5", "--hil-output-dir",
                                          str(tmp_path / "suite"), timeout=600)
    assert suite.parseoutcomes().get("passed", 0) == 0
    from_run, from_suite = _diagnosis(run.stderr), _diagnosis(suite.stdout.str())
    assert from_run == from_suite
    assert from_run[1].startswith("[problem] other baud rates: no answer at 921,600 nor at 115,200, 460,800, "
                                  "1,843,200 baud; fix: reset the board")
