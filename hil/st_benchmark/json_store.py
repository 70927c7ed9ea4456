"""A JSON results file rewritten atomically after every step, so an interrupted run keeps what it measured."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path


def write_json_atomic(path: Path, data) -> Path:
    """Write to a temporary name beside ``path``, then rename: a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class ResultsFile:
    """A dict mirrored to ``path``: every :meth:`update` or :meth:`record` is on disk before it returns."""

    def __init__(self, path: Path, initial: dict):
        self.path = Path(path)
        self.data = dict(initial, status="running", started_utc=utc_now(), error=None)
        self.save()

    def save(self) -> None:
        self.data["updated_utc"] = utc_now()
        write_json_atomic(self.path, self.data)

    def update(self, **fields) -> None:
        self.data.update(fields)
        self.save()

    def record(self, section: str, key: str, value) -> None:
        """``data[section][key] = value``, saved."""
        self.data.setdefault(section, {})[key] = value
        self.save()

    def fail(self, kind: str, step: str, message: str) -> None:
        self.update(status="failed", error={"kind": kind, "step": step, "message": message})
