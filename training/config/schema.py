"""Typed configuration: one dataclass per YAML section, in ST model-zoo format.

Field metadata carries what the validator in ``loader.py`` enforces: ``range``
(inclusive bounds), ``choices``, ``required``, and ``unused`` for ST keys accepted
but not used here. Anything not declared here is an unknown key, hence an error
(with the nearest real key). ST's own sections (both generations) are in
``st_sections.py``; ``st_compat.py`` maps the 4.x layout onto these fields.
Sections grow by adding a dataclass and a field in :class:`Config`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from tofhil.boards import board_choices
from tofhil.gate_thresholds import GateThresholds
from tofhil.postprocessing import Postprocessing
from training.config.fields import spec
from training.config.st_sections import (BenchmarkingConfig, CustomAugmentationConfig, DeploymentConfig,
                                         PredictionConfig, StModelSection, ToolsConfig)


@dataclass
class GeneralConfig:
    project_name: str = spec("handposture", doc="MLflow experiment name")
    logs_dir: str = spec("logs", doc="TensorBoard folder inside the run folder")
    saved_models_dir: str = spec("saved_models", doc="model folder inside the run folder")
    deterministic_ops: bool = spec(False, doc="deterministic TensorFlow ops (identical CPU runs)")
    global_seed: int = spec(123, range=(0, 2**31 - 1), doc="seed of splits, weights and augmentation")
    model_path: Optional[str] = spec(None, doc="Keras .h5/.keras file to continue training from, or the model "
                                               "that evaluation, export, deployment and benchmarking work on")
    display_figures: Optional[bool] = spec(None, unused="figures are always saved in the run folder, never shown")
    gpu_memory_limit: Optional[float] = spec(None, unused="TensorFlow runs on the CPU here")
    num_threads_tflite: Optional[int] = spec(None, unused="the host's int8 reference is TFLite's BUILTIN_REF "
                                                          "kernels, one thread")


@dataclass
class DatasetConfig:
    name: str = spec("ST_handposture_dataset", doc="a label kept in the run's resolved config")
    dataset_name: Optional[str] = spec(None, doc="ST 4.x spelling of name")
    class_names: list = spec(factory=list, doc="names from ST's class dictionary (required, or classes_file_path)")
    classes_file_path: Optional[str] = spec(None, doc="ST 4.x: a text file with one class name per line")
    training_path: Optional[str] = spec(None, doc="root of ST's session layout (required to train)")
    validation_path: Optional[str] = spec(None)
    validation_split: float = spec(0.2, range=(0.01, 0.9))
    test_path: Optional[str] = spec(None)
    split_by: str = spec("session", choices=("session", "user", "frame"),
                         doc="what validation_split holds out; 'frame' is ST's leaky split")
    seed: Optional[int] = spec(None, unused="splits are drawn with general.global_seed")


@dataclass
class PreprocessingConfig:
    Max_distance: int = spec(400, range=(1, 4000), doc="mm; frames whose hand is farther are dropped")
    Min_distance: int = spec(100, range=(0, 3999), doc="mm; frames whose hand is nearer are dropped")
    Background_distance: int = spec(120, range=(1, 4000), doc="mm behind the hand kept; farther zones removed")
    normalization: str = spec("st", choices=("st", "hand_relative"), doc="input normalisation mode")
    center_hand: bool = spec(False, doc="translate each frame so the hand's centroid is in the middle")


@dataclass
class ModelConfig:
    name: str = spec(required=True, default=None, choices=("CNN2D_ST_HandPosture", "custom"))
    version: Optional[str] = spec(None, choices=("v1", None))
    input_shape: Any = spec((8, 8, 2), doc="'(8, 8, 2)' as in ST, or a list")
    file: Optional[str] = spec(None, doc="custom model: a .py file defining get_custom_model()")


@dataclass
class TrainingConfig:
    batch_size: int = spec(required=True, default=None, range=(1, 65536))
    epochs: int = spec(required=True, default=None, range=(1, 100000))
    optimizer: Any = spec(required=True, default=None, doc="{Name: {args}} or a Keras optimizer name")
    model: Optional[ModelConfig] = spec(None)
    dropout: Optional[float] = spec(None, range=(0.0, 0.99))
    callbacks: Optional[dict] = spec(None, doc="{Name: {args}}: Keras callbacks or ST LR schedules")
    frozen_layers: Optional[str] = spec(None, doc="ST index syntax, e.g. (0:-1)")
    class_weight: Optional[str] = spec(None, choices=(None, "balanced"), doc="weight classes by inverse frequency")
    label_smoothing: float = spec(0.0, range=(0.0, 0.5))
    calibration: str = spec("none", choices=("none", "temperature"),
                            doc="temperature: after training, fit a temperature on the validation split and fold "
                                "it into the last Dense layer (same argmax; confidences meaningful for "
                                "postprocessing.threshold)")
    calibration_temperature: Optional[float] = spec(None, range=(0.01, 100.0), positive=True,
                                                    doc="with calibration: temperature, fold this T instead of "
                                                        "fitting one (e.g. an operating point chosen on other data)")
    trained_model_path: Optional[str] = spec(None, doc="ST (older generation): also copy the best model here")
    resume_training: Optional[bool] = spec(None, unused="a model.model_path is always trained on from its weights; "
                                                        "the optimizer state is not restored")
    dryrun: Optional[Any] = spec(None, unused="ST's dry run; train with training.epochs=1 instead")


@dataclass
class MlflowConfig:
    uri: Optional[str] = spec(None, doc="tracking URI; default sqlite:///<experiments_outputs>/mlflow.db")


@dataclass
class HydraRunConfig:
    dir: Optional[str] = spec(None, doc="run folder pattern; ${now:%Y_%m_%d_%H_%M_%S} is expanded")


@dataclass
class HydraConfig:
    run: Optional[HydraRunConfig] = spec(None)


@dataclass
class ExportConfig:
    representative_size: int = spec(500, range=(1, 1_000_000), doc="training frames that calibrate int8 ranges")
    representative_seed: int = spec(0, range=(0, 2**31 - 1), doc="seed of the representative draw")
    board: str = spec("nucleo-f401re", choices=board_choices(),
                      doc="board (configs/boards/*.yaml) of the footprint build and the firmware project")
    footprint: bool = spec(True, doc="build for the board with arm-none-eabi-gcc -Os and report flash/RAM")


PostprocessingConfig = Postprocessing  # typed once, in tofhil: the host reference hil and training replay
HilGatesConfig = GateThresholds  # typed once, in tofhil: the same class hil judges with


@dataclass
class HilConfig:
    """Defaults of ``python -m hil run`` and ``pytest hil``; every key can be overridden on the command line."""

    board: str = spec("qemu-stm32f405", doc="a board description in configs/boards/")
    mode: str = spec("raw", choices=("raw", "tensor"), doc="raw: sensor frames, preprocessed on the board")
    limit: Optional[int] = spec(None, range=(1, 2**31 - 1), doc="validate only the first N test frames")
    output_dir: Optional[str] = spec(None, doc="HIL output folder (default RUN/hil/<board>-<mode>-<stamp>)")
    per_layer: Optional[Any] = spec(None, doc="compare every layer with BUILTIN_REF's on: all, N (first N frames) "
                                              "or differing (frames whose outputs differ); null: off")
    gates: HilGatesConfig = spec(factory=HilGatesConfig)


# ST-style names: t = train, q = quantize (our export: int8 + C library + report), e = evaluate
# deployment and benchmarking are ST's: build + flash + check the board; ST's benchmark on ST's tools
OPERATION_MODES = ("training", "evaluation", "export", "chain_tqe", "deployment", "benchmarking")


@dataclass
class Config:
    dataset: Optional[DatasetConfig] = spec(None, doc="required except for operation_mode benchmarking")
    model: Optional[StModelSection] = spec(None, doc="ST 4.x: model_name / model_path / input_shape")
    training: Optional[TrainingConfig] = spec(None)
    general: GeneralConfig = spec(factory=GeneralConfig)
    operation_mode: str = spec("training", choices=OPERATION_MODES)
    preprocessing: PreprocessingConfig = spec(factory=PreprocessingConfig)
    data_augmentation: Optional[dict] = spec(None, doc="see training/data/augment.py")
    mlflow: MlflowConfig = spec(factory=MlflowConfig)
    export: ExportConfig = spec(factory=ExportConfig)
    hil: HilConfig = spec(factory=HilConfig)
    postprocessing: PostprocessingConfig = spec(factory=PostprocessingConfig,
                                                doc="ST's decision pipeline after the model (what the user sees)")
    hydra: Optional[HydraConfig] = spec(None, doc="accepted for ST compatibility: hydra.run.dir")
    tools: Optional[ToolsConfig] = spec(None, doc="ST's tools: stedgeai (benchmarking)")
    benchmarking: Optional[BenchmarkingConfig] = spec(None)
    deployment: Optional[DeploymentConfig] = spec(None)
    prediction: Optional[PredictionConfig] = spec(None)
    custom_data_augmentation: Optional[CustomAugmentationConfig] = spec(None)
    # Where the config came from, for messages and relative paths; not a YAML key.
    source: str = field(default="<config>", metadata={"internal": True})
    # ST keys the file sets that are accepted but not used here (key path: why), for one note.
    not_used: dict = field(default_factory=dict, metadata={"internal": True})
