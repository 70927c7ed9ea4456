"""A whole training run on a synthetic dataset: artefacts, MLflow, reproducibility, the CLI."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import keras
import matplotlib.image
import numpy as np
import pytest
import yaml

from training.config import load_config
from training.train.trainer import run_training

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def trained(tiny_config, tmp_path):
    config = load_config(tiny_config)
    return run_training(config, output_dir=str(tmp_path / "runs" / "run1"), verbose=0)


def test_run_folder_holds_every_artefact(trained):
    run = trained.folder.path
    for name in ("saved_models/best_model.keras", "saved_models/best_model.h5", "config.yaml", "metrics.json",
                 "training_curves.png", "confusion_matrix_training.png", "confusion_matrix_validation.png",
                 "training_log.csv", "dataset_fingerprint.json", "split_manifest.json"):
        assert (run / name).is_file(), name
    assert list((run / "logs").rglob("events.out.tfevents.*")), "TensorBoard logs"
    for png in run.glob("*.png"):
        assert matplotlib.image.imread(png).shape[0] > 100
    model = keras.models.load_model(run / "saved_models" / "best_model.keras")
    assert model.count_params() == 2752 - 4 * 33  # 4 classes instead of 8
    keras.models.load_model(run / "saved_models" / "best_model.h5", compile=False)


def test_metrics_json_is_complete(trained):
    metrics = json.loads((trained.folder.path / "metrics.json").read_text())
    assert metrics["class_names"] == ["None", "FlatHand", "Like", "Fist"]
    assert metrics["test_set"].startswith("validation set")
    for split in ("training", "validation"):
        m = metrics["splits"][split]
        assert 0.0 <= m["accuracy"] <= 1.0
        matrix = np.array(m["confusion_matrix"])
        assert matrix.shape == (4, 4) and matrix.sum() == m["frames"]
        assert np.isclose(np.trace(matrix) / matrix.sum(), m["accuracy"])
    rows = list(csv.DictReader(open(trained.folder.path / "training_log.csv")))
    assert len(rows) == 3 and "val_accuracy" in rows[0]


def test_resolved_config_and_manifest(trained):
    saved = yaml.safe_load((trained.folder.path / "config.yaml").read_text())
    assert saved["training"]["epochs"] == 3 and saved["preprocessing"]["normalization"] == "hand_relative"
    manifest = json.loads((trained.folder.path / "split_manifest.json").read_text())
    assigned = manifest["sessions"]
    assert set(assigned.values()) == {"training", "validation"}
    fingerprint = json.loads((trained.folder.path / "dataset_fingerprint.json").read_text())
    assert len(fingerprint["training"]["sha256"]) == 64 and fingerprint["training"]["files"] > 0


def test_mlflow_run_is_recorded(trained):
    import mlflow

    db = trained.folder.experiments_root / "mlflow.db"
    assert db.is_file()
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}")
    experiment = client.get_experiment_by_name("tiny")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED"
    assert run.data.params["training.epochs"] == "3"
    history = client.get_metric_history(run.info.run_id, "val_accuracy")
    assert [m.step for m in history] == [0, 1, 2]
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"metrics.json", "config.yaml", "training_curves.png"} <= artifacts


def test_two_deterministic_runs_give_identical_metrics(tiny_config, tmp_path):
    config = load_config(tiny_config)
    first = run_training(config, output_dir=str(tmp_path / "a"), verbose=0, track=False)
    second = run_training(config, output_dir=str(tmp_path / "b"), verbose=0, track=False)
    assert first.history == second.history
    assert first.metrics["splits"] == second.metrics["splits"]


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "training", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=600)


def test_cli_train_prints_a_table(tiny_config, tmp_path):
    result = run_cli("train", str(tiny_config), "training.epochs=2", "--output-dir", str(tmp_path / "cli"),
                     "--quiet")
    assert result.returncode == 0, result.stderr
    assert "validation accuracy:" in result.stdout and "FlatHand" in result.stdout
    assert "the validation set stands in for the test set" in result.stdout
    assert (tmp_path / "cli" / "metrics.json").is_file()


def test_cli_evaluate(trained, tiny_config, tmp_path):
    result = run_cli("evaluate", str(tiny_config), "--model", str(trained.folder.path),
                     "--output-dir", str(tmp_path / "eval"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "eval" / "evaluation.json").read_text())
    assert report["metrics"]["accuracy"] == trained.metrics["splits"]["validation"]["accuracy"]
    assert "validation accuracy" in result.stdout


@pytest.mark.parametrize("args,message", [
    (["train", "{config}", "training.epochs=zero"], "training.epochs: expected a whole number"),
    (["train", "{config}", "training.callbacks={{ModelCheckpoint: {{}}}}"], "ModelCheckpoint: built in"),
    (["train", "{config}", "training.optimizer=Adamm"], "'Adamm' is not a Keras optimizer"),
    (["train", "{config}", "dataset.training_path=/nonexistent"], "/nonexistent does not exist"),
    (["info", "/nonexistent.yaml"], "cannot read the config file"),
])
def test_cli_errors_exit_2_without_traceback(tiny_config, tmp_path, args, message):
    args = [a.format(config=tiny_config) for a in args]
    result = run_cli(*args, "--output-dir", str(tmp_path / "x")) if args[0] == "train" else run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_run_chain_tqe_trains_then_exports(tiny_config, tmp_path):
    result = run_cli("run", str(tiny_config), "operation_mode=chain_tqe", "training.epochs=1",
                     "export.footprint=false", "--output-dir", str(tmp_path / "chain"), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "operation_mode: chain_tqe" in result.stdout
    report = json.loads((tmp_path / "chain" / "export" / "model_report.json").read_text())
    assert report["model"]["ops"][0] == "CONV_2D"
    assert report["evaluation"]["test_samples"] == json.loads(
        (tmp_path / "chain" / "metrics.json").read_text())["splits"]["validation"]["frames"]
    assert (tmp_path / "chain" / "export" / "tofhil_model.c").is_file()


def test_run_export_mode_on_a_model_file(trained, tiny_config, tmp_path):
    model = trained.folder.path / "saved_models" / "best_model.keras"
    result = run_cli("run", str(tiny_config), "operation_mode=export", f"general.model_path={model}",
                     "training.model=null", "training.dropout=null", "export.representative_size=50",
                     "--output-dir", str(tmp_path / "exported"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "exported" / "model_report.json").read_text())
    assert report["quantization"]["representative_samples"] == 50
    assert report["footprint"]["flash_kib"] > 0


@pytest.mark.parametrize("by,extra,expected_folds", [("user", [], ["User1", "User2"]),
                                                     ("session", ["--folds", "2"], ["fold1", "fold2"])])
def test_cli_crossval(tiny_config, tmp_path, by, extra, expected_folds):
    result = run_cli("crossval", str(tiny_config), "training.epochs=2", "--by", by, *extra, "--quiet",
                     "--output-dir", str(tmp_path / "cv"))
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "cv" / "crossval.json").read_text())
    assert [f["name"] for f in summary["folds"]] == expected_folds
    assert summary["inner_validation"] == "none"  # tiny_config has no callback watching val_ metrics
    assert sum(f["test_frames"] for f in summary["folds"]) == sum(summary["pooled"]["per_class"][c]["support"]
                                                                  for c in summary["pooled"]["per_class"])
    assert "mean ± std" in result.stdout and (tmp_path / "cv" / "confusion_matrix_crossval.png").is_file()


def test_mlflow_uri_from_the_config_is_used(tiny_config, tmp_path):
    import mlflow

    uri = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    config = load_config(tiny_config, ["training.epochs=1", f"mlflow.uri={uri}"])
    run_training(config, output_dir=str(tmp_path / "runs" / "r"), verbose=0)
    assert not (tmp_path / "runs" / "mlflow.db").exists()
    client = mlflow.MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])
    assert [r.info.run_name for r in runs] == ["r"]
