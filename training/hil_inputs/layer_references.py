"""Per-layer host references: every op's output tensor on TFLite's reference kernels (BUILTIN_REF) with
``experimental_preserve_all_tensors``, on the same int8 inputs the device gets (``host_input``).

Layer ``i`` is the ``.tflite``'s operator ``i`` in execution order, the order of the generated C library's ops
(``tofhil_model_invoke_layer``). Written to ``layer_references.npz`` (no pickles, :mod:`tofhil.validation_inputs`):
``layer_names``, ``layer_opcodes``, ``layer_shapes`` (e.g. ``6x6x8``), ``layer_dtypes``, ``layer_scales``,
``layer_zero_points`` and one ``layer_<i>`` array (N, elements) per op (zeros for frames the host filter drops).
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np


def _interpreter(model_bytes: bytes):
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        interpreter = tf.lite.Interpreter(
            model_content=model_bytes, experimental_preserve_all_tensors=True,
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    return interpreter


def compute_layer_references(tflite_path: Path, host_input: np.ndarray, kept: np.ndarray) -> dict:
    interpreter = _interpreter(Path(tflite_path).read_bytes())
    ops = sorted(interpreter._get_ops_details(), key=lambda op: op["index"])  # the only public-enough op list
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    outputs = [tensors[op["outputs"][0]] for op in ops]
    source = interpreter.get_input_details()[0]
    count = len(host_input)
    layers = [np.zeros((count, int(np.prod(t["shape"][1:]))), t["dtype"]) for t in outputs]
    for i in np.flatnonzero(kept):
        interpreter.set_tensor(source["index"], host_input[i].reshape(source["shape"]).astype(source["dtype"]))
        interpreter.invoke()
        for layer, tensor in zip(layers, outputs):
            layer[i] = interpreter.get_tensor(tensor["index"]).reshape(-1)
    arrays = {
        "layer_names": np.array([t["name"] for t in outputs], dtype=str),
        "layer_opcodes": np.array([op["op_name"] for op in ops], dtype=str),
        "layer_shapes": np.array(["x".join(str(d) for d in t["shape"][1:]) for t in outputs], dtype=str),
        "layer_dtypes": np.array([np.dtype(t["dtype"]).name for t in outputs], dtype=str),
        "layer_scales": np.array([t["quantization"][0] for t in outputs], np.float32),
        "layer_zero_points": np.array([t["quantization"][1] for t in outputs], np.int32),
    }
    arrays.update({f"layer_{i}": layer for i, layer in enumerate(layers)})
    return arrays
