"""The custom-model hook, as in ST's model zoo: edit ``get_custom_model`` (or point
``training.model.file`` at your own .py file defining the same function).

It must return an uncompiled Keras model taking ``input_shape`` and ending in a
softmax over ``num_classes`` (a single sigmoid unit for two classes). Include a
Dropout layer if you intend to set ``training.dropout``.
"""
from __future__ import annotations

import keras
from keras import layers


def get_custom_model(num_classes: int, input_shape=(8, 8, 2), dropout: float | None = None) -> keras.Model:
    inputs = keras.Input(shape=tuple(input_shape), name="input")
    x = layers.DepthwiseConv2D((3, 3), padding="same", activation="relu", name="depthwise")(inputs)
    x = layers.Conv2D(8, (3, 3), padding="valid", activation="relu", name="conv2d")(x)
    x = layers.AveragePooling2D((2, 2), name="average_pooling2d")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="custom_handposture")
