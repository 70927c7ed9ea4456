"""A small trained and exported run (synthetic data, seconds) for the HIL plugin and runner tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tiny_runs() -> tuple[Path, Path]:
    """Two run folders of different models (seeds 1 and 2), trained, exported and built for the host and the
    emulated board once for the whole suite (tests/shared_runs.py): read them, or copy them to change them."""
    from tests.shared_runs import tiny_run

    require(__import__("shutil").which("gcc") is not None, "gcc is not installed")
    return tiny_run(1), tiny_run(2)


def result_outputs(out: Path) -> dict[int, tuple]:
    """``results.jsonl`` as {frame index: (status, output, echoed input, label shown on the device)}; a frame with
    two results fails. Equal shown labels mean each session ran whole, in order, on one board."""
    import json

    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    indices = [r["index"] for r in records]
    assert len(indices) == len(set(indices)), "a frame has two results"
    return {r["index"]: (r["status"], tuple(r["output"] or ()), tuple(r["input"] or ()), r.get("shown"))
            for r in records}


@pytest.fixture(scope="session")
def farm_inputs(tiny_runs, tmp_path_factory):
    """The test frames and host references of the first tiny run (one hil-inputs step for the session), and
    the outputs of a single host board streaming them."""
    from hil.runner import BoardOptions, BoardSession, validate
    from hil.validation import ValidationRequest, prepare_frames, resolve_settings

    out = tmp_path_factory.mktemp("farm") / "single"
    settings = resolve_settings(ValidationRequest(BoardOptions("host"), tiny_runs[0], out, mode="raw",
                                                  progress=False))
    frames, references = prepare_frames(settings)
    with BoardSession(BoardOptions("host"), settings.run, out) as session:
        validate(session, frames, references, "raw", out, progress=False)
    return settings, frames, references, result_outputs(out)
