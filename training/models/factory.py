"""Getting the model a config asks for: built from the zoo, a custom hook, or loaded from a file.

ST's rules for a loaded model (general.model_path): frozen layers are reset to
trainable, then ``training.frozen_layers`` applies; ``training.dropout`` set but
no Dropout layer is an error, and so is a Dropout layer with ``dropout`` unset.
"""
from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import keras

from training.config.schema import Config
from training.errors import ModelError
from training.models.cnn2d_st import build_cnn2d_st_handposture
from training.models.frozen_layers import parse_frozen_layers


def model_for_config(config: Config, num_classes: int) -> keras.Model:
    training = config.training
    if config.general.model_path:
        model = load_model_file(config.general.model_path)
        _apply_dropout_rules(model, training.dropout, config.general.model_path)
    elif training.model.name == "CNN2D_ST_HandPosture":
        model = build_cnn2d_st_handposture(num_classes, training.model.input_shape, training.dropout)
    else:
        model = _custom_model(training.model.file, num_classes, training.model.input_shape, training.dropout)
    _check_output(model, num_classes)
    for layer in model.layers:
        layer.trainable = True
    for index in parse_frozen_layers(training.frozen_layers, len(model.layers)):
        model.layers[index].trainable = False
    return model


def load_model_file(path: str | Path) -> keras.Model:
    path = Path(path)
    if path.suffix not in (".h5", ".keras"):
        raise ModelError(f"{path}: a model file must end in .h5 or .keras")
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    if not _has_model_signature(path):
        kind = "a .keras file is a zip archive" if path.suffix == ".keras" else "an .h5 file is an HDF5 file"
        raise ModelError(f"{path}: not a Keras model ({kind} and this one is not: corrupt or truncated); "
                         "train again or restore the file")
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as exc:  # Keras raises many types for a bad file
        raise ModelError(f"{path}: cannot load as a Keras model ({type(exc).__name__}: {exc})") from exc


def _has_model_signature(path: Path) -> bool:
    """The container Keras expects, checked first: Keras calls an unreadable .keras file "not found"."""
    if path.suffix == ".keras":
        return zipfile.is_zipfile(path)
    with path.open("rb") as file:  # HDF5's signature at offset 0 (or 512, 1024, ... after a user block)
        head = file.read(4096)
    return any(head[offset:offset + 8] == b"\x89HDF\r\n\x1a\n" for offset in (0, 512, 1024, 2048))


def _apply_dropout_rules(model: keras.Model, dropout: float | None, path) -> None:
    dropout_layers = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    if dropout is not None and not dropout_layers:
        raise ModelError(f"training.dropout is set ({dropout}) but the model {path} has no Dropout layer; "
                         f"remove training.dropout")
    if dropout is None and dropout_layers:
        raise ModelError(f"the model {path} has Dropout layer(s) {[l.name for l in dropout_layers]} but "
                         f"training.dropout is not set; set it (0 to disable)")
    for layer in dropout_layers:
        layer.rate = dropout


def _custom_model(file: str | None, num_classes, input_shape, dropout) -> keras.Model:
    if file is None:
        from training.models.custom_model import get_custom_model
    else:
        get_custom_model = _load_function(Path(file), "get_custom_model")
    model = get_custom_model(num_classes=num_classes, input_shape=input_shape, dropout=dropout)
    if not isinstance(model, keras.Model):
        raise ModelError(f"get_custom_model() returned {type(model).__name__}, expected a keras.Model")
    return model


def _load_function(path: Path, name: str):
    if not path.is_file():
        raise ModelError(f"training.model.file: {path} not found")
    spec = importlib.util.spec_from_file_location(f"custom_model_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, name):
        raise ModelError(f"training.model.file: {path} defines no function {name}()")
    return getattr(module, name)


def _check_output(model: keras.Model, num_classes: int) -> None:
    expected = 1 if num_classes == 2 else num_classes
    units = model.output_shape[-1]
    if units != expected:
        raise ModelError(f"model {model.name!r} has {units} outputs but dataset.class_names has {num_classes} "
                         f"classes (expected {expected} outputs)")
