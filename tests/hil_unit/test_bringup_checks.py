"""What ``hil run`` and ``pytest hil`` (both through BoardSession and validate) check on a real board, with the
board's wire faked: the doctor's diagnosis when HELLO never comes, HELLO's clock against the board file, and a
DWT cycle counter that reads 0. Each fails on the code before issue 13 (the run went on, or said only "no HELLO")."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from hil.errors import DeviceTimeoutError, HilError, StaleFirmwareError
from hil.runner import BoardOptions, BoardSession, validate
from tests.hil_unit.fake_board import MODEL_SHA, FakeBoardLink, nucleo_hello
from tofhil.boards import load_board


@pytest.fixture
def quick_handshake(monkeypatch):
    from hil.protocol.client import DeviceClient

    monkeypatch.setattr(DeviceClient.handshake, "__defaults__", (4, 0.25))  # 1 s instead of 10 s


def _session(tmp_path, monkeypatch, link) -> BoardSession:
    session = BoardSession(BoardOptions(board="nucleo-f401re", port="/dev/ttyACM0"), run=None, log_dir=tmp_path)
    session.spec = load_board("nucleo-f401re")
    session.export = SimpleNamespace(model_sha256=lambda: MODEL_SHA)
    monkeypatch.setattr(session, "_open_link", lambda url: link)
    return session


def test_silent_board_error_carries_the_doctors_diagnosis(tmp_path, monkeypatch, quick_handshake):
    session = _session(tmp_path, monkeypatch, FakeBoardLink(answers_at=460_800))
    with pytest.raises(DeviceTimeoutError) as caught:
        session._connect("/dev/ttyACM0")
    text = str(caught.value)
    assert text.startswith("no HELLO from the board after 4 tries")
    assert "diagnosis (python -m hil doctor):" in text
    assert "the board answers at 460,800 baud: its divisor does not match its clock" in text
    session.close()


def test_pll_that_did_not_lock_stops_the_run(tmp_path, monkeypatch):
    link = FakeBoardLink(hello=nucleo_hello(core_clock_hz=16_000_000, timer_hz=16_000_000))
    with pytest.raises(HilError, match=r"runs at 16,000,000 Hz, but nucleo-f401re\.yaml says clock\.core_hz "
                                       r"84,000,000: its PLL did not lock"):
        _session(tmp_path, monkeypatch, link)._connect("/dev/ttyACM0")


def test_a_firmware_of_an_older_protocol_is_refused_by_name(tmp_path, monkeypatch):
    link = FakeBoardLink(hello=nucleo_hello(protocol_version=1))
    with pytest.raises(StaleFirmwareError, match=r"board nucleo-f401re: firmware 0\.1\.0 speaks protocol version 1; "
                                                 r"this host needs version 2 .*flash the current firmware"):
        _session(tmp_path, monkeypatch, link)._connect("/dev/ttyACM0")


class _Frames(SimpleNamespace):
    def __len__(self):
        return len(self.files)


def _frames(count: int):
    return _Frames(files=["a.npz"] * count, frames=list(range(count)), users=["u"] * count,
                   sessions=["s"] * count, labels=[0] * count, split="test", class_names=["None"])


def test_zero_cycle_inference_on_a_dwt_board_is_an_error(tmp_path, monkeypatch):
    session = _session(tmp_path, monkeypatch, FakeBoardLink(ticks=(0, 0, 0)))
    session._connect("/dev/ttyACM0")
    references = {"host_kept": np.ones(3, bool), "host_input": np.zeros((3, 128), np.int8)}
    with pytest.raises(HilError, match=r"frame 0: board nucleo-f401re reported 1 inference\(s\) taking 0 cycles: "
                                       r"its DWT cycle counter is stopped"):
        validate(session, _frames(3), references, "tensor", tmp_path / "out", progress=False)


def test_counting_cycle_counter_passes(tmp_path, monkeypatch):
    session = _session(tmp_path, monkeypatch, FakeBoardLink(ticks=(52_311, 52_309, 52_310)))
    session._connect("/dev/ttyACM0")
    session.image = SimpleNamespace(elf="fw.elf", flash_bytes=24_576, ram_bytes=8_192, board="nucleo-f401re")
    session.run, session.target = SimpleNamespace(path=tmp_path), None
    session.export = SimpleNamespace(model_sha256=lambda: MODEL_SHA, path=tmp_path)
    references = {"host_kept": np.ones(3, bool), "host_input": np.zeros((3, 128), np.int8)}
    validate(session, _frames(3), references, "tensor", tmp_path / "out", progress=False)
    assert (tmp_path / "out" / "results.jsonl").read_text().count('"infer_ticks":523') == 3


def test_resume_streams_a_half_logged_session_again_from_its_first_frame_without_repeating_a_line(tmp_path,
                                                                                                monkeypatch):
    link = FakeBoardLink(ticks=(52_311,))
    session = _session(tmp_path, monkeypatch, link)
    session._connect("/dev/ttyACM0")
    session.image = SimpleNamespace(elf="fw.elf", flash_bytes=24_576, ram_bytes=8_192, board="nucleo-f401re")
    session.run, session.target = SimpleNamespace(path=tmp_path), None
    session.export = SimpleNamespace(model_sha256=lambda: MODEL_SHA, path=tmp_path)
    references = {"host_kept": np.ones(3, bool), "host_input": np.zeros((3, 128), np.int8)}
    out = tmp_path / "out"
    out.mkdir()
    # an interrupted run logged the session's first frame only (killed while appending the session)
    (out / "results.jsonl").write_text('{"index": 0, "file": "a.npz", "frame": 0, "user": "u", "session": "s", '
                                       '"label": 0, "status": "ok", "output": [0, 1, 2, 3, 4, 5, 6, 7], '
                                       '"input": null, "infer_ticks": 52311, "preprocess_ticks": 0, "attempts": 1, '
                                       '"board": "nucleo-f401re", "shown": null, "step": 0}\n')
    validate(session, _frames(3), references, "tensor", out, progress=False, resume=True)
    lines = (out / "results.jsonl").read_text().splitlines()
    assert [json.loads(line)["index"] for line in lines] == [0, 1, 2]  # no frame twice
    assert link._inferences == 3  # the whole session went to the board again: its filter saw frame 0 first
