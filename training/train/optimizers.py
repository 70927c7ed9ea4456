"""Optimizer from the config: any Keras optimizer by name, with its arguments."""
from __future__ import annotations

import inspect

import keras

from training.errors import ConfigError


def build_optimizer(section) -> keras.optimizers.Optimizer:
    name, args = named_entry(section, "training.optimizer")
    cls = getattr(keras.optimizers, name, None)
    if not (inspect.isclass(cls) and issubclass(cls, keras.optimizers.Optimizer)):
        known = sorted(n for n, c in vars(keras.optimizers).items()
                       if inspect.isclass(c) and issubclass(c, keras.optimizers.Optimizer) and n != "Optimizer")
        raise ConfigError(f"training.optimizer: {name!r} is not a Keras optimizer; known: {known}")
    try:
        return cls(**args)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"training.optimizer.{name}: {exc}") from exc


def named_entry(section, where: str) -> tuple[str, dict]:
    """``Name`` or ``{Name: {args}}`` -> (Name, args)."""
    if isinstance(section, str):
        return section, {}
    if isinstance(section, dict) and len(section) == 1:
        name, args = next(iter(section.items()))
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise ConfigError(f"{where}.{name}: expected a mapping of arguments, got {args!r}")
        return str(name), dict(args)
    raise ConfigError(f"{where}: expected a name or a single {{Name: {{arguments}}}} mapping, got {section!r}")
