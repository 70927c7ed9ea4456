"""Callbacks from the config, and the built-in ones a config cannot redefine.

Any Keras callback by name, or one of ST's learning-rate schedules
(``training/train/lr_schedules.py``). ModelCheckpoint (best val_accuracy) and
TensorBoard are always installed by the trainer, so naming them is an error, as
in ST's model zoo. At most one callback may change the learning rate: two would
silently fight over it.
"""
from __future__ import annotations

import inspect
from pathlib import Path

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
        if name == "BackupAndRestore":
            check_backup_dir(args.get("backup_dir"), args.get("delete_checkpoint", True))
        callbacks.append(_instantiate(name, args, LR_SCHEDULES))
    return callbacks


# what Keras' BackupAndRestore writes into its folder (".bkp": the previous copy)
_BACKUP_FILES = ("latest.weights.h5", "training_metadata.json", "latest.weights.h5.bkp",
                 "training_metadata.json.bkp")


def check_backup_dir(backup_dir, delete_checkpoint=True) -> None:
    """BackupAndRestore deletes its whole folder when training ends: it must be its own folder."""
    where = "training.callbacks.BackupAndRestore.backup_dir"
    if not isinstance(backup_dir, str) or not backup_dir.strip():
        raise ConfigError(f"{where}: expected the path of a new folder for the backup, got {backup_dir!r}")
    path = Path(backup_dir)
    if not delete_checkpoint or not path.exists() and not path.is_symlink():
        return
    if not path.is_dir() or path.is_symlink():
        raise ConfigError(f"{where}: {path} exists and is not a folder; name a new folder")
    others = sorted(p.name for p in path.iterdir() if p.name not in _BACKUP_FILES)
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise ConfigError(f"{where}: {path} holds files that are not a training backup ({shown}); "
                          f"BackupAndRestore deletes its folder when training ends: name a new folder")


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
