"""Trained runs made once and shared by the whole suite (and by the HIL stage of ``./run.sh test``).

Training is the dearest thing the suite does, and most tests only need *a* trained, exported run with its
firmware built. Each shared artefact here is made once per key, under a lock (pytest-xdist workers and
``./run.sh`` ask for it at the same time), and then only read:

- ``synthetic``: the small synthetic dataset of the unit and HIL tests (``training/data/synth.py``);
- ``tiny-1``, ``tiny-2``: two small models trained and exported on it (two seeds: the stale-firmware tests
  need two different models), firmware built for the host and the emulated board;
- ``shipped``: ``configs/handposture.yaml`` trained on ST's dataset, exported, firmware built for the host,
  the emulated board and the NUCLEO.

The key of an artefact is a hash of everything that shapes it: its recipe (the config text), the dataset's path
and bytes, and the source files of ``training/``, ``tofhil/``, ``firmware_templates/``, ``configs/boards/`` and
the lock. A change in any of them makes a new key, so a new run; an unchanged tree reuses the last one.
Where: ``$TOFHIL_TEST_CACHE``, else ``build/test-cache`` of the checkout (never beside the dataset).

A test that must change a run copies it (:func:`private_copy`). Every artefact records the sha256 of each of its
files when made; ``./run.sh test`` checks them after the whole suite (``tests/after_suite/``), so a test that
wrote into a shared run fails CI by name instead of silently changing what the next test sees.

Also a command: ``python -m tests.shared_runs shipped`` prints the shipped run's folder, making it if needed.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE_VARIABLE = "TOFHIL_TEST_CACHE"
MANIFEST = "shared-manifest.json"  # written last: an entry without it is incomplete and made again
# MLflow's store beside a run: every HIL report of the run is logged there by design, so it is not the run
MLFLOW_STORE = {"mlflow.db", "mlartifacts", "mlruns"}
SOURCE_TREES = ("training", "tofhil", "firmware_templates", "configs/boards")
SOURCE_FILES = ("requirements.lock", "pyproject.toml")
SYNTH_CLASSES = ("None", "Like", "Fist", "FlatHand")
SYNTH_PARAMETERS = {"users": 2, "sessions_per_user": 2, "files_per_session": 2, "frames_per_file": 30, "seed": 7}
TINY_BOARDS = ("host", "qemu-stm32f405")
SHIPPED_BOARDS = ("host", "qemu-stm32f405", "nucleo-f401re")


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_VARIABLE) or REPO / "build" / "test-cache")


def _hash_tree(digest, root: Path, base: Path) -> None:
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")


def sources_hash() -> str:
    """sha256 of the source files that shape a trained and exported run."""
    digest = hashlib.sha256()
    for tree in SOURCE_TREES:
        _hash_tree(digest, REPO / tree, REPO)
    for name in SOURCE_FILES:
        digest.update(name.encode() + b"\0" + (REPO / name).read_bytes() + b"\0")
    return digest.hexdigest()


def dataset_hash(dataset: Path) -> str:
    digest = hashlib.sha256(str(Path(dataset).resolve()).encode() + b"\0")
    _hash_tree(digest, Path(dataset), Path(dataset))
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MANIFEST and p.relative_to(folder).parts[0] not in MLFLOW_STORE}


def changed_files(entry: Path) -> list[str]:
    """Files of a finished entry that differ from its manifest (added, removed or changed)."""
    recorded = json.loads((entry / MANIFEST).read_text())["files"]
    now = file_hashes(entry)
    return sorted(name for name in set(recorded) | set(now) if recorded.get(name) != now.get(name))


def finished_entries(root: Path | None = None) -> list[Path]:
    root = cache_root() if root is None else root
    return sorted(p.parent for p in root.glob(f"*/{MANIFEST}"))


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared_entry(name: str, key: str, make) -> Path:
    """The folder ``<cache>/<name>-<key>``, made by ``make(folder)`` once (under a lock) and then only read."""
    entry = cache_root() / f"{name}-{key[:16]}"
    if (entry / MANIFEST).is_file():
        return entry
    with _locked(cache_root() / f"{name}.lock"):
        if (entry / MANIFEST).is_file():  # another worker made it while this one waited
            return entry
        shutil.rmtree(entry, ignore_errors=True)  # an interrupted attempt
        entry.mkdir(parents=True)
        make(entry)
        manifest = {"name": name, "key": key, "files": file_hashes(entry)}
        (entry / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return entry


def _step(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed (exit {result.returncode}):\n{result.stderr[-4000:]}")


def _build_firmware(run: Path, boards: tuple[str, ...]) -> None:
    from tofhil.firmware import build_project, generate_project

    for board in boards:
        build_project(generate_project(run / "export", board))


def synthetic_dataset() -> Path:
    """The small synthetic dataset (four classes, two users, two sessions each; seconds to make)."""
    from training.data.synth import generate_synthetic_dataset

    key = hashlib.sha256(json.dumps([SYNTH_CLASSES, SYNTH_PARAMETERS]).encode()
                         + sources_hash().encode()).hexdigest()

    def make(entry: Path) -> None:
        generate_synthetic_dataset(entry / "dataset", list(SYNTH_CLASSES), **SYNTH_PARAMETERS)

    return shared_entry("synthetic", key, make) / "dataset"


def keras2_model_files() -> Path:
    """Keras 2 ``.h5`` models saved by ``tf_keras`` as ST saved its published one (tests/model_files/make_keras2.py,
    in a process of its own)."""
    script = REPO / "tests" / "model_files" / "make_keras2.py"
    key = hashlib.sha256(script.read_bytes() + (REPO / "requirements.lock").read_bytes()).hexdigest()
    return shared_entry("keras2-models", key, lambda entry: _step("-m", "tests.model_files.make_keras2",
                                                                  str(entry / "models"))) / "models"


def tiny_config(dataset: Path, seed: int) -> str:
    """A small training config over the synthetic dataset (seconds to train)."""
    return f"""
general: {{project_name: tiny, deterministic_ops: true, global_seed: {seed}}}
dataset: {{class_names: [None, Like, Fist, FlatHand], training_path: {dataset}, validation_split: 0.5}}
preprocessing: {{normalization: hand_relative, center_hand: true}}
training:
  model:
    name: CNN2D_ST_HandPosture
    version: v1
    input_shape: (8, 8, 2)
  batch_size: 32
  epochs: 3
  optimizer: {{Adam: {{learning_rate: 0.01}}}}
export: {{representative_size: 50}}
"""


@dataclass(frozen=True)
class Recipe:
    """What a shared run is made from: a config text over a dataset, and the boards its firmware is built for."""

    name: str
    config_text: str
    dataset: Path
    boards: tuple[str, ...]
    export_args: tuple[str, ...] = ()

    def key(self) -> str:
        parts = [self.config_text, dataset_hash(self.dataset), sources_hash(), ",".join(self.boards),
                 ",".join(self.export_args)]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def make(self, entry: Path) -> None:
        config = entry / "config.yaml"
        config.write_text(self.config_text)
        run = entry / "run"
        _step("-m", "training", "train", str(config), "--output-dir", str(run), "--quiet")
        _step("-m", "training", "export", str(run), *self.export_args)
        _build_firmware(run, self.boards)


def shared_run(recipe: Recipe) -> Path:
    """The run folder of ``recipe``, trained, exported and built once."""
    return shared_entry(recipe.name, recipe.key(), recipe.make) / "run"


def tiny_run(seed: int) -> Path:
    return shared_run(Recipe(f"tiny-{seed}", tiny_config(synthetic_dataset(), seed), synthetic_dataset(),
                             TINY_BOARDS))


def shipped_recipe(dataset: Path) -> Recipe:
    """``configs/handposture.yaml`` as shipped, with the dataset path written in (the key names the dataset)."""
    text = (REPO / "configs" / "handposture.yaml").read_text().replace("${HANDPOSTURE_DATASET}", str(dataset))
    return Recipe("shipped", text, Path(dataset), SHIPPED_BOARDS)


def shipped_run(dataset: Path | None = None) -> Path:
    dataset = dataset or os.environ.get("HANDPOSTURE_DATASET")
    if not dataset or not Path(dataset).is_dir():
        raise SystemExit(f"HANDPOSTURE_DATASET does not point at ST's dataset (got {dataset!r})")
    return shared_run(shipped_recipe(Path(dataset)))


def private_copy(run: Path, destination: Path) -> Path:
    """A copy of a shared run that a test may change (the shared one stays as made)."""
    shutil.copytree(run, destination, symlinks=True)
    return destination


def main(argv: list[str]) -> int:
    if argv[:1] == ["shipped"]:
        print(shipped_run())
        return 0
    if argv[:1] == ["tiny"]:
        print(tiny_run(int(argv[1]) if len(argv) > 1 else 1))
        return 0
    print("usage: python -m tests.shared_runs shipped | tiny [SEED]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
