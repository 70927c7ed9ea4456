"""Reading a HIL output folder: what the runner writes loads typed; everything else fails naming file and line."""
import json

import numpy as np
import pytest

from hil.errors import HilError
from hil.report.records import load_validation
from tests.hil_unit.report_fixtures import CLASSES, hand_case, write_folder


def test_hand_case_loads_typed_and_sorted(tmp_path):
    case = hand_case()
    case["records"].reverse()  # results arrive in any order
    data = load_validation(write_folder(tmp_path, case))
    assert [r.index for r in data.results] == list(range(8))
    assert data.meta.class_names == CLASSES and data.meta.timer_kind == 0 and data.meta.board_kind == "physical"
    assert data.meta.core_clock_hz == 84_000_000 and data.meta.output_zero_point == -128  # from "hello"
    assert data.results[5].status == "rejected" and data.results[5].output is None
    assert data.results[1].attempts == 2 and data.results[0].user == "User1"
    assert data.references.host_int8.dtype == np.int8 and data.references.frames == 8
    assert data.truncated_lines == 0


def test_half_written_last_line_is_ignored_and_counted(tmp_path):
    case = hand_case()
    last = json.dumps(case["records"].pop())
    data = load_validation(write_folder(tmp_path, case, tail=last[: len(last) // 2]))
    assert len(data.results) == 7 and data.truncated_lines == 1


def test_a_broken_line_before_the_last_names_file_and_line(tmp_path):
    folder = write_folder(tmp_path, hand_case())
    lines = (folder / "results.jsonl").read_text().splitlines()
    lines[2] = lines[2][:20]
    (folder / "results.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(HilError, match=r"results\.jsonl:3: not JSON"):
        load_validation(folder)


@pytest.mark.parametrize("key, value, message", [
    ("output", [1, 2], r"results\.jsonl:1: key 'output' must be a list of 3 int8 values"),
    ("output", [300, 0, 0], r"key 'output' must be a list of 3 int8"),
    ("status", "maybe", r"results\.jsonl:1: key 'status' must be one of"),
    ("index", 99, r"frame index 99 outside the 8 frames"),
    ("label", 1, r"label 1 of frame 0 differs from references\.npz"),
    ("infer_ticks", -5, r"key 'infer_ticks' must be a whole number"),
    ("input", [0] * 5, r"key 'input' must be a list of 4 int8"),
])
def test_bad_record_fields_are_named(tmp_path, key, value, message):
    case = hand_case()
    case["records"][0][key] = value
    with pytest.raises(HilError, match=message):
        load_validation(write_folder(tmp_path, case))


def test_duplicate_frame_index_names_both_lines(tmp_path):
    case = hand_case()
    case["records"][3]["index"] = 0
    case["records"][3]["label"] = 0
    with pytest.raises(HilError, match=r"results\.jsonl:4: frame index 0 already on line 1"):
        load_validation(write_folder(tmp_path, case))


def test_reference_shapes_are_checked_against_the_classes(tmp_path):
    case = hand_case()
    case["references"]["host_int8"] = case["references"]["host_int8"][:, :2]
    with pytest.raises(HilError, match=r"references\.npz: array 'host_int8' has shape \(8, 2\); expected \(8, 3\)"):
        load_validation(write_folder(tmp_path, case))


def test_missing_reference_array_is_named(tmp_path):
    case = hand_case()
    del case["references"]["host_kept"]
    with pytest.raises(HilError, match=r"missing arrays \['host_kept'\]"):
        load_validation(write_folder(tmp_path, case))


def test_pickled_references_are_refused(tmp_path):
    case = hand_case()
    case["references"]["labels"] = np.array([object()] * 8, dtype=object)
    with pytest.raises(HilError, match=r"references\.npz: not a readable \.npz of plain arrays"):
        load_validation(write_folder(tmp_path, case))


@pytest.mark.parametrize("key, value, message", [
    ("mode", "video", r"run_meta\.json: key 'mode' must be 'raw' or 'tensor'"),
    ("class_names", [], r"key 'class_names' must be a non-empty list"),
    ("timer_kind", 7, r"key 'timer_kind' must be 0 \(DWT\)"),
    ("board", None, r"key 'board' must be a string"),
])
def test_bad_run_meta_is_named(tmp_path, key, value, message):
    case = hand_case()
    case["meta"][key] = value
    with pytest.raises(HilError, match=message):
        load_validation(write_folder(tmp_path, case))


def test_missing_files_say_what_writes_them(tmp_path):
    folder = write_folder(tmp_path, hand_case())
    (folder / "results.jsonl").unlink()
    with pytest.raises(HilError, match=r"results\.jsonl: missing"):
        load_validation(folder)
    with pytest.raises(HilError, match="no such HIL output folder"):
        load_validation(tmp_path / "nowhere")
