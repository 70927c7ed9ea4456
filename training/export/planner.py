"""Static activation arena planned from tensor lifetimes.

Every non-constant tensor lives from the op that writes it (the model input from
the start) to the last op that reads it (the model output to the end). Tensors
whose lifetimes overlap get disjoint byte ranges; the others share memory. A
RESHAPE output aliases its input's buffer, so reshapes cost neither RAM nor time.
Tensors ``outside`` the arena (a conv output its fused max pool never lets the inference write) get their own
buffer, which only per-layer validation (tofhil_model_invoke_layer) touches: the inference's arena stays small.
Placement is greedy first-fit, largest buffer first, which is optimal or close
to it for the straight chains of tiny CNNs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from training.export.lowering import LoweredModel

ALIGNMENT = 4
ELEMENT_BYTES = {"INT8": 1, "FLOAT32": 4, "INT32": 4}


@dataclass(frozen=True)
class Buffer:
    root: int  # tensor that owns the buffer (aliases resolve to it)
    size: int  # bytes
    first: int  # index of the first op touching it (-1 = model input)
    last: int  # index of the last op touching it (len(ops) = model output)


@dataclass(frozen=True)
class ArenaPlan:
    offsets: dict[int, int]  # tensor index -> byte offset (aliases included)
    size: int  # bytes, a multiple of ALIGNMENT
    buffers: tuple[Buffer, ...]
    outside: dict[int, int] = field(default_factory=dict)  # tensor -> bytes of its own buffer, not in the arena


def _root(aliases: dict[int, int], tensor: int) -> int:
    while tensor in aliases:
        tensor = aliases[tensor]
    return tensor


def lifetimes(model: LoweredModel) -> dict[int, Buffer]:
    """Buffers keyed by root tensor, with the union of the lifetimes of all their aliases."""
    spans: dict[int, list[int]] = {}

    def touch(tensor: int, step: int) -> None:
        root = _root(model.aliases, tensor)
        span = spans.setdefault(root, [step, step])
        span[0], span[1] = min(span[0], step), max(span[1], step)

    touch(model.input.index, -1)
    for step, op in enumerate(model.ops):
        for tensor in (*op.inputs, op.output):
            touch(tensor, step)
    touch(model.output.index, len(model.ops))
    tensors = model.graph.tensors
    return {root: Buffer(root, _padded(tensors[root].size * ELEMENT_BYTES[tensors[root].dtype]), first, last)
            for root, (first, last) in spans.items()}


def _padded(size: int) -> int:
    return (size + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def plan_arena(model: LoweredModel, outside: frozenset[int] = frozenset()) -> ArenaPlan:
    every = lifetimes(model)
    if any(_root(model.aliases, t) != t or t in (model.input.index, model.output.index) for t in outside):
        raise ValueError(f"tensors {sorted(outside)}: only intermediate, unaliased tensors can live outside")
    buffers = sorted((b for b in every.values() if b.root not in outside), key=lambda b: (-b.size, b.first, b.root))
    placed: list[tuple[Buffer, int]] = []
    for buffer in buffers:
        offset = _first_fit(buffer, placed)
        placed.append((buffer, offset))
    root_offsets = {buffer.root: offset for buffer, offset in placed}
    every_tensor = {model.input.index, model.output.index, *model.aliases}
    every_tensor.update(t for op in model.ops for t in (*op.inputs, op.output))
    offsets = {t: root_offsets[_root(model.aliases, t)] for t in every_tensor if _root(model.aliases, t) not in outside}
    size = max((offset + buffer.size for buffer, offset in placed), default=0)
    return ArenaPlan(offsets, size, tuple(b for b, _ in placed), {t: every[t].size for t in outside})


def _first_fit(buffer: Buffer, placed: list[tuple[Buffer, int]]) -> int:
    busy = sorted((offset, offset + other.size) for other, offset in placed
                  if other.first <= buffer.last and buffer.first <= other.last)
    offset = 0
    for start, end in busy:
        if offset + buffer.size <= start:
            break
        offset = max(offset, end)
    return offset
