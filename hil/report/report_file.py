"""``hil_report.json`` <-> :class:`hil.report.report_type.HilReport`: the one module that reads the report's keys.

The file keeps the key names of schema 1 (users' scripts read it). Schema 2 differs in one thing: ``gates`` is
always there (``null`` when no gate was judged; schema 1 left it out). :func:`read_report` reads both and
refuses any other schema in one line naming the file, its schema and the ones this code reads.

The conversion follows the dataclasses' type hints, both ways, and is strict: a key the type does not know, or a
required one missing, is an error naming its dotted path. So a section builder that adds a key without its field
fails the first time a report is built, not in a reader later.
"""
from __future__ import annotations

import dataclasses
import json
import math
import numbers
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any, Union

import numpy as np

from hil.errors import HilError
from hil.report.report_type import GateResult, HilReport

REPORT_FILE = "hil_report.json"
REPORT_SCHEMA = 2
READABLE_SCHEMAS = (1, 2)


class ReportFormatError(HilError):
    """A report that does not fit :class:`HilReport` (a file, or a section a builder made)."""


def report_from_dict(content: dict, where: str = "report") -> HilReport:
    """The typed report from its JSON shape (a file's content, or the sections ``build_report`` assembled)."""
    return _convert(HilReport, content, where)


def section_from_dict(cls, content, where: str = "section"):
    """One section typed on its own (a section builder's output, e.g. ``per_layer_section`` -> PerLayerSection)."""
    return _convert(cls, content, where)


def report_to_dict(report: HilReport) -> dict:
    """The JSON shape of the report, as the file holds it (schema :data:`REPORT_SCHEMA`)."""
    content = _to_json(report)
    content["schema"] = REPORT_SCHEMA
    return content


def report_json(report: HilReport) -> str:
    """Strict JSON: no NaN (a float model's broken score becomes null), no numpy types."""
    return json.dumps(_finite(report_to_dict(report)), indent=2, allow_nan=False, default=str) + "\n"


def read_report(path) -> HilReport:
    """A ``hil_report.json`` (or the output folder holding one) of schema 1 or 2."""
    path = Path(path)
    if path.is_dir():
        path = path / REPORT_FILE
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportFormatError(f"{path}: cannot read the HIL report ({exc}); expected a JSON object") from None
    if not isinstance(content, dict):
        raise ReportFormatError(f"{path}: a HIL report is a JSON object, got {type(content).__name__}")
    schema = content.get("schema")
    if isinstance(schema, bool) or schema not in READABLE_SCHEMAS:
        raise ReportFormatError(f"{path}: HIL report schema {schema!r}; this version of tof-hil reads schemas "
                                f"{', '.join(map(str, READABLE_SCHEMAS))}")
    return report_from_dict(content, str(path))


# --- the conversion, driven by the dataclasses' type hints ----------------------------------------------------
@cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _key(f: dataclasses.Field) -> str:
    return f.metadata.get("key", f.name)


def _convert(kind, value, where: str):
    origin = typing.get_origin(kind)
    if kind is Any:
        return value
    if origin in (Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        return None if value is None else _convert(options[0], value, where)
    if dataclasses.is_dataclass(kind):
        return _dataclass(kind, value, where)
    if origin is list:
        _expect(isinstance(value, (list, tuple)), "a list", value, where)
        (item,) = typing.get_args(kind)
        return [_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        _expect(isinstance(value, dict), "an object", value, where)
        _, item = typing.get_args(kind)
        return {str(k): _convert(item, v, f"{where}.{k}") for k, v in value.items()}
    return _scalar(kind, value, where)


def _dataclass(cls, value, where: str):
    _expect(isinstance(value, dict), "an object", value, where)
    fields = dataclasses.fields(cls)
    unknown = sorted(set(value) - {_key(f) for f in fields})
    if unknown:
        raise ReportFormatError(f"{where}.{unknown[0]}: a key {cls.__name__} does not have (a section builder "
                                f"wrote it without its field in hil/report/report_type.py?)")
    hints, arguments = _hints(cls), {}
    for f in fields:
        key = _key(f)
        if key in value:
            arguments[f.name] = _convert(hints[f.name], value[key], f"{where}.{key}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ReportFormatError(f"{where}: no {key!r} ({cls.__name__} needs it)")
    return cls(**arguments)


def _scalar(kind, value, where: str):
    if kind is bool:
        if value in ("True", "False"):  # schema 1 wrote a numpy bool (a gate's "passed") as text
            return value == "True"
        _expect(isinstance(value, (bool, np.bool_)), "true or false", value, where)
        return bool(value)
    if kind is int:
        _expect(isinstance(value, numbers.Integral) and not isinstance(value, bool), "a whole number", value, where)
        return int(value)
    if kind is float:
        _expect(isinstance(value, numbers.Real) and not isinstance(value, bool), "a number", value, where)
        return int(value) if isinstance(value, numbers.Integral) else float(value)
    if kind is str:
        _expect(isinstance(value, str), "a string", value, where)
        return value
    raise TypeError(f"{where}: no conversion for {kind!r}")


def _expect(ok: bool, what: str, value, where: str) -> None:
    if not ok:
        raise ReportFormatError(f"{where}: expected {what}, got {type(value).__name__} {str(value)[:40]!r}")


def _to_json(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        content = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if item is None and f.metadata.get("omit_if_none"):
                continue
            content[_key(f)] = _to_json(item)
        return content
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(item) for item in value]
    return value


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


__all__ = ["REPORT_FILE", "REPORT_SCHEMA", "READABLE_SCHEMAS", "ReportFormatError", "GateResult", "read_report",
           "report_from_dict", "report_to_dict", "section_from_dict", "report_json"]
