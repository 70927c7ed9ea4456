"""Fixtures of the ST Edge AI backend tests: ST's client faked (tests/fakes/stm32ai_dc) and a run folder."""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

from tests.hil_unit.st_helpers import FAKES, write_hil_report


@pytest.fixture
def fake_client(request, monkeypatch):
    """The fake ``stm32ai_dc`` importable, credentials set; fresh module state for each test. The client shape
    is ST's newer one (f971224) unless the test passes another (``BOTH_CLIENTS``)."""
    monkeypatch.syspath_prepend(str(FAKES))
    for name in [m for m in sys.modules if m == "stm32ai_dc" or m.startswith("stm32ai_dc.")]:
        monkeypatch.delitem(sys.modules, name)
    for name in ("stmai_username", "stmai_password", "FAKE_STM32AI_STORED_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STM32AI_USERNAME", "engineer@example.com")
    monkeypatch.setenv("STM32AI_PASSWORD", "secret")
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "ok")
    monkeypatch.setenv("FAKE_STM32AI_CLIENT", getattr(request, "param", "f971224"))
    yield importlib.import_module("stm32ai_dc.backend.cloud.cloud")
    for name in [m for m in sys.modules if m == "stm32ai_dc" or m.startswith("stm32ai_dc.")]:
        del sys.modules[name]


@pytest.fixture
def run_dir(tmp_path) -> Path:
    """A run folder with a float model, our int8 model, an export report and a HIL report from the emulator."""
    run = tmp_path / "run"
    (run / "saved_models").mkdir(parents=True)
    (run / "saved_models" / "best_model.h5").write_bytes(b"float model bytes")
    (run / "export").mkdir()
    (run / "export" / "model_int8.tflite").write_bytes(b"int8 model bytes")
    (run / "export" / "model_report.json").write_text(json.dumps({
        "footprint": {"flash_bytes": 7_372, "ram_bytes": 1_400}, "evaluation": {"int8_accuracy": 0.931}}))
    write_hil_report(run / "hil" / "qemu-stm32f405-raw-2026_11_28_09_00_00", {  # hil.report's layout
        "board": "qemu-stm32f405", "board_kind": "qemu",
        "latency": {"inference": {"unit": "instructions", "stats": {"mean": 14_800, "p50": 14_790}, "us": None}},
        "accuracy": {"device": {"split": "test", "correct": 185, "total": 200, "accuracy": 0.925,
                                "ci95": [0.88, 0.95]}},
        "firmware": {"flash_bytes": 21_000, "ram_bytes": 6_000}})
    return run
