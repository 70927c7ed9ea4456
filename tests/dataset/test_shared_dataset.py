"""On ST's real dataset (HANDPOSTURE_DATASET): counts, splits without leakage, loading as ST does."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from training.config import load_config
from training.data.splits import leave_one_group_out
from training.train.data_setup import load_splits

REPO = Path(__file__).resolve().parents[2]
EXPECTED_KEPT = {"None": 382, "FlatHand": 1431, "Like": 1275, "Love": 962, "Dislike": 1364, "BreakTime": 931,
                 "CrossHands": 960, "Fist": 1967}

pytestmark = pytest.mark.dataset


@pytest.fixture(scope="module")
def shipped_config(shared_dataset):
    return load_config(REPO / "configs" / "handposture.yaml")


def test_info_reports_facts_counts(shared_dataset):
    result = subprocess.run([sys.executable, "-m", "training", "info", "configs/handposture.yaml", "--json"],
                            capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["total"]["frames"] == 9277 and summary["total"]["kept"] == 9272
    assert summary["total"]["sessions"] == 35
    assert {row["class"]: row["kept"] for row in summary["classes"]} == EXPECTED_KEPT
    assert [row["class"] for row in summary["classes"]] == list(EXPECTED_KEPT)  # ascending ST id
    assert summary["users"] == ["User1", "User2", "User3"]


def test_session_split_of_shipped_config_does_not_leak(shipped_config):
    splits = load_splits(shipped_config)
    assert not set(splits.train.sessions) & set(splits.validation.sessions)
    assert len(splits.train.y) + len(splits.validation.y) == 9272
    assert set(splits.validation.y.tolist()) == set(range(8))
    assert splits.test_is_validation


def test_leave_one_user_out_has_no_user_overlap(shipped_config):
    splits = load_splits(shipped_config)
    y = np.concatenate([splits.train.y, splits.validation.y])
    users = np.concatenate([splits.train.users, splits.validation.users])
    folds = list(leave_one_group_out(y, users))
    assert [f[0] for f in folds] == ["User1", "User2", "User3"]
    for user, train, test, kept in folds:
        assert set(users[test]) == {user}
        assert user not in set(users[train][y[train] != 0])
        assert kept == ([0] if user == "User1" else [])


def test_frame_split_is_leaky_on_real_data(shared_dataset):
    config = load_config(REPO / "configs" / "st_reference.yaml")
    splits = load_splits(config)
    shared_sessions = set(splits.train.sessions) & set(splits.validation.sessions)
    assert len(shared_sessions) == 35  # every session on both sides: why ST's 99 % is optimistic
