"""A log of every byte that crosses the link, both ways, with timestamps: the evidence a timeout names."""
from __future__ import annotations

import time
from pathlib import Path


class SerialLog:
    """Appends ``<seconds> TX|RX <hex>`` lines to ``path`` (or keeps nothing when ``path`` is None)."""

    def __init__(self, path: Path | None):
        self.path = Path(path) if path else None
        self._file = None
        self._start = time.monotonic()
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", buffering=1)

    def record(self, direction: str, data: bytes) -> None:
        if self._file and data:
            self._file.write(f"{time.monotonic() - self._start:10.4f} {direction} {data.hex(' ')}\n")

    def note(self, text: str) -> None:
        if self._file:
            self._file.write(f"{time.monotonic() - self._start:10.4f} -- {text}\n")

    def close(self) -> None:
        if self._file:
            self._file.close()
            self._file = None
