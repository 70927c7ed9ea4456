"""Reading ST session files: valid files load, corrupt ones name the file and the problem."""
from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import write_session_file
from training.data.dataset import load_frame_table
from training.data.npz_reader import read_session_file
from training.errors import DatasetError


def arrays(t=4, distance=200.0):
    d = np.full((t, 64), distance)
    s = np.full((t, 64), 300.0)
    st = np.full((t, 64), 5.0)
    return d, s, st


def test_reads_frames_and_labels(tmp_path):
    d, s, st = arrays()
    d[1, 3] = 250
    path = write_session_file(tmp_path / "a.npz", d, s, st, [21, 21, 32, 32])
    loaded = read_session_file(path)
    assert loaded.frames.distance_mm.dtype == np.int16 and loaded.frames.distance_mm.shape == (4, 64)
    assert loaded.frames.distance_mm[1, 3] == 250
    assert loaded.labels.tolist() == [21, 21, 32, 32]


def test_nan_frames_are_dropped_and_counted(tmp_path):
    d, s, st = arrays()
    d[2, 10] = np.nan
    loaded = read_session_file(write_session_file(tmp_path / "a.npz", d, s, st, [21] * 4))
    assert len(loaded.frames) == 3 and loaded.nan_frames_dropped == 1


def test_frame_times_spread_from_start_to_end_and_follow_dropped_frames(tmp_path):
    d, s, st = arrays(t=5)
    d[1, 0] = np.nan
    path = write_session_file(tmp_path / "a.npz", d, s, st, [21] * 5, start_tstmp=np.float64(100.0),
                              end_tstmp=np.float64(100.4))
    assert read_session_file(path).times_s == pytest.approx([100.0, 100.2, 100.3, 100.4])


@pytest.mark.parametrize("stamps", [{"start_tstmp": None}, {"end_tstmp": np.array([1.0, 2.0])},
                                    {"start_tstmp": np.float64(np.nan)}, {"end_tstmp": np.float64(-5.0)}])
def test_missing_or_odd_time_stamps_give_no_times(tmp_path, stamps):
    d, s, st = arrays()
    assert read_session_file(write_session_file(tmp_path / "a.npz", d, s, st, [21] * 4, **stamps)).times_s is None


@pytest.mark.parametrize("overrides,message", [
    ({"glob_data": None}, "missing key(s) ['glob_data']"),
    ({"zone_data": np.zeros((4, 32, 4))}, "zone_data has shape (4, 32, 4)"),
    ({"zone_data": np.zeros((64, 4))}, "zone_data has 2 dimensions"),
    ({"zone_head": np.array(["a", "b", "c", "d"])}, "has no row 'target_status'"),
    ({"glob_data": np.zeros((1, 3))}, "4 frames in zone_data but 3 labels"),
    ({"glob_head": np.array(["other"])}, "carry no '.GestureGT' row"),
    ({"zone_data": np.full((4, 64, 4), "x")}, "zone_data has dtype <U1"),
])
def test_malformed_files_name_the_problem(tmp_path, overrides, message):
    path = write_session_file(tmp_path / "bad.npz", *arrays(), [21] * 4, **overrides)
    with pytest.raises(DatasetError) as error:
        read_session_file(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_values_that_do_not_fit_the_wire_types(tmp_path):
    d, s, st = arrays()
    s[0, 0] = 70000  # signal_per_spad is uint16 on the wire
    with pytest.raises(DatasetError, match="signal_per_spad holds values outside whole numbers"):
        read_session_file(write_session_file(tmp_path / "a.npz", d, s, st, [21] * 4))


def test_truncated_file(tmp_path):
    path = write_session_file(tmp_path / "a.npz", *arrays(), [21] * 4)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DatasetError, match="truncated or corrupt"):
        read_session_file(path)


def test_pickled_arrays_are_refused(tmp_path):
    path = tmp_path / "pickle.npz"
    d, s, st = arrays()
    np.savez(path, zone_data=np.zeros((4, 64, 4)), zone_head=np.array(["a", 1], dtype=object),
             glob_data=np.zeros((1, 4)), glob_head=np.array([".GestureGT"]))
    with pytest.raises(DatasetError, match="cannot read"):
        read_session_file(path)


def make_layout(root, bad_file: bool):
    for cls, label in (("Like", 21), ("Fist", 32)):
        session = root / cls / f"log__{cls}__User1__1__VL53L8__handposture_api__8x8__20230101_000000" / "npz"
        write_session_file(session / "data_1.npz", *arrays(), [label] * 4)
    if bad_file:
        (session / "data_2.npz").write_bytes(b"not a zip")


def test_bad_file_stops_loading_unless_skipped(tmp_path):
    make_layout(tmp_path, bad_file=True)
    with pytest.raises(DatasetError, match="data_2.npz.*--skip-bad-files"):
        load_frame_table(tmp_path, ["Like", "Fist"])
    with pytest.warns(UserWarning, match="skipped bad file"):
        table = load_frame_table(tmp_path, ["Like", "Fist"], skip_bad_files=True)
    assert len(table) == 8 and len(table.skipped_files) == 1


def test_labels_come_from_gesture_gt_not_the_folder(tmp_path):
    make_layout(tmp_path, bad_file=False)
    table = load_frame_table(tmp_path, ["Fist", "Like"])
    assert table.class_names == ["Like", "Fist"]  # ascending ST id: Like 21, Fist 32
    assert sorted(table.labels.tolist()) == [0] * 4 + [1] * 4
    assert set(table.users) == {"User1"}


def test_missing_class_folder(tmp_path):
    make_layout(tmp_path, bad_file=False)
    with pytest.raises(DatasetError, match="no folder for class 'Love'"):
        load_frame_table(tmp_path, ["Like", "Love"])
