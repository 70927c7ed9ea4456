"""Splits keep sessions (or users) apart; the frame split is ST's leaky one."""
from __future__ import annotations

import numpy as np
import pytest

from training.data.splits import leave_one_group_out, split_indices
from training.errors import ConfigError


def toy(seed=0):
    """3 classes x 3 users x 2 sessions x 10 frames; class 0 recorded by User1 only."""
    labels, sessions, users = [], [], []
    for c in range(3):
        for u in (["User1"] if c == 0 else ["User1", "User2", "User3"]):
            for k in range(2):
                labels += [c] * 10
                sessions += [f"log__c{c}__{u}__{k}"] * 10
                users += [u] * 10
    return np.array(labels), np.array(sessions, dtype=object), np.array(users, dtype=object)


def test_session_split_keeps_sessions_whole_and_covers_every_class():
    labels, sessions, users = toy()
    split = split_indices(labels, sessions, users, "session", 0.2, seed=1)
    train, val = set(sessions[split.train_index]), set(sessions[split.val_index])
    assert not train & val
    assert len(split.train_index) + len(split.val_index) == len(labels)
    assert set(labels[split.val_index]) == {0, 1, 2}
    assert split.manifest["sessions"] == {s: ("validation" if s in val else "training") for s in sorted(train | val)}


def test_split_is_reproducible_and_seed_dependent():
    labels, sessions, users = toy()
    a = split_indices(labels, sessions, users, "session", 0.3, seed=5)
    b = split_indices(labels, sessions, users, "session", 0.3, seed=5)
    assert np.array_equal(a.val_index, b.val_index)
    others = [split_indices(labels, sessions, users, "session", 0.3, seed=s).val_index.tolist() for s in range(6)]
    assert len({tuple(o) for o in others}) > 1


def test_user_split_has_no_user_overlap_and_keeps_single_user_class():
    labels, sessions, users = toy()
    for seed in range(5):
        split = split_indices(labels, sessions, users, "user", 0.34, seed=seed)
        val_users = set(users[split.val_index])
        assert len(val_users) == 1
        train_users_of_shared_classes = set(users[split.train_index][labels[split.train_index] > 0])
        assert not val_users & train_users_of_shared_classes
        if val_users == {"User1"}:
            assert 0 not in labels[split.val_index] and split.manifest["notes"]


def test_frame_split_is_marked_leaky():
    labels, sessions, users = toy()
    split = split_indices(labels, sessions, users, "frame", 0.2, seed=0)
    assert split.manifest["leaky"] is True
    assert len(split.val_index) == round(0.2 * len(labels))
    assert set(sessions[split.train_index]) & set(sessions[split.val_index])


def test_unknown_mode():
    labels, sessions, users = toy()
    with pytest.raises(ConfigError, match="split_by"):
        split_indices(labels, sessions, users, "random", 0.2, 0)


def test_leave_one_user_out_keeps_single_user_classes_in_training():
    labels, sessions, users = toy()
    folds = list(leave_one_group_out(labels, users))
    assert [f[0] for f in folds] == ["User1", "User2", "User3"]
    for group, train, test, kept in folds:
        assert set(users[test]) <= {group}
        assert not set(train) & set(test)
        if group == "User1":
            assert kept == [0] and 0 not in labels[test] and 0 in labels[train]
        else:
            assert kept == []


def test_crossval_scores_the_last_epoch_unless_a_callback_watches_validation():
    from training.train.crossval import callbacks_need_validation

    assert not callbacks_need_validation(None)
    assert not callbacks_need_validation({"LRCosineDecay": {"initial_lr": 0.01}})
    assert callbacks_need_validation({"EarlyStopping": {"patience": 3}})  # monitors val_loss by default
    assert callbacks_need_validation({"ReduceLROnPlateau": {"monitor": "val_accuracy"}})
    assert not callbacks_need_validation({"ReduceLROnPlateau": {"monitor": "loss"}})
