"""ST's own config sections, both generations, so ST's files load unchanged.

The older generation (stm32ai-modelzoo-services up to 46924c0) and the 4.x layout share these sections; the
4.x top-level ``model:`` section is :class:`StModelSection` (mapped onto ``training.model`` and
``general.model_path`` by ``generations.py``). A key with ``unused=...`` is accepted and named once, in a note,
as not used here; the README's configuration reference has the whole table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from training.config.fields import spec

# ST's model names (4.x ``model.model_name``) -> ours (``training.model.name``)
ST_MODEL_NAMES = {"st_cnn2d_handposture": "CNN2D_ST_HandPosture", "CNN2D_ST_HandPosture": "CNN2D_ST_HandPosture",
                  "custom_model": "custom", "custom": "custom"}


@dataclass
class StModelSection:
    """4.x: ``model:`` at the top level (model_name or model_path, as ST's parser wants one of them)."""

    model_name: Optional[str] = spec(None, choices=(None, *ST_MODEL_NAMES), doc="-> training.model.name")
    model_path: Optional[str] = spec(None, doc="-> general.model_path")
    input_shape: Any = spec(None, doc="-> training.model.input_shape")
    framework: Optional[str] = spec(None, unused="TensorFlow/Keras only here")


@dataclass
class StEdgeAiConfig:
    version: Optional[Any] = spec(None, doc="ST Edge AI version on the Developer Cloud (--st-version)")
    optimization: Optional[str] = spec(None, unused="ST's analyze uses its default (balanced)")
    on_cloud: Optional[bool] = spec(None, doc="benchmarking: true = ST's Developer Cloud, false = local stedgeai")
    path_to_stedgeai: Optional[str] = spec(None, doc="the local stedgeai executable (benchmarking, on_cloud false)")


@dataclass
class LegacyStm32AiConfig:
    """``tools.stm32ai``: the name ST's parser still reads before ``stedgeai``."""

    version: Optional[Any] = spec(None, doc="as tools.stedgeai.version")
    optimization: Optional[str] = spec(None, unused="ST's analyze uses its default (balanced)")
    on_cloud: Optional[bool] = spec(None, doc="as tools.stedgeai.on_cloud")
    path_to_stm32ai: Optional[str] = spec(None, doc="as tools.stedgeai.path_to_stedgeai")


@dataclass
class ToolsConfig:
    stedgeai: Optional[StEdgeAiConfig] = spec(None)
    stm32ai: Optional[LegacyStm32AiConfig] = spec(None)
    path_to_cubeIDE: Optional[str] = spec(None, unused="the firmware is built with make and arm-none-eabi-gcc")


@dataclass
class BenchmarkingConfig:
    board: Optional[str] = spec(None, doc="the Developer Cloud board of ST's benchmark (--st-board)")


@dataclass
class HardwareSetupConfig:
    serie: Optional[str] = spec(None, unused="the chip comes from our board file")
    board: Optional[str] = spec(None, doc="NUCLEO-F401RE -> our nucleo-f401re (or one of our board names)")
    stlink_serial_number: Optional[str] = spec(None, doc="the ST-LINK to flash when several are attached (--probe)")


@dataclass
class DeploymentConfig:
    c_project_path: Optional[str] = spec(None, unused="our firmware project is generated into the deployment "
                                                       "folder from firmware_templates/")
    IDE: Optional[str] = spec(None, unused="built with make and arm-none-eabi-gcc, not an IDE")
    verbosity: Optional[Any] = spec(None, unused="the build prints its own errors")
    hardware_setup: Optional[HardwareSetupConfig] = spec(None)


@dataclass
class PredictionConfig:
    test_files_path: Optional[str] = spec(None, unused="no prediction mode here (ST's hand posture runs none)")
    seed: Optional[int] = spec(None, unused="no prediction mode here")
    target: Optional[str] = spec(None, unused="no prediction mode here")


@dataclass
class CustomAugmentationConfig:
    function_name: Optional[str] = spec(None, unused="only data_augmentation's built-in transforms are applied")
    config: Optional[Any] = spec(None, unused="only data_augmentation's built-in transforms are applied")
