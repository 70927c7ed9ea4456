"""An export is written into a staging folder beside its output folder and moved into place only when done.

A rejected export (a float model, an unsupported op, a full disk) must not leave
a new ``model_int8.tflite`` beside stale C sources and a ``.sha256`` that no
longer matches: the previous export stays untouched until the new one is whole.
The staging folder is in the same parent folder, so the final move is a rename.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

from training.errors import ExportError

# files that show a folder holds an earlier export, replaced whole by a new one
EXPORT_MARKERS = ("model_report.json", "model_int8.tflite")


def staging_dir(output_dir: Path) -> Path:
    """A new empty folder beside ``output_dir``; an output folder that cannot exist fails here, before any work."""
    output_dir = Path(output_dir).absolute()
    if output_dir.exists() and not output_dir.is_dir():
        raise ExportError(f"--output-dir {output_dir}: exists and is not a folder; name a folder")
    try:
        output_dir.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.staging-", dir=output_dir.parent))
    except OSError as exc:
        raise ExportError(f"--output-dir {output_dir}: cannot be created ({exc.strerror})") from exc


def publish(staging: Path, output_dir: Path) -> None:
    """Move the finished export into ``output_dir``.

    A missing, empty or earlier export folder is replaced whole (its stale sources go). Any other folder
    (a user's ``--output-dir .``) only gets the export's files, one rename each: nothing else is touched.
    """
    output_dir = Path(output_dir).absolute()
    if not output_dir.exists():
        os.rename(staging, output_dir)
    elif _replaceable(output_dir):
        previous = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.previous-", dir=output_dir.parent))
        os.rename(output_dir, previous / "export")
        try:
            os.rename(staging, output_dir)
        except OSError:
            os.rename(previous / "export", output_dir)  # put the earlier export back
            raise
        shutil.rmtree(previous, ignore_errors=True)
    else:
        for item in sorted(staging.iterdir()):
            target = output_dir / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(item, target)
        staging.rmdir()


def moved_library(library, staging: Path, output_dir: Path):
    """The generated library's paths, once its folder has been moved into place."""
    files = tuple(Path(output_dir) / Path(f).relative_to(staging) for f in library.files)
    return dataclasses.replace(library, directory=Path(output_dir), files=files)


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def _replaceable(folder: Path) -> bool:
    if not folder.is_dir() or folder.is_symlink():
        raise ExportError(f"--output-dir {folder}: exists and is not a folder; name a folder")
    return not any(folder.iterdir()) or any((folder / name).exists() for name in EXPORT_MARKERS)
