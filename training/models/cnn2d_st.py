"""``CNN2D_ST_HandPosture`` v1, layer for layer as ST's model zoo defines it.

Input(8,8,2) -> Conv2D(8, 3x3, valid) -> ReLU -> MaxPool 2x2 -> Dropout -> Flatten
-> Dense(32, relu) -> Dense(K, softmax) (Dense(1, sigmoid) for two classes).
2,752 parameters for K = 8. The Dropout layer is always present (rate 0 when
``training.dropout`` is unset) so that ST's dropout rules apply to it.
"""
from __future__ import annotations

import keras
from keras import layers


def build_cnn2d_st_handposture(num_classes: int, input_shape=(8, 8, 2), dropout: float | None = None,
                               batch_size: int | None = None) -> keras.Model:
    inputs = keras.Input(shape=tuple(input_shape), batch_size=batch_size, name="input")
    x = layers.Conv2D(8, (3, 3), padding="valid", use_bias=True, name="conv2d")(inputs)
    x = layers.Activation("relu", name="conv2d_relu")(x)
    x = layers.MaxPooling2D((2, 2), name="max_pooling2d")(x)
    x = layers.Dropout(dropout or 0.0, name="dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(32, activation="relu", name="dense")(x)
    if num_classes == 2:
        outputs = layers.Dense(1, activation="sigmoid", name="output")(x)
    else:
        outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="CNN2D_ST_HandPosture")
