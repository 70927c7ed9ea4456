"""A small trained and exported run (synthetic data, seconds) for the HIL plugin and runner tests."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require

REPO = Path(__file__).resolve().parents[2]


def _train(root: Path, dataset: Path, seed: int) -> Path:
    config = root / f"tiny{seed}.yaml"
    config.write_text(f"""
general: {{project_name: tiny, deterministic_ops: true, global_seed: {seed}}}
dataset: {{class_names: [None, Like, Fist, FlatHand], training_path: {dataset}, validation_split: 0.5}}
preprocessing: {{normalization: hand_relative, center_hand: true}}
training:
  model:
    name: CNN2D_ST_HandPosture
    version: v1
    input_shape: (8, 8, 2)
  batch_size: 32
  epochs: 3
  optimizer: {{Adam: {{learning_rate: 0.01}}}}
export: {{representative_size: 50}}
""")
    run = root / f"run{seed}"
    for command in (["train", str(config), "--output-dir", str(run), "--quiet"], ["export", str(run)]):
        result = subprocess.run([sys.executable, "-m", "training", *command], cwd=REPO, capture_output=True,
                                text=True)
        assert result.returncode == 0, result.stderr[-3000:]
    return run


@pytest.fixture(scope="session")
def tiny_runs(synth_dataset, tmp_path_factory) -> tuple[Path, Path]:
    """Two run folders of different models (seeds 1 and 2), trained and exported."""
    require(__import__("shutil").which("gcc") is not None, "gcc is not installed")
    root = tmp_path_factory.mktemp("hil_runs")
    return _train(root, synth_dataset, 1), _train(root, synth_dataset, 2)


def result_outputs(out: Path) -> dict[int, tuple]:
    """``results.jsonl`` as {frame index: (status, output, echoed input)}; a frame with two results fails."""
    import json

    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    indices = [r["index"] for r in records]
    assert len(indices) == len(set(indices)), "a frame has two results"
    return {r["index"]: (r["status"], tuple(r["output"] or ()), tuple(r["input"] or ())) for r in records}


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
