"""Callbacks and optimizers from the config: ST's rules on built-ins and learning-rate changers."""
from __future__ import annotations

import keras
import pytest

from training.errors import ConfigError
from training.train.callbacks import build_config_callbacks
from training.train.optimizers import build_optimizer


def test_keras_callbacks_and_lr_schedules_by_name():
    built = build_config_callbacks({"EarlyStopping": {"monitor": "val_accuracy", "patience": 3},
                                    "LRCosineDecay": {"initial_lr": 0.01, "hold_steps": 0, "decay_steps": 10,
                                                      "end_lr": 0.0001}})
    assert [type(c).__name__ for c in built] == ["EarlyStopping", "LRCosineDecay"]
    assert built[0].patience == 3


@pytest.mark.parametrize("section,message", [
    ({"ReduceLROnPlateau": {}, "LRStepDecay": {"initial_lr": 0.1, "step_size": 2, "decay_rate": 0.5}},
     "all change the learning rate; keep at most one"),
    ({"ModelCheckpoint": {"filepath": "x.keras"}}, "ModelCheckpoint: built in"),
    ({"TensorBoard": None}, "TensorBoard: built in"),
    ({"NoSuchCallback": {}}, "NoSuchCallback: not a Keras callback"),
    ({"EarlyStopping": {"patience_typo": 3}}, "training.callbacks.EarlyStopping:"),
    ({"EarlyStopping": 3}, "expected a mapping of arguments"),
])
def test_callback_errors(section, message):
    with pytest.raises(ConfigError, match=message):
        build_config_callbacks(section)


def test_optimizer_by_name_with_arguments():
    optimizer = build_optimizer({"AdamW": {"learning_rate": 0.002, "weight_decay": 0.01}})
    assert isinstance(optimizer, keras.optimizers.AdamW)
    assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(0.002)
    assert isinstance(build_optimizer("SGD"), keras.optimizers.SGD)


@pytest.mark.parametrize("section,message", [
    ({"Adamm": {}}, "'Adamm' is not a Keras optimizer"),
    ({"Adam": {"learnin_rate": 0.1}}, "training.optimizer.Adam:"),
    ({"Adam": {}, "SGD": {}}, "single {Name: {arguments}} mapping"),
])
def test_optimizer_errors(section, message):
    with pytest.raises(ConfigError, match=message):
        build_optimizer(section)
