"""The board session is a small strategy whose failure is sticky in the library, not only in pytest's cache."""
from __future__ import annotations

import pytest

from hil import runner
from hil.errors import BoardSpecError
from hil.runner import BoardOptions, BoardSession


def test_a_failed_bring_up_is_raised_again_without_trying_again(tmp_path, monkeypatch):
    calls = []

    def refuse(name):
        calls.append(name)
        raise BoardSpecError(f"configs/boards/{name}.yaml: no such board")

    monkeypatch.setattr("tofhil.boards.load_board", refuse)
    session = BoardSession(BoardOptions("nope"), run=None, log_dir=tmp_path)
    with pytest.raises(BoardSpecError) as first:
        session.open()
    with pytest.raises(BoardSpecError) as second:
        session.open()
    assert second.value is first.value and calls == ["nope"]
    assert session.state == "new" and session.failure is first.value


def test_states_follow_the_bring_up(tmp_path, monkeypatch):
    class Target:
        def start(self, image):
            return "loop://"

        def stop(self):
            pass

    class Export:
        def model_sha256(self):
            return "0" * 64

    monkeypatch.setattr("tofhil.boards.load_board", lambda name: type("Spec", (), {"uart": None})())
    monkeypatch.setattr(runner, "ensure_export", lambda run: Export())
    monkeypatch.setattr(runner, "build_firmware", lambda export, board: object())
    monkeypatch.setattr(runner, "make_target", lambda spec, options, log_dir: Target())
    seen = []
    monkeypatch.setattr(BoardSession, "_connect", lambda self, url: seen.append(self.state))
    session = BoardSession(BoardOptions("b"), run=None, log_dir=tmp_path)
    session.open()
    assert seen == ["started"]
