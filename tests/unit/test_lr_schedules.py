"""ST's learning-rate schedules: values against hand-computed formulas, the callback in a real fit, errors."""
import math

import numpy as np
import pytest

from training.errors import ConfigError
from training.train.lr_schedules import (LR_SCHEDULES, LRStepDecay, lr_schedule_values, make_lr_schedule,
                                         plot_lr_schedule)

COS_QUARTER = 0.5 * (1 + math.cos(math.pi / 4))  # cosine factor a quarter of the way through the decay

CASES = [
    ("LRLinearDecay", dict(initial_lr=0.01, hold_steps=3, decay_steps=4, end_lr=0.002),
     {0: 0.01, 2: 0.01, 3: 0.008, 5: 0.004, 6: 0.002, 9: 0.002}),
    ("LRExponentialDecay", dict(initial_lr=0.01, hold_steps=3, decay_rate=0.5, min_lr=1e-4),
     {0: 0.01, 2: 0.01, 3: 0.01 * math.exp(-0.5), 4: 0.01 * math.exp(-1.0), 20: 1e-4}),
    ("LRStepDecay", dict(initial_lr=0.1, step_size=3, decay_rate=0.5, min_lr=0.02),
     {0: 0.1, 1: 0.1, 2: 0.05, 4: 0.05, 5: 0.025, 8: 0.02}),
    ("LRCosineDecay", dict(initial_lr=0.01, hold_steps=2, decay_steps=4, end_lr=0.001),
     {0: 0.01, 1: 0.01, 2: 0.001 + 0.009 * COS_QUARTER, 3: 0.0055, 5: 0.001, 9: 0.001}),
    ("LRWarmupCosineDecay", dict(initial_lr=0.001, warmup_steps=4, max_lr=0.01, hold_steps=2, decay_steps=4,
                                 end_lr=0.0001),
     {0: 0.001, 1: 0.00325, 2: 0.0055, 3: 0.01, 5: 0.01, 6: 0.01, 7: 0.0001 + 0.0099 * COS_QUARTER,
      10: 0.0001, 12: 0.0001}),
    ("LRCosineDecayRestarts", dict(initial_lr=0.01, first_decay_steps=4, end_lr=0.0, t_mul=2, m_mul=0.5),
     {0: 0.01, 2: 0.005, 4: 0.005, 8: 0.0025, 12: 0.0025, 13: 0.0025 * 0.5 * (1 + math.cos(math.pi / 16))}),
    ("LRPolynomialDecay", dict(initial_lr=0.01, hold_steps=2, decay_steps=4, end_lr=0.0, power=2),
     {0: 0.01, 1: 0.01, 2: 0.01 * 0.75 ** 2, 4: 0.01 * 0.25 ** 2, 5: 0.0, 7: 0.0}),
    ("LRPolynomialDecayRestarts", dict(initial_lr=0.01, hold_steps=1, decay_steps=4, end_lr=0.001, power=1),
     {0: 0.01, 1: 0.00775, 4: 0.001, 5: 0.009 * (1 - 5 / 8) + 0.001, 8: 0.001}),
    ("LRPiecewiseConstantDecay", dict(boundaries=[2, 5], values=[0.1, 0.01, 0.001]),
     {0: 0.1, 1: 0.1, 2: 0.01, 4: 0.01, 5: 0.001, 30: 0.001}),
]


def test_registry_holds_st_names():
    assert set(LR_SCHEDULES) == {"LRLinearDecay", "LRExponentialDecay", "LRStepDecay", "LRCosineDecay",
                                 "LRWarmupCosineDecay", "LRCosineDecayRestarts", "LRPolynomialDecay",
                                 "LRPolynomialDecayRestarts", "LRPiecewiseConstantDecay"}


@pytest.mark.parametrize("name, args, expected", CASES, ids=[case[0] for case in CASES])
def test_values_match_hand_computed_formulas(name, args, expected):
    values = lr_schedule_values(name, args, max(expected) + 1)
    for epoch, value in expected.items():
        assert values[epoch] == pytest.approx(value, rel=1e-9, abs=1e-12), f"{name} epoch {epoch}"


def test_warmup_rises_then_holds_then_decays():
    args = dict(initial_lr=1e-5, warmup_steps=10, max_lr=0.01, hold_steps=5, decay_steps=20, end_lr=1e-5)
    values = np.array(lr_schedule_values("LRWarmupCosineDecay", args, 40))
    assert np.all(np.diff(values[:15]) >= 0) and values[0] == pytest.approx(1e-5)
    assert np.all(values[9:16] == 0.01)
    assert np.all(np.diff(values[15:]) <= 0) and values[-1] == pytest.approx(1e-5)


def test_callback_sets_the_learning_rate_in_a_real_fit():
    import keras
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
    callback = LRStepDecay(initial_lr=0.1, step_size=1, decay_rate=0.5)
    x, y = np.ones((8, 3), np.float32), np.zeros((8, 1), np.float32)
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[callback])
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.025)
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.025])


@pytest.mark.parametrize("name, args, where", [
    ("LRStepDecay", dict(initial_lr=0.1, step_size=0, decay_rate=0.5), "LRStepDecay.step_size"),
    ("LRStepDecay", dict(initial_lr=0.1, step_size=2), "LRStepDecay.decay_rate"),
    ("LRCosineDecay", dict(initial_lr="fast", hold_steps=0, decay_steps=5, end_lr=0.0), "LRCosineDecay.initial_lr"),
    ("LRCosineDecay", dict(initial_lr=0.1, hold_steps=-1, decay_steps=5, end_lr=0.0), "LRCosineDecay.hold_steps"),
    ("LRCosineDecay", dict(initial_lr=0.1, hold_steps=0, decay_steps=5, end_lr=0.0, warmup=3),
     "LRCosineDecay.warmup"),
    ("LRCosineDecayRestarts", dict(initial_lr=0.1, first_decay_steps=5, end_lr=0.0, m_mul=1.5),
     "LRCosineDecayRestarts.m_mul"),
    ("LRPiecewiseConstantDecay", dict(boundaries=[5, 2], values=[0.1, 0.01, 0.001]),
     "LRPiecewiseConstantDecay.boundaries"),
    ("LRPiecewiseConstantDecay", dict(boundaries=[2, 5], values=[0.1, 0.01]), "LRPiecewiseConstantDecay.values"),
    ("LRNoSuchDecay", {}, "LRNoSuchDecay"),
])
def test_argument_errors_name_the_key(name, args, where):
    with pytest.raises(ConfigError, match=f"training.callbacks.{where}"):
        make_lr_schedule(name, args)


def test_error_says_what_is_expected():
    with pytest.raises(ConfigError, match=r"step_size: expected a whole number of epochs >= 1, got 0"):
        LRStepDecay(initial_lr=0.1, step_size=0, decay_rate=0.5)


def test_plot_writes_a_png(tmp_path):
    import matplotlib.image as image
    path = plot_lr_schedule("LRCosineDecay", dict(initial_lr=0.01, hold_steps=2, decay_steps=8, end_lr=0.0), 12,
                            tmp_path / "lr.png")
    pixels = image.imread(path)
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100 and pixels.std() > 0
