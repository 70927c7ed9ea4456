"""ST's files as they are: the 4.x layout mapped onto the typed config, the keys accepted but not used here,
and the dataset rules of each operation mode (as ST's parser has them).

ST 4.x moved the model choice to a top-level ``model:`` section (``model_name``, ``model_path``,
``input_shape``) and renamed ``dataset.name`` to ``dataset.dataset_name``. Once mapped, both generations are
the same :class:`~training.config.schema.Config` (and the run's resolved config is written in one shape).
"""
from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

from training.config.st_sections import ST_MODEL_NAMES
from training.errors import ConfigError

TRAINING_MODES = ("training", "chain_tqe")


def map_st_4x(config, source: str) -> None:
    """``model.*`` -> ``training.model`` / ``general.model_path``; ``dataset.dataset_name`` -> ``dataset.name``."""
    from training.config.schema import ModelConfig

    section = config.model
    if section is not None:
        if section.model_name and section.model_path:
            raise ConfigError(f"{source}: model.model_name and model.model_path are both set; ST's parser takes "
                              f"one: model_name to build a model, model_path to load one")
        if section.model_path:
            if config.general.model_path:
                raise ConfigError(f"{source}: general.model_path and model.model_path are both set; keep one")
            config.general.model_path = section.model_path
        if section.model_name and config.training is not None:
            if config.training.model is not None:
                raise ConfigError(f"{source}: model.model_name and training.model are both set; keep one")
            shape = section.input_shape if section.input_shape is not None else (8, 8, 2)
            config.training.model = ModelConfig(name=ST_MODEL_NAMES[section.model_name], input_shape=shape)
        config.model = None
    dataset = config.dataset
    if dataset is not None and dataset.dataset_name:
        dataset.name, dataset.dataset_name = dataset.dataset_name, None


def check_dataset(config, source: str) -> bool:
    """The dataset section each mode needs; False when there is none to check (benchmarking without one)."""
    from training.config.schema import DatasetConfig

    mode, dataset = config.operation_mode, config.dataset
    if dataset is None:
        if mode != "benchmarking":
            raise ConfigError(f"{source}: dataset: missing mandatory section (class_names, and training_path or "
                              f"test_path); only operation_mode benchmarking works without it")
        config.dataset = DatasetConfig()
        return False
    if mode in TRAINING_MODES and not dataset.training_path:
        raise ConfigError(f"{source}: dataset.training_path: missing mandatory key; operation_mode {mode} trains "
                          f"on it (a folder in ST's session layout)")
    if mode == "evaluation" and not (dataset.training_path or dataset.test_path):
        raise ConfigError(f"{source}: dataset.test_path: missing; operation_mode evaluation scores the model on "
                          f"test_path (or, without it, on the validation split of training_path)")
    return bool(dataset.class_names or dataset.classes_file_path or mode != "benchmarking")


def read_class_names_file(path: str, source: str) -> list[str]:
    """ST 4.x ``dataset.classes_file_path``: one class name per line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: dataset.classes_file_path: cannot read {path} ({exc})") from exc
    return [line.strip() for line in lines if line.strip()]


def not_used_keys(cls, raw, prefix: str = "") -> dict[str, str]:
    """``{key path: why}`` for every key the file sets (not null) that is accepted but not used here."""
    found: dict[str, str] = {}
    if not isinstance(raw, dict) or not dataclasses.is_dataclass(cls):
        return found
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name not in raw or raw[f.name] is None:
            continue
        path = f"{prefix}{f.name}"
        if f.metadata.get("unused"):
            found[path] = f.metadata["unused"]
        else:
            found.update(not_used_keys(_dataclass_of(hints[f.name]), raw[f.name], path + "."))
    return found


def not_used_note(config) -> str | None:
    """One line naming the ST keys this config sets that are not used here (None when there are none)."""
    if not config.not_used:
        return None
    return (f"note: {config.source}: not used here (accepted as ST's files have them; README, configuration "
            f"reference): {', '.join(config.not_used)}")


def _dataclass_of(hint):
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    target = args[0] if typing.get_origin(hint) is typing.Union and len(args) == 1 else hint
    return target if dataclasses.is_dataclass(target) else None
