"""A bounds check of a ``.tflite`` flatbuffer before anything walks it.

The flatbuffer bindings trust every offset they read: a truncated, random or
bit-flipped file makes them read past the end (``struct.error``), wrap around
with a negative offset, or return garbage. :func:`verify_tflite` follows every
table, vector and string the exporter reads (the TFLite schema's field numbers
below) and checks that each lies inside the buffer, as FlatBuffers' C++
verifier does, so :mod:`training.export.tflite_graph` only walks sound bytes.
"""
from __future__ import annotations

import struct

from training.errors import ExportError

# TFLite schema: field name -> (field number, kind, argument). Kinds: "scalar" (size in bytes), "string",
# "vector" (element size), "tables" (vector of tables: their fields), "table" (its fields), "union" (any table).
_QUANTIZATION = {"min": (0, "vector", 4), "max": (1, "vector", 4), "scale": (2, "vector", 4),
                 "zero_point": (3, "vector", 8), "details_type": (4, "scalar", 1),
                 "quantized_dimension": (6, "scalar", 4)}
_TENSOR = {"shape": (0, "vector", 4), "type": (1, "scalar", 1), "buffer": (2, "scalar", 4), "name": (3, "string", None),
           "quantization": (4, "table", _QUANTIZATION), "shape_signature": (7, "vector", 4)}
_OPERATOR = {"opcode_index": (0, "scalar", 4), "inputs": (1, "vector", 4), "outputs": (2, "vector", 4),
             "builtin_options_type": (3, "scalar", 1), "builtin_options": (4, "union", None),
             "custom_options": (5, "vector", 1)}
_SUBGRAPH = {"tensors": (0, "tables", _TENSOR), "inputs": (1, "vector", 4), "outputs": (2, "vector", 4),
             "operators": (3, "tables", _OPERATOR), "name": (4, "string", None)}
_OPERATOR_CODE = {"deprecated_builtin_code": (0, "scalar", 1), "custom_code": (1, "string", None),
                  "version": (2, "scalar", 4), "builtin_code": (3, "scalar", 4)}
_BUFFER = {"data": (0, "vector", 1), "offset": (1, "scalar", 8), "size": (2, "scalar", 8)}
_MODEL = {"version": (0, "scalar", 4), "operator_codes": (1, "tables", _OPERATOR_CODE),
          "subgraphs": (2, "tables", _SUBGRAPH), "description": (3, "string", None), "buffers": (4, "tables", _BUFFER)}


class _Corrupt(Exception):
    pass


def verify_tflite(model_bytes: bytes) -> None:
    """Raise :class:`ExportError` unless every table, vector and string the exporter reads is in bounds."""
    if len(model_bytes) < 8 or model_bytes[4:8] != b"TFL3":
        raise ExportError("not a TFLite flatbuffer (missing the 'TFL3' identifier)")
    try:
        _Verifier(model_bytes).table(_u32(model_bytes, 0), _MODEL, "model")
    except _Corrupt as exc:
        raise ExportError(f"corrupt TFLite flatbuffer ({len(model_bytes)} bytes): {exc}; the file is truncated "
                          f"or damaged, export the model again") from exc


def _u32(buf: bytes, pos: int) -> int:
    if not 0 <= pos <= len(buf) - 4:
        raise _Corrupt(f"offset {pos} is outside the file")
    return struct.unpack_from("<I", buf, pos)[0]


class _Verifier:
    def __init__(self, buf: bytes):
        self.buf, self.size = buf, len(buf)
        self.seen: set[tuple[int, int]] = set()  # (position, id of schema): shared tables are checked once

    def need(self, pos: int, length: int, what: str) -> None:
        if pos < 0 or length < 0 or pos + length > self.size:
            raise _Corrupt(f"{what} at offset {pos} ({length} bytes) runs past the end")

    def table(self, pos: int, fields: dict | None, what: str) -> None:
        if (pos, id(fields)) in self.seen:
            return
        self.need(pos, 4, what)
        vtable = pos - struct.unpack_from("<i", self.buf, pos)[0]
        self.need(vtable, 4, f"{what} vtable")
        vsize, osize = struct.unpack_from("<HH", self.buf, vtable)
        if vsize < 4 or vsize % 2:
            raise _Corrupt(f"{what} vtable at offset {vtable} has size {vsize}")
        self.need(vtable, vsize, f"{what} vtable")
        self.need(pos, max(osize, 4), what)
        voffsets = struct.unpack_from(f"<{(vsize - 4) // 2}H", self.buf, vtable + 4)
        for number, voffset in enumerate(voffsets):
            if voffset and voffset >= osize:
                raise _Corrupt(f"{what} field {number} lies outside its table")
        self.seen.add((pos, id(fields)))
        for name, (number, kind, arg) in (fields or {}).items():
            voffset = voffsets[number] if number < len(voffsets) else 0
            if voffset:
                self.field(pos + voffset, kind, arg, f"{what}.{name}")

    def field(self, pos: int, kind: str, arg, what: str) -> None:
        if kind == "scalar":
            return self.need(pos, arg, what)
        target = pos + _u32(self.buf, pos)
        if kind in ("table", "union"):
            return self.table(target, arg, what)
        length = _u32(self.buf, target)
        if kind == "string":
            return self.need(target + 4, length + 1, what)
        self.need(target + 4, length * (4 if kind == "tables" else arg), what)
        for i in range(length if kind == "tables" else 0):
            item = target + 4 + 4 * i
            self.table(item + _u32(self.buf, item), arg, f"{what}[{i}]")
