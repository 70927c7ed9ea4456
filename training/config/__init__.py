"""The YAML configuration (ST model-zoo format), parsed once into typed objects."""
from training.config.loader import config_to_dict, load_config, save_resolved_config
from training.config.schema import Config

__all__ = ["Config", "config_to_dict", "load_config", "save_resolved_config"]
