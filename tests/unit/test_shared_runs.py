"""The suite's shared-run cache (tests/shared_runs.py): made once per key, reused, remade when interrupted,
and a byte changed afterwards is named."""
from __future__ import annotations

import pytest

from tests import shared_runs


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(shared_runs.CACHE_VARIABLE, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _maker(calls):
    def make(entry):
        calls.append(entry)
        (entry / "run").mkdir()
        (entry / "run" / "model.bin").write_bytes(b"weights")
        (entry / "mlflow.db").write_bytes(b"store")
    return make


def test_an_entry_is_made_once_per_key_and_reused(cache):
    calls = []
    first = shared_runs.shared_entry("demo", "a" * 64, _maker(calls))
    again = shared_runs.shared_entry("demo", "a" * 64, _maker(calls))
    other = shared_runs.shared_entry("demo", "b" * 64, _maker(calls))
    assert first == again != other and len(calls) == 2
    assert shared_runs.finished_entries() == sorted([first, other])


def test_an_interrupted_entry_is_made_again(cache):
    calls = []
    entry = cache / f"demo-{'a' * 16}"
    (entry / "run").mkdir(parents=True)
    (entry / "run" / "half-written").write_bytes(b"x")  # no manifest: the making was interrupted
    made = shared_runs.shared_entry("demo", "a" * 64, _maker(calls))
    assert made == entry and len(calls) == 1 and not (entry / "run" / "half-written").exists()


def test_a_changed_added_or_removed_file_is_named_and_mlflow_store_is_not(cache):
    entry = shared_runs.shared_entry("demo", "a" * 64, _maker([]))
    assert shared_runs.changed_files(entry) == []
    (entry / "mlflow.db").write_bytes(b"a HIL report logged")  # MLflow's store beside the run may change
    assert shared_runs.changed_files(entry) == []
    (entry / "run" / "model.bin").write_bytes(b"weightz")
    (entry / "run" / "hil").mkdir()
    (entry / "run" / "hil" / "results.jsonl").write_text("{}")
    assert shared_runs.changed_files(entry) == ["run/hil/results.jsonl", "run/model.bin"]


def test_the_key_changes_with_the_config_and_the_dataset(tmp_path):
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    (dataset / "a.npz").write_bytes(b"1")
    recipe = shared_runs.Recipe("r", "epochs: 1", dataset, ("host",))
    key = recipe.key()
    assert shared_runs.Recipe("r", "epochs: 2", dataset, ("host",)).key() != key
    (dataset / "a.npz").write_bytes(b"2")
    assert recipe.key() != key
