"""Per-layer validation (``--per-layer``, ``hil.per_layer``): after the stream, ask the board for every layer's
output tensor and ticks (LAYER_REQ / LAYER, docs/protocol.md) on the frames the selection picks, next to the
host's BUILTIN_REF intermediate tensors on the same int8 input (``layer_references.npz``, written by
``python -m training hil-inputs``). Everything lands in ``per_layer.npz``; :mod:`hil.report.per_layer` reads it.

The device input is the host's preprocessed tensor (``host_input``), so a layer difference is the model's, not
the preprocessing's (raw mode judges the preprocessing on its own); frames the host filter drops have no
tensor and are skipped.
"""
from __future__ import annotations

import numpy as np

from hil.errors import HilError
from hil.protocol.messages import LayerRequest
from hil.protocol.replies import LAYER_CHUNK
from hil.report.per_layer import PER_LAYER_FILE
from tofhil.atomic import atomic_target
from tofhil.per_layer_selection import PerLayerSelection

LAYER_INFO = ("layer_names", "layer_opcodes", "layer_shapes", "layer_dtypes")


def layer_sizes(layers: dict) -> list[int]:
    """Bytes of each layer's output tensor (elements x element size), from the host references."""
    count = len(layers["layer_names"])
    return [int(np.prod(layers[f"layer_{i}"].shape[1:])) * layers[f"layer_{i}"].dtype.itemsize
            for i in range(count)]


def differing_frames(results, references: dict) -> set[int]:
    """Stream indices of frames the device classified whose int8 outputs differ from BUILTIN_REF's."""
    host = references["host_int8"]
    return {r.index for r in results
            if r.status == "ok" and r.output is not None and tuple(host[r.index]) != tuple(r.output)}


def pick_frames(selection: PerLayerSelection, results, references: dict) -> list[int]:
    streamed = [r.index for r in results if references["host_kept"][r.index]]
    return selection.pick(streamed, differing_frames(results, references))


def layer_requests(frames: list[int], references: dict, sizes: list[int]):
    """``((frame, layer, offset), LayerRequest)`` for every chunk of every layer of every frame."""
    for frame in frames:
        tensor = tuple(int(v) for v in references["host_input"][frame])
        for layer, size in enumerate(sizes):
            for offset in range(0, max(size, 1), LAYER_CHUNK):
                yield (frame, layer, offset), LayerRequest(layer, offset, tensor)


def collect_layers(client, frames: list[int], references: dict, layers: dict) -> dict:
    """The board's per-layer tensors and ticks for ``frames``, beside the host's: the arrays of per_layer.npz."""
    sizes = layer_sizes(layers)
    count = len(sizes)
    device = [np.zeros((len(frames), size), np.uint8) for size in sizes]
    ticks = np.zeros((len(frames), count), np.uint32)
    row = {frame: i for i, frame in enumerate(frames)}
    for (frame, layer, offset), reply, _ in client.stream(layer_requests(frames, references, sizes)):
        if reply.layer_count != count or reply.size != sizes[layer]:
            raise HilError(f"per-layer: the board's model has {reply.layer_count} layers (layer {layer}: "
                           f"{reply.size} bytes) but the host references have {count} ({sizes[layer]} bytes): "
                           "is the firmware built from this run's export?")
        device[layer][row[frame], offset:offset + len(reply.data)] = np.frombuffer(reply.data, np.uint8)
        if offset == 0:
            ticks[row[frame], layer] = reply.ticks
    picked = np.asarray(frames, np.int64)
    arrays = {"frames": picked, "ticks": ticks, **{name: layers[name] for name in LAYER_INFO}}
    for i in range(len(sizes)):
        host = layers[f"layer_{i}"][picked] if len(frames) else layers[f"layer_{i}"][:0]
        arrays[f"host_{i}"] = host
        arrays[f"device_{i}"] = device[i].view(host.dtype).reshape(host.shape)
    return arrays


def run_per_layer(session, selection: PerLayerSelection | None, references: dict, layers: dict | None,
                  output_dir) -> object | None:
    """Compare the picked frames layer by layer on the board; writes ``per_layer.npz``. ``None`` when off."""
    if selection is None:
        return None
    if layers is None:
        raise HilError("--per-layer: the validation inputs have no layer_references.npz (python -m training "
                       "hil-inputs writes it); re-run with this version of the training package")
    from hil.report.records import load_validation

    data = load_validation(output_dir)
    frames = pick_frames(selection, data.results, references)
    with session.link_broken_is_an_error("while comparing layers"):
        arrays = collect_layers(session.client, frames, references, layers)
    path = output_dir / PER_LAYER_FILE
    with atomic_target(path) as temporary:
        np.savez(temporary, **arrays)
    return path
