"""Calibration: ECE by hand, the temperature fit, and its fold into the last Dense layer (same argmax)."""
from __future__ import annotations

import numpy as np
import pytest

from tofhil.calibration import fit_temperature, reliability, tempered


def test_ece_by_hand():
    # two bins used: 0.95 (2 frames, 1 right) and 0.55 (2 frames, both right)
    p = np.array([[0.95, 0.05], [0.95, 0.05], [0.55, 0.45], [0.45, 0.55]])
    measured = reliability(p, np.array([0, 1, 0, 1]), bins=10)
    # |0.5 - 0.95| * 2/4 + |1.0 - 0.55| * 2/4
    assert measured["ece"] == pytest.approx(0.45)
    assert [b["frames"] for b in measured["bins"]] == [2, 2]
    assert reliability(np.array([[1.0, 0.0]]), np.array([0]))["bins"][-1]["high"] == 1.0


def test_tempered_is_softmax_of_scaled_logits():
    logits = np.array([[2.0, 0.5, -1.0], [0.0, 3.0, 1.0]])
    softmax = lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)  # noqa: E731
    assert tempered(softmax(logits), 0.5) == pytest.approx(softmax(logits / 0.5))


def test_fit_recovers_the_temperature_of_an_underconfident_model():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 4, size=(3000, 5))
    softmax = lambda z: np.exp(z - z.max(1, keepdims=True)) / np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)  # noqa: E731
    labels = np.array([rng.choice(5, p=row) for row in softmax(logits)])  # calibrated at T = 1
    timid = softmax(logits / 3.0)  # what an underconfident model says
    assert fit_temperature(timid, labels) == pytest.approx(1 / 3.0, rel=0.1)
    assert reliability(tempered(timid, fit_temperature(timid, labels)), labels)["ece"] < \
        reliability(timid, labels)["ece"]


def test_the_fold_keeps_the_argmax_and_tempers_the_probabilities():
    keras = pytest.importorskip("keras")
    from training.train.calibrate import calibrate

    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(4, activation="softmax")])
    x = np.random.default_rng(2).normal(size=(200, 6)).astype(np.float32)
    before = model.predict(x, verbose=0)
    y = before.argmax(axis=1)  # labels the model gets right: the fit sharpens it (T < 1)
    result = calibrate(model, x, y)
    after = model.predict(x, verbose=0)
    assert result["argmax_changed"] == 0 and result["temperature"] < 1
    assert np.array_equal(after.argmax(axis=1), before.argmax(axis=1))
    assert after == pytest.approx(tempered(before, result["temperature"]), abs=1e-5)
