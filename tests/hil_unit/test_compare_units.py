"""The parts of ``python -m hil compare`` that need no board: McNemar's exact test (golden values by hand and
from scipy's independent binomial test) and the pairing of frames by recording."""
from __future__ import annotations

import copy

import pytest

from hil.compare.mcnemar import mcnemar_exact
from hil.compare.comparison import compare_folders, meta_differences
from hil.errors import HilError
from tests.hil_unit.report_fixtures import hand_case, write_folder


@pytest.mark.parametrize("b, c, expected", [(0, 0, 1.0), (0, 5, 2 / 32), (1, 1, 1.0), (0, 1, 1.0),
                                            (1, 9, 2 * 11 / 1024)])
def test_mcnemar_exact_by_hand(b, c, expected):
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-12)


def test_mcnemar_exact_equals_scipys_binomial_test():
    stats = pytest.importorskip("scipy.stats")
    for b, c in ((3, 17), (40, 61), (250, 300), (7, 7)):
        assert mcnemar_exact(b, c) == pytest.approx(stats.binomtest(b, b + c, 0.5).pvalue, rel=1e-9)


def test_frames_pair_by_recording_not_by_index(tmp_path):
    a = write_folder(tmp_path / "a", hand_case())
    shuffled = hand_case()
    shuffled["records"] = list(reversed(shuffled["records"]))[:5]  # B ran 5 of the frames, another order
    b = write_folder(tmp_path / "b", shuffled)
    comparison = compare_folders(a, b)
    assert comparison["frames"] == {"a": 8, "b": 5, "both": 5}
    assert comparison["outputs"]["differing_count"] == 0


def test_two_labels_for_one_frame_is_an_error(tmp_path):
    a = write_folder(tmp_path / "a", hand_case())
    other = hand_case()
    other["references"]["labels"] = 1 - other["references"]["labels"]
    for record in other["records"]:
        record["label"] = 1 - record["label"]
    with pytest.raises(HilError, match="two labels"):
        compare_folders(a, write_folder(tmp_path / "b", other))


def test_meta_differences_name_nested_and_missing_keys():
    a = {"board": "x", "hello": {"timer_hz": 1}, "only": 1}
    b = copy.deepcopy(a) | {"hello": {"timer_hz": 2}}
    del b["only"]
    rows = {r["key"]: r for r in meta_differences(a, b)}
    assert set(rows) == {"hello.timer_hz", "only"} and rows["only"]["only_in"] == "a"
