"""Random small Keras models mixing every layer the int8 runtime supports."""
from __future__ import annotations

import numpy as np

ACTIVATIONS = (None, "relu", "relu6")


def _activation(rng):
    return ACTIVATIONS[rng.integers(len(ACTIVATIONS))]


def _fits(size: int, kernel: int, padding: str) -> bool:
    return padding == "same" or size >= kernel


def _spatial_layer(rng, x, layers):
    h, w, c = (int(d) for d in x.shape[1:])
    kind = rng.choice(["conv", "depthwise", "maxpool", "avgpool", "residual"])
    kernel = int(rng.integers(1, 6))  # 1x1 to 5x5: the generated code unrolls each window row
    stride = int(rng.integers(1, 3))
    padding = str(rng.choice(["valid", "same"]))
    if not (_fits(h, kernel, padding) and _fits(w, kernel, padding)):
        padding = "same"
    if kind == "conv":
        return layers.Conv2D(int(rng.integers(1, 7)), kernel, strides=stride, padding=padding,
                             activation=_activation(rng))(x)
    if kind == "depthwise":
        return layers.DepthwiseConv2D(kernel, strides=stride, padding=padding, depth_multiplier=int(rng.integers(1, 4)),
                                      activation=_activation(rng))(x)
    if kind == "maxpool":
        return layers.MaxPooling2D(max(kernel, 2) if min(h, w) >= 2 else 1, strides=stride, padding=padding)(x)
    if kind == "avgpool":
        return layers.AveragePooling2D(max(kernel, 2) if min(h, w) >= 2 else 1, strides=stride, padding=padding)(x)
    branch = layers.Conv2D(c, kernel, padding="same", activation=_activation(rng))(x)
    out = layers.Add()([x, branch])
    return layers.ReLU()(out) if rng.random() < 0.5 else out


def random_model(seed: int):
    """A batch-1 functional model: 1-3 spatial layers, flatten/reshape, dense layers, optional softmax."""
    import keras
    from keras import layers

    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    shape = (int(rng.integers(3, 10)), int(rng.integers(3, 10)), int(rng.integers(1, 4)))
    inputs = keras.Input(shape, batch_size=1)
    x = inputs
    for _ in range(int(rng.integers(1, 4))):
        x = _spatial_layer(rng, x, layers)
    if rng.random() < 0.5:
        x = layers.Flatten()(x)
    else:
        x = layers.Reshape((int(np.prod(x.shape[1:])),))(x)
    if rng.random() < 0.6:
        x = layers.Dense(int(rng.integers(2, 20)), activation=_activation(rng))(x)
    units = int(rng.integers(2, 10))
    outputs = layers.Dense(units, activation="softmax" if rng.random() < 0.6 else _activation(rng))(x)
    return keras.Model(inputs, outputs, name=f"random_{seed}")


def calibration_data(model, seed: int, count: int = 48) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    return rng.normal(0.0, 1.0, (count, *model.input_shape[1:])).astype(np.float32)
