"""Run by ``./run.sh test`` after every other stage (the file name keeps it out of ``pytest tests``): the runs
and datasets the suite shared (tests/shared_runs.py) are byte for byte as they were made. A test that wrote
into one would have changed what every later test saw; it must copy the run instead (``private_copy``)."""
from __future__ import annotations

from tests.shared_runs import cache_root, changed_files, finished_entries


def test_every_shared_run_is_byte_identical_after_the_suite():
    entries = finished_entries()
    names = {entry.name.rsplit("-", 1)[0] for entry in entries}
    assert {"synthetic", "tiny-1", "tiny-2", "shipped"} <= names, f"shared runs under {cache_root()}: {names}"
    changed = {entry.name: changed_files(entry) for entry in entries}
    assert not any(changed.values()), f"files changed in shared runs after they were made: {changed}"
