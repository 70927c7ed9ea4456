"""Train/validation splits that do not leak, and the manifest that records them.

Neighbouring frames of one session are near-duplicates (about 10 frames/s), so a
frame-level split puts copies of validation frames into training and inflates
accuracy. ``session`` (default) holds out whole sessions per class, ``user``
holds out whole users; ``frame`` reproduces ST's behaviour and is leaky.

All splits are drawn with a fixed seed from sorted names, so the same config
gives the same split on every machine.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.errors import ConfigError

SPLIT_MODES = ("session", "user", "frame")


@dataclass
class SplitResult:
    train_index: np.ndarray
    val_index: np.ndarray
    manifest: dict  # JSON-ready: mode, seed, per-session assignment, notes


def split_indices(labels: np.ndarray, sessions: np.ndarray, users: np.ndarray, mode: str,
                  validation_fraction: float, seed: int) -> SplitResult:
    if mode not in SPLIT_MODES:
        raise ConfigError(f"dataset.split_by: {mode!r} is not one of {SPLIT_MODES}")
    rng = np.random.default_rng(seed)
    if mode == "frame":
        order = rng.permutation(len(labels))
        n_val = int(round(validation_fraction * len(labels)))
        val = np.zeros(len(labels), bool)
        val[order[:n_val]] = True
        manifest = {"mode": "frame", "seed": seed, "leaky": True,
                    "note": "frame-level split (ST's behaviour): frames of one session fall on both sides",
                    # which frames were held out, by position among the kept frames in load order (sorted
                    # class folders, sessions, files), so a later stage can rebuild the split without this code
                    "validation_frames": sorted(int(i) for i in np.flatnonzero(val))}
        return SplitResult(np.flatnonzero(~val), np.flatnonzero(val), manifest)
    if mode == "session":
        val_sessions = _held_out_sessions(labels, sessions, validation_fraction, rng)
        notes = []
    else:
        val_sessions, notes = _held_out_user_sessions(labels, sessions, users, validation_fraction, rng)
    val = np.isin(sessions, sorted(val_sessions))
    assignment = {name: ("validation" if name in val_sessions else "training") for name in sorted(set(sessions))}
    manifest = {"mode": mode, "seed": seed, "validation_fraction": validation_fraction,
                "sessions": assignment, "notes": notes}
    return SplitResult(np.flatnonzero(~val), np.flatnonzero(val), manifest)


def _held_out_sessions(labels, sessions, fraction, rng) -> set[str]:
    """Per class, hold out round(fraction * n) of its sessions (at least 1 when it has 2 or more)."""
    held = set()
    for label in np.unique(labels):
        names = sorted(set(sessions[labels == label]))
        if len(names) < 2:
            continue
        n_val = min(len(names) - 1, max(1, int(round(fraction * len(names)))))
        held.update(rng.permutation(names)[:n_val].tolist())
    return held


def _held_out_user_sessions(labels, sessions, users, fraction, rng) -> tuple[set[str], list[str]]:
    names = sorted(set(users))
    if len(names) < 2:
        raise ConfigError(f"dataset.split_by: user needs at least two users; the data has {names}")
    n_val = min(len(names) - 1, max(1, int(round(fraction * len(names)))))
    held_users = set(rng.permutation(names)[:n_val].tolist())
    held, notes = set(), []
    for label in np.unique(labels):
        label_users = set(users[labels == label])
        if label_users <= held_users:
            notes.append(f"class index {int(label)} is recorded only by {sorted(label_users)}: kept in training")
            continue
        mask = (labels == label) & np.isin(users, sorted(held_users))
        held.update(set(sessions[mask]))
    return held, notes


def leave_one_group_out(labels: np.ndarray, groups: np.ndarray, group_names: list[str] | None = None):
    """Folds for cross-validation: yield ``(group, train_index, test_index, kept_in_training)``.

    A class whose frames all belong to the held-out group cannot be tested on
    unseen people; it stays in training and is listed in ``kept_in_training``.
    """
    for group in group_names or sorted(set(groups)):
        test = groups == group
        kept = []
        for label in np.unique(labels):
            if not np.any((labels == label) & ~test):
                test = test & (labels != label)
                kept.append(int(label))
        yield group, np.flatnonzero(~test), np.flatnonzero(test), kept


def check_folds(folds: int | None) -> None:
    """``--folds``: unset means one per user (by user) or 5 (by session); a given count is at least 2."""
    if folds is not None and folds < 2:
        raise ConfigError(f"crossval --folds {folds}: at least 2 folds are needed (each fold is scored by a model "
                          f"trained on the others); leave --folds out for the default")
