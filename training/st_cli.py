"""ST's command line for ``python -m training run``: ``--config-path DIR --config-name FILE [key=value ...]``.

ST's ``stm32ai_main.py`` is a Hydra application called that way (the name may omit ``.yaml``; overrides are
``key=value``, Hydra's ``+key=value`` and ``++key=value`` included). Our own shape, ``run CONFIG.yaml [key=value]``,
stays; the two are not mixed.
"""
from __future__ import annotations

from pathlib import Path

from training.errors import ConfigError

DEFAULT_NAME = "user_config"  # ST's default config name


def resolve_st_command_line(args) -> None:
    """Set ``args.config`` (and ``args.overrides``) from ``--config-path``/``--config-name`` when they are used."""
    config, overrides = args.config, list(args.overrides or [])
    if config is not None and "=" in config and not Path(config).is_file():
        config, overrides = None, [config, *overrides]  # argparse took the first override for the config
    args.overrides = [o.lstrip("+") if "=" in o else o for o in overrides]
    st_shape = args.config_path is not None or args.config_name is not None
    if config is not None and st_shape:
        raise ConfigError(f"give the config either as CONFIG ({config}) or with --config-path/--config-name, "
                          f"not both")
    if config is not None:
        args.config = config
        return
    name = args.config_name or DEFAULT_NAME
    if Path(name).suffix not in (".yaml", ".yml"):
        name += ".yaml"
    path = Path(args.config_path or ".") / name
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file (from --config-path {args.config_path or '.'} "
                          f"--config-name {args.config_name or DEFAULT_NAME}); or give CONFIG.yaml directly")
    args.config = str(path)
