"""Temperature scaling folded into the model: fit one temperature T on the validation split (negative
log-likelihood, :func:`tofhil.calibration.fit_temperature`), then divide the last Dense layer's kernel and bias
by T. softmax((W h + b) / T) = softmax((W / T) h + b / T): the float argmax is unchanged, the model file stays
an ordinary Keras model, and the int8 export quantizes the folded layer as any other (nothing new on the device).
"""
from __future__ import annotations

import keras
import numpy as np

from tofhil.calibration import fit_temperature, reliability
from training.errors import ConfigError


def last_softmax_dense(model: keras.Model) -> keras.layers.Dense:
    layer = model.layers[-1]
    activation = getattr(layer, "activation", None)
    if not isinstance(layer, keras.layers.Dense) or getattr(activation, "__name__", "") != "softmax":
        raise ConfigError(f"training.calibration: temperature needs a model ending in Dense(K, softmax); "
                          f"{model.name} ends in {type(layer).__name__}")
    return layer


def calibrate(model: keras.Model, x: np.ndarray, y: np.ndarray, temperature: float | None = None) -> dict:
    """Fit T on (x, y) (or take the given one), fold it into ``model`` in place; the calibration before and after
    on (x, y), for metrics.json."""
    layer = last_softmax_dense(model)
    if not len(y):
        raise ConfigError("training.calibration: temperature is fitted on the validation split, which has no frames")
    before = np.asarray(model.predict(x, batch_size=1024, verbose=0), np.float64)
    fitted = temperature is None
    temperature = fit_temperature(before, y) if fitted else float(temperature)
    kernel, bias = (np.asarray(w) for w in layer.get_weights())
    layer.set_weights([kernel / temperature, bias / temperature])
    after = np.asarray(model.predict(x, batch_size=1024, verbose=0), np.float64)
    return {"method": "temperature", "temperature": temperature, "fitted_on": "validation" if fitted else None,
            "argmax_changed": int(np.sum(before.argmax(axis=1) != after.argmax(axis=1))),
            "before": _summary(before, y), "after": _summary(after, y)}


def _summary(probabilities: np.ndarray, y: np.ndarray) -> dict:
    measured = reliability(probabilities, y)
    return {key: measured[key] for key in ("ece", "mean_confidence", "accuracy", "frames")}
