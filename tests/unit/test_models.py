"""The model zoo entry, ST's frozen-layer syntax and ST's rules for a loaded model."""
from __future__ import annotations

import keras
import pytest

from training.config.loader import config_from_dict
from training.errors import ConfigError, ModelError
from training.models.cnn2d_st import build_cnn2d_st_handposture
from training.models.factory import model_for_config
from training.models.frozen_layers import parse_frozen_layers


def test_cnn2d_parameter_count_matches_st():
    assert build_cnn2d_st_handposture(8).count_params() == 2752
    two = build_cnn2d_st_handposture(2)
    assert two.output_shape == (None, 1) and two.layers[-1].activation.__name__ == "sigmoid"


def test_cnn2d_layer_order():
    names = [type(layer).__name__ for layer in build_cnn2d_st_handposture(8).layers]
    assert names == ["InputLayer", "Conv2D", "Activation", "MaxPooling2D", "Dropout", "Flatten", "Dense", "Dense"]


@pytest.mark.parametrize("text,expected", [
    ("(0:-1)", [0, 1, 2, 3, 4, 5, 6]),
    ("(2:5)", [2, 3, 4]),
    ("(6:)", [6, 7]),
    ("(1, 3:5, -1)", [1, 3, 4, 7]),
    ("(1)", [1]),
    (None, []),
    ("", []),
    ("None", []),
])
def test_frozen_layers_syntax(text, expected):
    assert parse_frozen_layers(text, 8) == expected


@pytest.mark.parametrize("text,message", [("0:-1", "in parentheses"), ("(a:b)", "not an index"),
                                          ("(12)", "outside the model's 8 layers"), ("(1,,2)", "not an index")])
def test_frozen_layers_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_frozen_layers(text, 8)


def config(**training):
    base = {"batch_size": 8, "epochs": 1, "optimizer": "Adam", **training}
    general = {"model_path": base.pop("model_path")} if "model_path" in base else {}
    return config_from_dict({"general": general, "dataset": {"class_names": ["None", "Like", "Fist"],
                                                             "training_path": "/d"}, "training": base})


def test_frozen_layers_are_applied_to_the_built_model():
    model = model_for_config(config(model={"name": "CNN2D_ST_HandPosture"}, frozen_layers="(0:-1)"), 3)
    assert [layer.trainable for layer in model.layers] == [False] * 7 + [True]


def test_loaded_model_dropout_rules(tmp_path):
    path = tmp_path / "m.keras"
    saved = build_cnn2d_st_handposture(3, dropout=0.2)
    saved.layers[1].trainable = False
    saved.save(path)
    with pytest.raises(ModelError, match="has Dropout layer.*training.dropout is not set"):
        model_for_config(config(model_path=str(path)), 3)
    model = model_for_config(config(model_path=str(path), dropout=0.4), 3)
    assert model.get_layer("dropout").rate == 0.4
    assert all(layer.trainable for layer in model.layers)  # frozen layers of the file are reset


def test_dropout_set_without_dropout_layer(tmp_path):
    inputs = keras.Input((8, 8, 2))
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(inputs))
    path = tmp_path / "m.h5"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(ModelError, match="has no Dropout layer"):
        model_for_config(config(model_path=str(path), dropout=0.1), 3)


def test_model_file_problems(tmp_path):
    with pytest.raises(ModelError, match="must end in .h5 or .keras"):
        model_for_config(config(model_path=str(tmp_path / "m.onnx")), 3)
    with pytest.raises(ModelError, match="not found"):
        model_for_config(config(model_path=str(tmp_path / "m.h5")), 3)
    (tmp_path / "junk.h5").write_bytes(b"junk")
    with pytest.raises(ModelError, match=r"not a Keras model \(an \.h5 file is an HDF5 file and this one is not"):
        model_for_config(config(model_path=str(tmp_path / "junk.h5")), 3)
    (tmp_path / "junk.keras").write_bytes(b"junk")
    with pytest.raises(ModelError, match=r"not a Keras model \(a \.keras file is a zip archive and this one is not"):
        model_for_config(config(model_path=str(tmp_path / "junk.keras")), 3)


def test_output_size_must_match_classes(tmp_path):
    path = tmp_path / "m.keras"
    build_cnn2d_st_handposture(5).save(path)
    with pytest.raises(ModelError, match="has 5 outputs but dataset.class_names has 3"):
        model_for_config(config(model_path=str(path), dropout=0.0), 3)


def test_custom_model_hook_from_file(tmp_path):
    module = tmp_path / "net.py"
    module.write_text("import keras\n"
                      "def get_custom_model(num_classes, input_shape, dropout):\n"
                      "    i = keras.Input(input_shape)\n"
                      "    return keras.Model(i, keras.layers.Dense(num_classes, activation='softmax')"
                      "(keras.layers.Flatten()(i)))\n")
    model = model_for_config(config(model={"name": "custom", "file": str(module)}), 3)
    assert model.count_params() == 128 * 3 + 3
    built_in = model_for_config(config(model={"name": "custom"}, dropout=0.1), 3)
    assert built_in.output_shape == (None, 3)
