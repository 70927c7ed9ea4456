"""The accuracy claims of the README, measured on ST's dataset (minutes; run in CI).

- ST's published recipe on its own leaky frame split reaches ST's ~99 %;
- the shipped recipe reaches >= 90 % on whole held-out sessions and >= 85 % mean leave-one-user-out.

Thresholds sit below the spread measured across seeds, not on one run (`python bench/bench_seed_spread.py`,
table in the README): ST's recipe gave 99.03 / 98.81 / 99.03 / 97.73 / 98.87 % for seeds 1, 2, 3, 42, 123
(mean 98.69 %, std 0.55, min 97.73 %), so its test asks for 97 % (about mean - 3 std), not ST's 99 %.
The shipped recipe on held-out sessions: 87.52 / 93.78 / 95.38 / 95.28 / 87.19 % (the seed also draws which
sessions are held out: mean 91.83 %, std 4.14, min 87.19 %) -> 85 %; leave-one-user-out mean: 89.32 / 86.77 /
89.24 / 88.80 / 87.72 % (mean 88.37 %, std 1.10, min 86.77 %) -> 85 % (about mean - 3 std).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from training.config import load_config
from training.train.crossval import run_crossval
from training.train.trainer import run_training

REPO = Path(__file__).resolve().parents[2]

# one worker trains these one after another (each training takes both cores itself): ./run.sh test's
# --dist loadgroup keeps a group on one pytest-xdist worker
pytestmark = [pytest.mark.dataset, pytest.mark.slow, pytest.mark.xdist_group("full_dataset_training")]


def test_shipped_recipe_on_held_out_sessions(shipped_run):
    metrics = shipped_run.metrics
    assert metrics["split_by"] == "session"
    assert metrics["parameters"] == 2752
    assert metrics["splits"]["validation"]["accuracy"] >= 0.85


def test_shipped_recipe_is_calibrated_without_changing_its_argmax(shipped_run):
    """Issue 29: label smoothing caps the softmax near 0.91; the folded temperature makes ST's 0.9 threshold
    meaningful (README "What the user sees": ECE 13.0 -> 1.2 points on the validation split, T 0.459)."""
    calibration = shipped_run.metrics["calibration"]
    assert calibration["argmax_changed"] == 0 and calibration["temperature"] < 1
    assert calibration["after"]["ece"] < 0.03 < calibration["before"]["ece"]
    assert calibration["after"]["accuracy"] == calibration["before"]["accuracy"]


def test_shipped_recipe_generalises_to_unseen_users(shared_dataset, tmp_path):
    config = load_config(REPO / "configs" / "handposture.yaml")
    summary = run_crossval(config, "user", None, str(tmp_path / "cv"), track=False, log=lambda *_: None)
    assert [f["name"] for f in summary["folds"]] == ["User1", "User2", "User3"]
    assert summary["folds"][0]["kept_in_training"] == ["None"]
    assert summary["mean_accuracy"] >= 0.85, summary["folds"]


def test_st_reference_reaches_st_number_on_its_leaky_split(shared_dataset, tmp_path):
    config = load_config(REPO / "configs" / "st_reference.yaml")
    result = run_training(config, output_dir=str(tmp_path / "st"), verbose=0, track=False)
    assert result.metrics["split_by"] == "frame"
    assert result.metrics["splits"]["validation"]["accuracy"] >= 0.97
