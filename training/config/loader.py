"""Loading a YAML config into :class:`~training.config.schema.Config`, with clear errors.

Order: safe-load the YAML, apply ``section.key=value`` overrides, expand ``${VAR}``
environment variables in strings, then validate every key against the schema
(unknown keys, types, ranges, choices, required keys), then the cross-field rules
(class names, model vs model_path, distances). Every error names the file and
the key path, and what is allowed.
"""
from __future__ import annotations

import dataclasses
import difflib
import os
import re
import typing
from pathlib import Path
from typing import Any

import yaml

from training.config import schema
from tofhil.postprocessing import ST_NO_POSTURE_CLASS
from training.config.st_compat import check_dataset, map_st_4x, not_used_keys, read_class_names_file
from training.config.yaml_guard import read_config_text, safe_load_config
from training.data.classes import ST_CLASS_IDS, unknown_classes
from training.errors import ConfigError
from training.models.frozen_layers import parse_frozen_layers
from tofhil.per_layer_selection import parse_per_layer

_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PATH_KEYS = (("dataset", "training_path"), ("dataset", "validation_path"), ("dataset", "test_path"),
              ("dataset", "classes_file_path"), ("general", "model_path"), ("model", "model_path"),
              ("training", "model", "file"), ("training", "trained_model_path"), ("hil", "output_dir"),
              ("tools", "stedgeai", "path_to_stedgeai"), ("tools", "stm32ai", "path_to_stm32ai"))
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[/\\]")  # ST's examples hold C:/... paths: left as written


def load_config(path: str | Path, overrides: list[str] | None = None) -> schema.Config:
    path = Path(path)
    raw = safe_load_config(read_config_text(path), str(path))
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections (general, dataset, training, ...)")
    for override in overrides or []:
        apply_override(raw, override, path)
    return config_from_dict(raw, source=str(path), base_dir=path.parent)


def apply_override(raw: dict, override: str, path: Path) -> None:
    """Apply ``section.key=value``; the value is parsed as YAML (numbers, lists, null)."""
    if "=" not in override:
        raise ConfigError(f"{path}: override {override!r} must look like section.key=value")
    key_path, value_text = override.split("=", 1)
    keys = key_path.strip().split(".")
    if not all(keys):
        raise ConfigError(f"{path}: override {override!r}: {key_path!r} is not a key path like section.key")
    value = safe_load_config(value_text, f"{path}: override {override!r}")
    if tuple(keys) in _PATH_KEYS and isinstance(value, str) and value and not Path(value).is_absolute():
        value = str(Path.cwd() / value)  # typed on the command line: relative to where the user is
    node = raw
    for key in keys[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[keys[-1]] = value


def config_from_dict(raw: dict, source: str = "<config>", base_dir: Path | None = None) -> schema.Config:
    raw = _expand_env(raw, source, ())
    config = _build(schema.Config, raw, source, ())
    config.source = source
    config.not_used = not_used_keys(schema.Config, raw)
    _resolve_paths(config, base_dir or Path.cwd())
    map_st_4x(config, source)
    _check_rules(config, source)
    return config


def _expand_env(value: Any, source: str, key_path: tuple) -> Any:
    if isinstance(value, dict):
        return {k: _expand_env(v, source, key_path + (str(k),)) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, source, key_path) for v in value]
    if isinstance(value, str):
        def replace(match):
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(f"{source}: {'.'.join(key_path)}: environment variable {name} is not set "
                                  f"(set it, e.g. export {name}=/path/to/ST_VL53L8CX_handposture_dataset, "
                                  f"or write the path in the config)")
            return os.environ[name]
        return _ENV_PATTERN.sub(replace, value)
    return value


def _build(cls, raw: Any, source: str, key_path: tuple):
    where = ".".join(key_path) or "top level"
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: {where}: expected a mapping of keys, got {_kind(raw)} {raw!r}")
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    unknown = [k for k in raw if k not in fields]
    if unknown:
        raise ConfigError(f"{source}: {where}: unknown key(s) {unknown}{_nearest(unknown, fields)}; "
                          f"allowed keys: {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, f in fields.items():
        sub_path = key_path + (name,)
        if name not in raw or raw[name] is None:
            if f.metadata.get("required"):
                raise ConfigError(f"{source}: {'.'.join(sub_path)}: missing mandatory key")
            if name in raw and dataclasses.is_dataclass(_unwrap(hints[name])) and not _is_optional(hints[name]):
                values[name] = _build(_unwrap(hints[name]), {}, source, sub_path)
            continue
        values[name] = _convert(hints[name], raw[name], f, source, sub_path)
    return cls(**values)


def _nearest(unknown: list, fields) -> str:
    """``; did you mean 'training_path'?`` for the misspelt keys that are close to a real one."""
    guesses = []
    for key in unknown:
        close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
        close = close or [f for f in fields if f.lower() == str(key).lower()]
        guesses += [f"{key!r} -> {close[0]!r}"] if close else []
    return f"; did you mean {', '.join(guesses)}?" if guesses else ""


def _convert(hint, value, f, source, key_path):
    where = f"{source}: {'.'.join(key_path)}"
    target = _unwrap(hint)
    if dataclasses.is_dataclass(target):
        return _build(target, value, source, key_path)
    if target is bool and not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {_kind(value)} {value!r}")
    if target is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{where}: expected a whole number, got {_kind(value)} {value!r}")
    if target is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {_kind(value)} {value!r}")
        value = float(value)
    if target is str and not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {_kind(value)} {value!r}")
    if target is list and not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list, got {_kind(value)} {value!r}")
    if target is dict and not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping, got {_kind(value)} {value!r}")
    choices, bounds = f.metadata.get("choices"), f.metadata.get("range")
    if choices is not None and value not in choices:
        raise ConfigError(f"{where}: {value!r} is not one of {[c for c in choices if c is not None]}")
    if bounds is not None and not (bounds[0] <= value <= bounds[1]):
        raise ConfigError(f"{where}: {value!r} is out of range [{bounds[0]}, {bounds[1]}]")
    if f.metadata.get("positive") and not value > 0:
        raise ConfigError(f"{where}: {value!r} must be a positive number (or null for no limit)")
    return value


def _unwrap(hint):
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is typing.Union and len(args) == 1:
        return args[0]
    return hint


def _is_optional(hint) -> bool:
    return typing.get_origin(hint) is typing.Union and type(None) in typing.get_args(hint)


def _kind(value) -> str:
    return type(value).__name__


def _resolve_paths(config: schema.Config, base_dir: Path) -> None:
    """Relative paths are taken from the config file's folder, so a config works from any cwd."""
    for keys in _PATH_KEYS:
        owner = config
        for key in keys[:-1]:
            owner = getattr(owner, key, None)
            if owner is None:
                break
        if owner is None:
            continue
        value = getattr(owner, keys[-1])
        if value and not Path(value).is_absolute() and not _WINDOWS_DRIVE.match(value):
            setattr(owner, keys[-1], str((base_dir / value).resolve()))


def _check_rules(config: schema.Config, source: str) -> None:
    if check_dataset(config, source):
        _check_class_names(config, source)
    _check_other_rules(config, source)


def _check_class_names(config: schema.Config, source: str) -> None:
    if not config.dataset.class_names and config.dataset.classes_file_path:
        config.dataset.class_names = read_class_names_file(config.dataset.classes_file_path, source)
    names = config.dataset.class_names
    if not names or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{source}: dataset.class_names: expected a non-empty list of class names")
    bad = unknown_classes(names)
    if bad:
        raise ConfigError(f"{source}: dataset.class_names: {bad} not in ST's class dictionary; "
                          f"known names: {sorted(ST_CLASS_IDS, key=ST_CLASS_IDS.get)}")
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: dataset.class_names: duplicate names in {names}")
    if len(names) < 2:
        raise ConfigError(f"{source}: dataset.class_names: at least two classes are needed")
    chosen = config.postprocessing.no_posture_class
    # ST's default (None) may be missing from a model's classes (then -1 is shown); another name must be a class
    if chosen is not None and chosen != ST_NO_POSTURE_CLASS and chosen not in names:
        raise ConfigError(f"{source}: postprocessing.no_posture_class: {chosen!r} is not one of dataset.class_names "
                          f"{names}; name a class, or null for 'no posture' (-1)")


def _check_other_rules(config: schema.Config, source: str) -> None:
    pre = config.preprocessing
    if pre.Min_distance >= pre.Max_distance:
        raise ConfigError(f"{source}: preprocessing.Min_distance ({pre.Min_distance}) must be smaller than "
                          f"preprocessing.Max_distance ({pre.Max_distance})")
    try:
        config.hil.per_layer = parse_per_layer(config.hil.per_layer)
        config.hil.per_layer = None if config.hil.per_layer is None else str(config.hil.per_layer)
    except ValueError as exc:
        raise ConfigError(f"{source}: hil.per_layer: {exc}") from None
    training = config.training
    if config.operation_mode in MODEL_MODES and not config.general.model_path:
        raise ConfigError(f"{source}: general.model_path: missing; operation_mode {config.operation_mode} works "
                          f"on an existing model (.keras/.h5, or a .tflite): set general.model_path "
                          f"(ST 4.x layout: model.model_path)")
    if config.operation_mode in ("training", "chain_tqe") and training is None:
        raise ConfigError(f"{source}: training: missing; operation_mode {config.operation_mode} needs a training "
                          f"section (batch_size, epochs, optimizer, model)")
    if training is None:
        return
    _check_frozen_layers(training.frozen_layers, source)
    if training.model is not None and config.general.model_path:
        raise ConfigError(f"{source}: training.model and general.model_path are both set; "
                          f"use training.model to build a model, or general.model_path to load one, not both")
    if training.model is None and not config.general.model_path:
        raise ConfigError(f"{source}: training.model: missing; set training.model (name: CNN2D_ST_HandPosture "
                          f"or custom) or general.model_path")
    if training.model is not None:
        training.model.input_shape = parse_input_shape(training.model.input_shape, source)
        if training.model.name == "CNN2D_ST_HandPosture" and training.model.input_shape != (8, 8, 2):
            raise ConfigError(f"{source}: training.model.input_shape: CNN2D_ST_HandPosture takes (8, 8, 2), "
                              f"got {training.model.input_shape}")


def _check_frozen_layers(text, source: str) -> None:
    """The syntax now, before any data is read; the indices are checked against the model when it is built."""
    if text is None:
        return
    try:
        parse_frozen_layers(text, MAX_LAYERS_FOR_SYNTAX)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc


MODEL_MODES = ("evaluation", "export", "deployment", "benchmarking")
MAX_LAYERS_FOR_SYNTAX = 1 << 20
MAX_INPUT_DIMENSION = 4096


def parse_input_shape(value, source: str) -> tuple[int, ...]:
    where = f"{source}: training.model.input_shape"
    if isinstance(value, str):
        parts = [p.strip() for p in value.strip().strip("()[]").split(",") if p.strip()]
        if not all(p.isdigit() for p in parts):
            raise ConfigError(f"{where}: {value!r} is not a shape of whole numbers like (8, 8, 2)")
        shape = tuple(int(p) for p in parts)
    elif isinstance(value, (list, tuple)):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ConfigError(f"{where}: {value!r} must hold whole numbers, like [8, 8, 2]")
        shape = tuple(value)
    else:
        raise ConfigError(f"{where}: {value!r} is not a shape like (8, 8, 2)")
    if not shape or any(not 0 < d <= MAX_INPUT_DIMENSION for d in shape):
        raise ConfigError(f"{where}: {value!r} must have dimensions in [1, {MAX_INPUT_DIMENSION}]")
    return shape


def config_to_dict(config: schema.Config) -> dict:
    """The resolved config as plain YAML-ready data (saved with every run)."""
    data = dataclasses.asdict(config)
    data.pop("source", None)
    data.pop("not_used", None)
    model = (data.get("training") or {}).get("model")
    if model and isinstance(model.get("input_shape"), tuple):
        model["input_shape"] = str(model["input_shape"])
    return _drop_none(data)


def _drop_none(value):
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value


def save_resolved_config(config: schema.Config, path: Path) -> None:
    path.write_text("# resolved configuration of this run (defaults filled in, paths absolute)\n"
                    + yaml.safe_dump(config_to_dict(config), sort_keys=False))
