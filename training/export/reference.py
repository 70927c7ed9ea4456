"""Host int8 reference: the TFLite interpreter with its reference kernels (BUILTIN_REF).

This is what "host int8" means everywhere in the project. The default resolver
(XNNPACK / optimized kernels) may differ by one LSB, so device-vs-host checks use
this runner and expect exact equality.
"""
from __future__ import annotations

import warnings

import numpy as np
import tensorflow as tf


class ReferenceRunner:
    """Run a ``.tflite`` model one sample at a time (batch 1) with ``BUILTIN_REF`` kernels."""

    def __init__(self, model_bytes: bytes):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
            self._interpreter = tf.lite.Interpreter(
                model_content=bytes(model_bytes),
                experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
        self._interpreter.allocate_tensors()
        self.input_details = self._interpreter.get_input_details()[0]
        self.output_details = self._interpreter.get_output_details()[0]

    @property
    def input_dtype(self):
        return self.input_details["dtype"]

    @property
    def output_dtype(self):
        return self.output_details["dtype"]

    @property
    def input_quantization(self) -> tuple[float, int]:
        return self.input_details["quantization"]

    @property
    def output_quantization(self) -> tuple[float, int]:
        return self.output_details["quantization"]

    def run(self, inputs: np.ndarray) -> np.ndarray:
        """Outputs for a batch of inputs (N, *input_shape[1:]) -> (N, *output_shape[1:])."""
        shape = tuple(self.input_details["shape"])
        inputs = np.asarray(inputs, dtype=self.input_dtype).reshape((-1, *shape[1:]))
        outputs = np.empty((inputs.shape[0], *self.output_details["shape"][1:]), dtype=self.output_dtype)
        for i, sample in enumerate(inputs):
            self._interpreter.set_tensor(self.input_details["index"], sample[None])
            self._interpreter.invoke()
            outputs[i] = self._interpreter.get_tensor(self.output_details["index"])[0]
        return outputs

    def dequantize_output(self, outputs: np.ndarray) -> np.ndarray:
        scale, zero_point = self.output_quantization
        if self.output_dtype == np.float32 or scale == 0:
            return outputs.astype(np.float32)
        return (outputs.astype(np.float32) - zero_point) * np.float32(scale)
