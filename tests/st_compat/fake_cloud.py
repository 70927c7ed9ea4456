"""ST's Developer Cloud client faked (tests/fakes/stm32ai_dc) for a ``python -m hil benchmark`` child process."""
from __future__ import annotations

import sys
from pathlib import Path

FAKES = Path(__file__).resolve().parents[1] / "fakes"


def use_fake_cloud(monkeypatch, client: str) -> None:
    """The fake client on the child's path, shaped as ST's client at ``client`` (46924c0 or f971224), with
    credentials set and the "ok" scenario."""
    monkeypatch.setenv("PYTHONPATH", f"{FAKES}:{':'.join(p for p in sys.path if p)}")
    monkeypatch.setenv("STM32AI_USERNAME", "engineer@example.com")
    monkeypatch.setenv("STM32AI_PASSWORD", "secret")
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "ok")
    monkeypatch.setenv("FAKE_STM32AI_CLIENT", client)
