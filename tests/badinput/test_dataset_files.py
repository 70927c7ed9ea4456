"""Bad dataset files and folders: checked by type, size and header before anything is read."""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.badinput.conftest import SESSION, assert_user_error, frames, run_cli, session_dir, write_config
from tests.conftest import require, write_session_file
from training.data.dataset import dataset_fingerprint, load_frame_table
from training.errors import DatasetError


@pytest.mark.parametrize("unreadable", ["Fist", "Fist/" + SESSION.format(cls="Fist") + "/npz"],
                         ids=["class folder", "npz folder"])
def test_unreadable_folder_as_a_non_root_user(unreadable):
    """Run as ``nobody`` through setpriv (root reads any folder): a real permission error, no monkeypatching.

    An unreadable npz/ folder used to look empty (Path.glob swallows the error): a session lost without a word.
    """
    require(shutil.which("setpriv") is not None and os.geteuid() == 0, "needs setpriv and root to switch to nobody")
    top = Path(tempfile.mkdtemp(prefix="badinput-perm-"))  # pytest's tmp_path is private to root
    try:
        root = top / "dataset"
        for cls, label in (("Like", 21), ("Fist", 32)):
            write_session_file(session_dir(root, cls) / "data_1.npz", *frames(), [label] * 4)
        config = write_config(top / "c.yaml", root)
        for path in [top, *top.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        os.chmod(root / unreadable, 0)
        result = run_cli("info", config, user="nobody")
        assert_user_error(result, str(root / unreadable), "cannot list the folder", "Permission denied")
    finally:
        for path in [top, *top.rglob("*")]:
            os.chmod(path, 0o755)
        shutil.rmtree(top)


def test_fifo_named_like_a_data_file(config, dataset):
    fifo = session_dir(dataset, "Like") / "data_2.npz"
    os.mkfifo(fifo)
    # a real process: a FIFO opened for reading would block it, and the process boundary bounds that
    assert_user_error(run_cli("info", config, timeout=30, process=True), str(fifo), "not a regular file (a FIFO)")
    skipped = run_cli("info", config, "--skip-bad-files", timeout=30, process=True)
    assert skipped.returncode == 0 and f"skipped: {fifo}" in skipped.stdout


def eight_terabyte_npz(path):
    """A valid .npz of a few KB whose zone_data header declares (4, 64, 2**33) float64: 8 TB."""
    write_session_file(path, *frames(), [21] * 4)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    header = members["zone_data.npy"]
    members["zone_data.npy"] = header.replace(b"(4, 64, 4)", b"(4, 64, %d)" % 2**33)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_npz_declaring_an_8_tb_array(config, dataset):
    bad = eight_terabyte_npz(session_dir(dataset, "Like") / "data_2.npz")
    assert bad.stat().st_size < 10_000
    assert_user_error(run_cli("info", config), str(bad), "array 'zone_data' declares shape (4, 64, 8589934592)")
    skipped = run_cli("info", config, "--skip-bad-files")
    assert skipped.returncode == 0 and "declares shape" in skipped.stdout and "Traceback" not in skipped.stderr


def test_symlink_to_dev_zero(config, dataset):
    link = session_dir(dataset, "Like") / "data_2.npz"
    link.symlink_to("/dev/zero")
    assert_user_error(run_cli("info", config, timeout=30), str(link), "not a regular file (a character device)")
    assert run_cli("info", config, "--skip-bad-files", timeout=30).returncode == 0


def test_fingerprint_reads_no_skipped_file_and_checks_the_others(dataset):
    link = session_dir(dataset, "Like") / "data_2.npz"
    link.symlink_to("/dev/zero")
    with pytest.warns(UserWarning, match="skipped bad file"):
        table = load_frame_table(dataset, ["Like", "Fist"], skip_bad_files=True)
    assert table.skipped_paths == [link]
    fingerprint = dataset_fingerprint(table.session_infos, table.root, table.skipped_paths)
    assert fingerprint["files"] == 2
    with pytest.raises(DatasetError, match="not a regular file"):  # not told to skip: checked, never read
        dataset_fingerprint(table.session_infos, table.root)


def test_plain_text_npz_gets_our_message(config, dataset):
    text = session_dir(dataset, "Fist") / "data_2.npz"
    text.write_text("distance,signal\n1,2\n")
    line = assert_user_error(run_cli("info", config), str(text), "cannot read as an .npz archive",
                             "it starts with b'distance,signal")
    assert "allow_pickle" not in line


def test_foreign_label_ids_are_named_with_file_and_label(config, dataset):
    write_session_file(session_dir(dataset, "Like") / "data_2.npz", *frames(3), [21, 33, 99])
    result = run_cli("info", config)
    assert result.returncode == 0, result.stderr
    name = "Like/" + session_dir(dataset, "Like").relative_to(dataset / "Like").as_posix() + "/data_2.npz"
    assert f"{name}: label 33 (Call) x 1" in result.stdout
    assert f"{name}: label 99 (not in ST's class dictionary) x 1" in result.stdout


def test_zero_frame_files_are_reported(config, dataset):
    write_session_file(session_dir(dataset, "Fist") / "data_2.npz", *frames(0), [])
    result = run_cli("info", config)
    assert result.returncode == 0, result.stderr
    assert "file without frames: Fist/" in result.stdout and "data_2.npz" in result.stdout
    with pytest.warns(UserWarning, match="1 file.s. hold no frame"):
        load_frame_table(dataset, ["Like", "Fist"])


def test_pickled_arrays_are_never_loaded(tmp_path):
    from training.data.npz_reader import read_session_file

    path = tmp_path / "data_1.npz"
    np.savez(path, zone_data=np.zeros((4, 64, 2)), zone_head=np.array([{"a": 1}], dtype=object),
             glob_data=np.zeros((1, 2)), glob_head=np.array([".GestureGT"]))
    with pytest.raises(DatasetError, match="holds Python objects"):
        read_session_file(path)
