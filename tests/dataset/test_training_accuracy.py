"""The accuracy claims of the README, measured on ST's dataset (minutes; run in CI).

- ST's published recipe on its own leaky frame split, at 40 epochs (the shipped file allows 1000 with early
  stopping; CI trains 40 of them);
- the shipped recipe reaches >= 85 % on whole held-out sessions, and >= 84.5 % mean leave-one-user-out at 30
  epochs.

Thresholds sit below the spread measured across seeds at the length each test trains, not on one run
(`python bench/bench_seed_spread.py`, table in the README; seeds 1, 2, 3, 42, 123):

- ST's recipe, full length (1000 epochs, early stopping): 99.03 / 98.81 / 99.03 / 97.73 / 98.87 % (mean 98.69 %,
  std 0.55) -> 97 %. That is ST's ~99 % reproduced; it costs 6 minutes per training, so it is measured by the
  bench, not in CI. At 40 epochs (`--set st_reference:training.epochs=40`): 95.90 / 95.25 / 96.01 / 95.36 /
  96.01 % (mean 95.71 %, std 0.37, min 95.25 %) -> 94.5 % (about mean - 3 std). The CI threshold is LOWER than
  the full-length one (97 %) because 40 epochs end before ReduceLROnPlateau's first step; at 100 epochs it was
  96.60-98.44 % (mean 97.62 %), still not 97 % for every seed, for 2.5 times the time.
- The shipped recipe on held-out sessions (its full 60 epochs: this run is the suite's shared run):
  87.52 / 93.78 / 95.38 / 95.28 / 87.19 % (the seed also draws which sessions are held out: mean 91.83 %,
  std 4.14, min 87.19 %) -> 85 %.
- The shipped recipe leave-one-user-out, at 30 epochs with its cosine decay over 30 (CI trains three folds of it;
  the shipped file says 60): mean over the folds 87.82 / 87.02 / 87.41 / 87.78 / 85.84 % (mean 87.18 %, std 0.81,
  min 85.84 %) -> 84.5 % (about mean - 3 std). At the full 60 epochs: 89.32 / 86.77 / 89.24 / 88.80 / 87.72 %
  (mean 88.37 %, std 1.10) -> 85 %. The CI threshold is half a point LOWER than the full-length one: at 30 epochs
  85 % would sit one standard deviation under the worst seed, not three.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from training.config import load_config
from training.train.crossval import run_crossval
from training.train.trainer import run_training

REPO = Path(__file__).resolve().parents[2]
ST_REFERENCE_EPOCHS = 40  # see the module docstring for the spread at this length
LOUO_EPOCHS = 30

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
    config = load_config(REPO / "configs" / "handposture.yaml", [f"training.epochs={LOUO_EPOCHS}",
                                                                 f"training.callbacks.LRCosineDecay.decay_steps={LOUO_EPOCHS}"])
    summary = run_crossval(config, "user", None, str(tmp_path / "cv"), track=False, log=lambda *_: None)
    assert [f["name"] for f in summary["folds"]] == ["User1", "User2", "User3"]
    assert summary["folds"][0]["kept_in_training"] == ["None"]
    assert summary["mean_accuracy"] >= 0.845, summary["folds"]


def test_st_reference_recipe_trains_on_its_leaky_split(shared_dataset, tmp_path):
    config = load_config(REPO / "configs" / "st_reference.yaml", [f"training.epochs={ST_REFERENCE_EPOCHS}"])
    result = run_training(config, output_dir=str(tmp_path / "st"), verbose=0, track=False)
    assert result.metrics["split_by"] == "frame"
    assert result.metrics["epochs_run"] == ST_REFERENCE_EPOCHS
    assert result.metrics["splits"]["validation"]["accuracy"] >= 0.945
