"""Writes ``keras2_functional.h5`` and ``keras2_sequential.h5`` beside this file with Keras 2 (``tf_keras``), the
way ST saved its published ``CNN2D_ST_HandPosture_8classes.h5``: a legacy HDF5 file of a functional model whose
InputLayer is ``input_1``, and a Sequential one. Random weights (seeded), four classes (the synthetic dataset's).

The files are committed: ``tf_keras`` declares a dependency on the ``tensorflow`` distribution, which
``tensorflow-cpu`` does not satisfy, so it cannot sit in requirements.lock without failing ``pip check``. To make
them again (same TensorFlow 2.21)::

    pip download --no-deps tf_keras==2.21.0 -d /tmp/tfk
    pip install --no-deps --target /tmp/tfk/site /tmp/tfk/tf_keras-2.21.0-py3-none-any.whl
    PYTHONPATH=/tmp/tfk/site:. python -m tests.model_files.make_keras2
"""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
CLASSES = 4


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


def main() -> None:
    import tf_keras as k

    k.utils.set_random_seed(24)
    model = functional(k)
    assert model.layers[0].name == "input_1", model.layers[0].name
    model.save(HERE / "keras2_functional.h5")
    sequential(k).save(HERE / "keras2_sequential.h5")
    print(f"tf_keras {k.__version__}: wrote {HERE / 'keras2_functional.h5'}, {HERE / 'keras2_sequential.h5'}")


if __name__ == "__main__":
    main()
