"""The synthetic generator writes exactly ST's layout, loads through the real readers, and is deterministic."""
import argparse
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from training.data.classes import ST_CLASS_IDS
from training.data.dataset import load_frame_table
from training.data.npz_reader import read_session_file
from training.data.preprocess import PreprocessingSpec, keep_mask
from training.data.synth import DEFAULT_CLASSES, HAND_SHAPES, generate_synthetic_dataset, render_shape
from training.data.synth_cli import add_synth_parser
from training.errors import ConfigError

CLASSES = ["Like", "None", "Fist"]
SETTINGS = dict(users=2, sessions_per_user=2, files_per_session=2, frames_per_file=20, seed=3)
STEM = r"(?P<cls>\w+?)__User(?P<user>\d+)__(?P<k>\d+)__VL53L8__handposture_api__8x8__(?P<date>\d{8}_\d{6})"
FILE_PATTERN = re.compile(rf"^(?P<folder>\w+)/log__{STEM}/npz/data_(?P=cls)__User(?P=user)__(?P=k)"
                          rf"__VL53L8__handposture_api__8x8__(?P=date)_ends\d{{6}}\.\d{{3}}\.npz$")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    summary = generate_synthetic_dataset(root, CLASSES, nan_frame_rate=0.1, **SETTINGS)
    return root, summary


def _npz_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.npz"))


def test_layout_is_st_layout(dataset):
    root, summary = dataset
    files = _npz_files(root)
    assert len(files) == summary["files"] == 3 * 2 * 2 * 2
    for path in files:
        match = FILE_PATTERN.match(path.relative_to(root).as_posix())
        assert match, path.relative_to(root)
        assert match["folder"] == match["cls"] and match["cls"] in CLASSES
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == sorted(CLASSES)


def test_keys_dtypes_and_shapes_are_st_ones(dataset):
    root, _ = dataset
    for path in _npz_files(root):
        with np.load(path, allow_pickle=False) as archive:
            data = {key: archive[key] for key in archive.files}
        assert set(data) == {"zone_data", "zone_head", "glob_data", "glob_head", "start_tstmp", "end_tstmp"}
        assert data["zone_data"].dtype == np.float64 and data["zone_data"].shape == (4, 64, 20)
        assert data["zone_head"].dtype.kind == "U"
        assert data["zone_head"].tolist() == ["target_status", "valid", "signal_per_spad", "distance_mm"]
        assert data["glob_head"].dtype.kind == "U" and data["glob_head"].tolist() == [".GestureGT"]
        assert data["glob_data"].dtype == np.float64 and data["glob_data"].shape == (1, 20)
        class_name = path.parts[-4]
        assert np.all(data["glob_data"] == ST_CLASS_IDS[class_name])
        for key in ("start_tstmp", "end_tstmp"):
            assert data[key].dtype == np.float64 and data[key].shape == ()
        assert data["start_tstmp"] < data["end_tstmp"]
        finite = data["zone_data"][np.isfinite(data["zone_data"])]
        assert np.all(finite == np.round(finite))
        assert np.all(data["zone_data"][1] == 1)  # ST's "valid" row is always 1


def test_files_load_through_the_real_readers(dataset):
    root, summary = dataset
    session_file = read_session_file(_npz_files(root)[0])
    assert len(session_file.frames) == 20 - session_file.nan_frames_dropped
    table = load_frame_table(root, CLASSES)
    assert table.class_names == ["None", "Like", "Fist"]  # ST id order
    assert len(table) == summary["frames"] - summary["nan_frames"]
    assert table.nan_frames_dropped == summary["nan_frames"] > 0
    assert table.foreign_label_frames == 0
    assert sorted(set(table.users)) == ["User1", "User2"]
    assert np.bincount(table.labels).tolist() == [len(table) // 3] * 3


def test_distance_filter_drops_exactly_the_out_of_range_frames(dataset):
    root, summary = dataset
    table = load_frame_table(root, CLASSES)
    kept = keep_mask(table.frames, PreprocessingSpec())
    assert summary["out_of_range_frames"] > 0
    assert int(kept.sum()) == len(table) - summary["out_of_range_frames"]


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    def build(folder, seed):
        generate_synthetic_dataset(tmp_path / folder, ["Love"], users=1, sessions_per_user=1, files_per_session=2,
                                   frames_per_file=5, seed=seed)
        return {p.relative_to(tmp_path / folder): p.read_bytes() for p in _npz_files(tmp_path / folder)}

    first, again, other = build("a", 7), build("b", 7), build("c", 8)
    assert first == again
    assert first.keys() == other.keys() and first != other
    with zipfile.ZipFile(tmp_path / "a" / next(iter(first))) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_class_shapes_are_distinct():
    masks = {name: render_shape(shape, 1.0, 0, 0)[0] for name, shape in HAND_SHAPES.items()}
    names = list(masks)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert np.sum(masks[a] != masks[b]) >= 4, (a, b)


def test_bad_arguments_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown class"):
        generate_synthetic_dataset(tmp_path, ["Thumbs"])
    with pytest.raises(ConfigError, match="frames_per_file"):
        generate_synthetic_dataset(tmp_path, ["Like"], frames_per_file=0)
    generate_synthetic_dataset(tmp_path, ["Like"], users=1, sessions_per_user=1, files_per_session=1)
    with pytest.raises(ConfigError, match="already holds files"):
        generate_synthetic_dataset(tmp_path, ["Like"])


def test_cli_prints_a_summary_and_returns_0(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="python -m training")
    add_synth_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["synth", str(tmp_path / "out"), "--classes", "Fist", "FlatHand", "--users", "1",
                              "--sessions-per-user", "1", "--files-per-session", "1", "--frames-per-file", "10"])
    assert args.func(args) == 0
    output = capsys.readouterr().out
    assert "Fist" in output and "FlatHand" in output and "total" in output
    assert len(_npz_files(tmp_path / "out")) == 2
    assert set(DEFAULT_CLASSES) <= set(ST_CLASS_IDS)
