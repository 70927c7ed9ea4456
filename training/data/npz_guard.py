"""Checks on a data file before numpy reads it: file type, size, and each array's declared size.

A name like ``data_7.npz`` promises nothing: it can be a FIFO (reading blocks
forever), a symlink to ``/dev/zero`` (reading never ends), plain text (numpy then
suggests ``allow_pickle``), or a 6 KB archive whose header declares an 8 TB array
(numpy tries to allocate it). Each is a :class:`DatasetError` here, from the
file's metadata and the ``.npy`` headers alone, before any array is loaded.
"""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import numpy as np

from training.errors import DatasetError

MAX_FILE_BYTES = 64 << 20  # ST's files are at most about 250 KB
MAX_ARRAY_BYTES = 64 << 20


def check_regular_file(path: Path, max_bytes: int = MAX_FILE_BYTES) -> int:
    """The file's size; an error unless it is a readable regular file of at most ``max_bytes``."""
    try:
        info = Path(path).stat()  # follows symlinks: a link to /dev/zero is a character device
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise DatasetError(f"{path}: not a regular file ({_kind(info.st_mode)}); expected an .npz archive")
    if info.st_size > max_bytes:
        raise DatasetError(f"{path}: {info.st_size} bytes, more than the {max_bytes} an ST session file can hold")
    return info.st_size


def check_npz(path: Path) -> None:
    """A regular file, a zip archive, and ``.npy`` members whose declared arrays fit in memory and in the file."""
    check_regular_file(path)
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                _check_member(path, archive, member)
    except zipfile.BadZipFile as exc:
        raise DatasetError(f"{path}: cannot read as an .npz archive (a zip of .npy arrays); the file is truncated "
                          f"or corrupt, or not an .npz at all: {_start_of(path)}") from exc
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _check_member(path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    if not member.filename.endswith(".npy"):
        return
    key = member.filename[:-4]
    if member.file_size > MAX_ARRAY_BYTES:
        raise DatasetError(f"{path}: array {key!r} holds {member.file_size} bytes once unpacked; "
                           f"at most {MAX_ARRAY_BYTES} are expected")
    try:
        with archive.open(member) as stream:
            version = np.lib.format.read_magic(stream)
            shape, _, dtype = _read_header(stream, version)
    except (ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{path}: array {key!r} has no valid .npy header ({exc})") from exc
    if dtype.hasobject:
        raise DatasetError(f"{path}: cannot read array {key!r}: it holds Python objects (dtype {dtype}), which "
                           f"are never unpickled; expected numbers or strings")
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if declared > min(member.file_size, MAX_ARRAY_BYTES):
        raise DatasetError(f"{path}: array {key!r} declares shape {shape} of {dtype} ({declared} bytes) but the "
                           f"file holds {member.file_size}; the file is corrupt")


def _read_header(stream, version):
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(stream)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(stream)
    raise ValueError(f".npy format version {version} is not supported")


def _start_of(path: Path) -> str:
    with open(path, "rb") as stream:
        head = stream.read(16)
    return f"it starts with {head!r}" if head else "it is empty"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"
