"""``python -m tests.model_files.make_keras2 FOLDER`` writes ``keras2_functional.h5`` and ``keras2_sequential.h5``
with Keras 2 (``tf_keras``), the way ST saved its published ``CNN2D_ST_HandPosture_8classes.h5``: a legacy HDF5
file of a functional model whose InputLayer is ``input_1``, and a Sequential one. Random weights (seeded), four
classes (the synthetic dataset's). A process of its own: Keras 2 and Keras 3 do not share one process well.
The suite makes them once (``tests.shared_runs.keras2_model_files``); no model file is committed.
"""
from __future__ import annotations

import sys
from pathlib import Path

CLASSES = 4
KERAS2_FILES = ("keras2_functional.h5", "keras2_sequential.h5")


def functional(k):
    """CNN2D_ST_HandPosture v1 (the reference facts, section 2) as Keras 2 builds it: default layer names."""
    inputs = k.Input((8, 8, 2))  # named input_1 by Keras 2, as in ST's file
    x = k.layers.Conv2D(8, (3, 3), padding="valid", use_bias=True)(inputs)
    x = k.layers.Activation("relu")(x)
    x = k.layers.MaxPooling2D((2, 2))(x)
    x = k.layers.Dropout(0.2)(x)
    x = k.layers.Flatten()(x)
    x = k.layers.Dense(32, activation="relu")(x)
    outputs = k.layers.Dense(CLASSES, activation="softmax")(x)
    return k.Model(inputs, outputs, name="CNN2D_ST_HandPosture")


def sequential(k):
    return k.Sequential([k.layers.InputLayer(input_shape=(8, 8, 2)), k.layers.Conv2D(8, (3, 3), activation="relu"),
                         k.layers.MaxPooling2D((2, 2)), k.layers.Flatten(), k.layers.Dense(32, activation="relu"),
                         k.layers.Dense(CLASSES, activation="softmax")], name="sequential_handposture")


def main(folder: Path) -> None:
    import tf_keras as k

    k.utils.set_random_seed(24)
    model = functional(k)
    assert model.layers[0].name == "input_1", model.layers[0].name
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / KERAS2_FILES[0])
    sequential(k).save(folder / KERAS2_FILES[1])
    print(f"tf_keras {k.__version__}: wrote {', '.join(str(folder / name) for name in KERAS2_FILES)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
