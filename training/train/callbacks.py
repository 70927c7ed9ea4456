"""Callbacks from the config, and the built-in ones a config cannot redefine.

Any Keras callback by name, or one of ST's learning-rate schedules
(``training/train/lr_schedules.py``). ModelCheckpoint (best val_accuracy) and
TensorBoard are always installed by the trainer, so naming them is an error, as
in ST's model zoo. At most one callback may change the learning rate: two would
silently fight over it.
"""
from __future__ import annotations

import inspect

import keras

from training.errors import ConfigError

BUILT_IN = ("ModelCheckpoint", "TensorBoard")
KERAS_LR_CHANGING = ("ReduceLROnPlateau", "LearningRateScheduler")


def build_config_callbacks(section: dict | None) -> list[keras.callbacks.Callback]:
    from training.train.lr_schedules import LR_SCHEDULES

    if not section:
        return []
    if not isinstance(section, dict):
        raise ConfigError(f"training.callbacks: expected a mapping {{Name: {{arguments}}}}, got {section!r}")
    lr_changing = [n for n in section if n in LR_SCHEDULES or n in KERAS_LR_CHANGING]
    if len(lr_changing) > 1:
        raise ConfigError(f"training.callbacks: {lr_changing} all change the learning rate; keep at most one")
    callbacks = []
    for name, args in section.items():
        args = {} if args is None else args
        if not isinstance(args, dict):
            raise ConfigError(f"training.callbacks.{name}: expected a mapping of arguments, got {args!r}")
        if name in BUILT_IN:
            raise ConfigError(f"training.callbacks.{name}: built in (best-model checkpoint on val_accuracy and "
                              f"TensorBoard logs are always on) and cannot be redefined; remove it")
        callbacks.append(_instantiate(name, args, LR_SCHEDULES))
    return callbacks


def _instantiate(name: str, args: dict, schedules: dict) -> keras.callbacks.Callback:
    cls = schedules.get(name) or getattr(keras.callbacks, name, None)
    if not (inspect.isclass(cls) and issubclass(cls, keras.callbacks.Callback)):
        raise ConfigError(f"training.callbacks.{name}: not a Keras callback nor an LR schedule; "
                          f"LR schedules: {sorted(schedules)}")
    try:
        return cls(**args)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"training.callbacks.{name}: {exc}") from exc
