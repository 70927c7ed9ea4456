"""``results.jsonl``: one line per validated frame, appended and flushed as each result arrives, so a run
that dies loses nothing; ``--resume`` reads it back and continues after the last complete line."""
from __future__ import annotations

import json
import os
from pathlib import Path

from hil.errors import HilError


class ResultsLog:
    def __init__(self, path: Path, sync_every: int = 50):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        self._unsynced, self.sync_every = 0, sync_every

    def append(self, record: dict) -> None:
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()
        self._unsynced += 1
        if self._unsynced >= self.sync_every:
            os.fsync(self._file.fileno())
            self._unsynced = 0

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()


def completed_indices(path: Path) -> set[int]:
    """Frame indices already in ``path``; a half-written last line (the run was killed) is cut off."""
    path = Path(path)
    if not path.is_file():
        return set()
    done, good_bytes = set(), 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.endswith(b"\n"):
                break  # the interrupted write: dropped, that frame is sent again
            try:
                done.add(int(json.loads(line)["index"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise HilError(f"{path}:{number}: not a result record ({exc}); cannot resume from it") from exc
            good_bytes += len(line)
    with path.open("rb+") as handle:
        handle.truncate(good_bytes)
    return done
