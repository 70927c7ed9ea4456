"""Full-integer post-training quantization of a Keras model into an int8 ``.tflite``.

The model is rebuilt with a fixed batch of 1 (a dynamic batch turns Flatten into
SHAPE/STRIDED_SLICE/PACK ops), calibrated on a representative set drawn from the
training split, and converted with int8 kernels only and int8 input and output.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from training.errors import ExportError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def representative_sample(x: np.ndarray, size: int, seed: int) -> np.ndarray:
    """``size`` samples of ``x`` drawn without replacement with ``seed`` (all of ``x`` if smaller)."""
    if len(x) == 0:
        raise ExportError("the representative set is empty: no training frames passed preprocessing")
    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(len(x), size=min(size, len(x)), replace=False))
    return np.asarray(x[index], dtype=np.float32)


def load_keras_model(path: Path):
    """The Keras model to quantize; the same checks and messages as for training (ModelError)."""
    from training.models.factory import load_model_file

    return load_model_file(path)


def with_batch_one(model, source: Path | str = "the model"):
    """A copy of ``model`` whose one input has a fixed batch of 1, sharing the trained weights.

    A functional model gets the new input in the structure of ``model.input``: a Keras 2 one (ST's ``.h5``)
    loaded by Keras 3 keeps its input as a list of one tensor, a Keras 3 one as the tensor itself (or a dict).
    """
    import keras

    if len(model.inputs) != 1:
        names = ", ".join(tensor.name for tensor in model.inputs)
        raise ExportError(f"{source}: the model has {len(model.inputs)} inputs ({names}); the exporter takes a "
                          "model with one input (the 8x8x2 sensor frame)")

    tensor = keras.Input(tuple(model.inputs[0].shape[1:]), batch_size=1)
    # a Keras 2 Sequential loaded here has no model.input at all; Sequential takes the tensor itself
    structured = tensor if isinstance(model, keras.Sequential) else keras.tree.map_structure(lambda _: tensor,
                                                                                              model.input)
    clone = keras.models.clone_model(model, input_tensors=structured)
    clone.set_weights(model.get_weights())
    return clone


def quantize_keras_model(model, representative: np.ndarray, int8_io: bool = True,
                         source: Path | str = "the model") -> bytes:
    """Convert to a full-integer TFLite model calibrated on ``representative`` (N, *input_shape)."""
    import tensorflow as tf

    batch_one = with_batch_one(model, source)
    converter = tf.lite.TFLiteConverter.from_keras_model(batch_one)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    samples = np.asarray(representative, dtype=np.float32)

    def dataset():
        for sample in samples:
            yield [sample[None]]

    converter.representative_dataset = dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if int8_io:
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    with _captured_native_output() as captured:
        try:
            return bytes(converter.convert())
        except Exception as exc:  # the converter raises ConverterError and others
            raise ExportError(f"int8 conversion failed: {exc}\n{captured()}") from exc


@contextlib.contextmanager
def _captured_native_output():
    """Hold back what the converter prints (its SavedModel signature dump, C++ log lines) at the fd level.

    On failure the caller puts the captured text into the error; on success it is dropped.
    """
    with tempfile.TemporaryFile(mode="w+b") as sink, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs were expected")
        sys.stdout.flush()
        sys.stderr.flush()
        saved = [os.dup(1), os.dup(2)]
        try:
            for fd in (1, 2):
                os.dup2(sink.fileno(), fd)

            def text() -> str:
                sink.seek(0)
                return sink.read().decode(errors="replace")[-4000:]

            yield text
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in zip((1, 2), saved):
                os.dup2(copy, fd)
                os.close(copy)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
