"""The firmware's frame decoder and message handlers under libFuzzer + ASan + UBSan (fuzz/run_fuzz.py).

CI fuzzes for TOFHIL_FUZZ_SECONDS (default 60) and fails on any finding; the seed corpus must be the golden
vectors' (refresh with `python fuzz/run_fuzz.py --write-seeds`).
"""
from __future__ import annotations

import json
import os
import shutil

import pytest

from fuzz.run_fuzz import SEEDS_DIR, VECTORS, build_fuzzer, run_fuzzer, seed_inputs
from tests.conftest import require

FUZZ_SECONDS = int(os.environ.get("TOFHIL_FUZZ_SECONDS", "60"))


def test_seed_corpus_is_the_golden_vectors():
    expected = seed_inputs(json.loads(VECTORS.read_text()))
    found = {path.name: path.read_bytes() for path in SEEDS_DIR.iterdir()}
    assert found == expected, "run `python fuzz/run_fuzz.py --write-seeds`"


@pytest.mark.fuzz
@pytest.mark.slow  # a minute by design: CI runs it, `-m "not slow"` (before a push) leaves it out
def test_fuzzing_the_protocol_finds_nothing(tiny_model, tmp_path):
    require(shutil.which("clang") is not None, "clang (with libFuzzer) is not installed: apt-get install clang")
    binary = build_fuzzer(tiny_model[1].directory, tmp_path)
    result = run_fuzzer(binary, FUZZ_SECONDS, tmp_path / "run")
    print(result.summary())
    assert not result.findings and result.returncode == 0, (
        f"{result.summary()}; reproduce with {binary} {' '.join(map(str, result.findings))}\n"
        f"{result.log.read_text(errors='replace')[-3000:]}")
    assert result.executions > 1000 and result.edges > 100, result.summary()
