"""A float ``.tflite`` made elsewhere: quantized here to full int8, and run as the float reference.

TFLite offers no converter from a ``.tflite``; the one path that exists is the converter's own second half,
which this module calls as ``TFLiteConverter._quantize`` does for a Keras model (calibrate on the representative
set, then the MLIR quantizer with int8 input and output), so the int8 model is made the same way as ours.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from training.errors import ExportError


def _interpreter(model_bytes: bytes):
    import warnings

    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        interpreter = tf.lite.Interpreter(
            model_content=bytes(model_bytes),
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    return interpreter


def is_float_model(model_bytes: bytes) -> bool:
    """True when no tensor of the model is int8: a float model (an int8 model with float I/O is not one)."""
    return not any(t["dtype"] == np.int8 for t in _interpreter(model_bytes).get_tensor_details())


def quantize_float_tflite(model_bytes: bytes, representative: np.ndarray, source: Path | str) -> bytes:
    """Full-integer int8 (int8 input and output) of a float ``.tflite``, calibrated on ``representative``."""
    import tensorflow as tf
    from tensorflow.lite.python import convert
    from tensorflow.lite.python.optimize import calibrator

    from training.export.quantize import _captured_native_output

    details = _interpreter(model_bytes).get_input_details()
    if len(details) != 1:
        raise ExportError(f"{source}: the model has {len(details)} inputs; the exporter takes a model with one "
                          "input (the 8x8x2 sensor frame)")
    if int(details[0]["shape_signature"][0]) != 1:
        # TFLite keeps a dynamic batch as SHAPE/STRIDED_SLICE/PACK ops before each Flatten, which the int8
        # runtime does not run; nothing can fold them once the .tflite is written
        raise ExportError(f"{source}: the float model has a dynamic batch (input shape "
                          f"{[int(d) for d in details[0]['shape_signature']]}); convert it with a batch of 1 "
                          "(keras.Input(shape, batch_size=1)), or give the Keras model itself")
    samples = np.asarray(representative, np.float32)

    def dataset():
        for sample in samples:
            yield [sample[None]]

    with _captured_native_output() as captured:
        try:
            calibrated = calibrator.Calibrator(calibrator.add_intermediate_tensors(bytes(model_bytes)))
            return bytes(convert.mlir_quantize(calibrated.calibrate(dataset), False, input_data_type=tf.int8,
                                               output_data_type=tf.int8))
        except Exception as exc:  # the calibrator and the quantizer raise RuntimeError, ValueError and others
            raise ExportError(f"{source}: int8 quantization of the float model failed: {exc}\n{captured()}") \
                from exc


class FloatTfliteModel:
    """A float ``.tflite`` with the one method the exporter and the references use of a Keras model."""

    def __init__(self, model_bytes: bytes):
        self._interpreter = _interpreter(model_bytes)
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]

    def predict(self, x: np.ndarray, batch_size: int = 1, verbose: int = 0) -> np.ndarray:
        del batch_size, verbose  # one frame at a time: the batch of a .tflite is fixed
        x = np.asarray(x, np.float32)
        outputs = np.empty((len(x), *self._output["shape"][1:]), np.float32)
        for i, sample in enumerate(x):
            self._interpreter.set_tensor(self._input["index"], sample[None])
            self._interpreter.invoke()
            outputs[i] = self._interpreter.get_tensor(self._output["index"])[0]
        return outputs
