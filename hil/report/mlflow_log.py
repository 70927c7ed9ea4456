"""Log a HIL report to MLflow as a run linked to the training run that made the model.

Where: the training run's tracking URI and experiment, read from the run folder's resolved ``config.yaml``
(``mlflow.uri``, ``general.project_name``; default ``sqlite:///<experiments_outputs>/mlflow.db``, as
``training/train/tracking.py`` does). Which training run: the one tagged ``run_folder`` = the run folder
(the trainer sets that tag), else the one named after the folder. The HIL run gets the tags
``mlflow.parentRunId`` and ``training_run_id``, so the MLflow UI nests it under its training.
Tracking never holds results hostage: every file is already in the output folder, and any MLflow failure
becomes a warning naming that folder.
"""
from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import yaml

from hil.report.report_type import HilReport

DEFAULT_DB_NAME, DEFAULT_EXPERIMENT = "mlflow.db", "handposture"


def tracking_target(run_dir: Path) -> tuple[str, str]:
    """(tracking URI, experiment name) the training of ``run_dir`` used."""
    run_dir = Path(run_dir).resolve()
    config = {}
    try:
        config = yaml.safe_load((run_dir / "config.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        pass  # no readable config: the defaults the trainer would have used
    uri = (config.get("mlflow") or {}).get("uri") or f"sqlite:///{run_dir.parent / DEFAULT_DB_NAME}"
    return uri, (config.get("general") or {}).get("project_name") or DEFAULT_EXPERIMENT


def report_metrics(report: HilReport) -> dict[str, float]:
    """The report's headline figures as flat MLflow metrics (only those that were measured)."""
    metrics = {}
    for side, entry in report.accuracy.sides():
        metrics[f"hil_{side}_accuracy"] = entry.accuracy
        if entry.ci95:
            metrics[f"hil_{side}_accuracy_ci95_low"], metrics[f"hil_{side}_accuracy_ci95_high"] = entry.ci95
    metrics["hil_exact_match_rate"] = report.agreement.exact_match.rate
    metrics["hil_top1_agreement"] = report.agreement.top1.rate
    shown = report.shown
    if shown:
        metrics.update({"hil_shown_accuracy_rate": shown.shown_accuracy.rate,
                        "hil_no_posture_rate": shown.no_posture.rate,
                        "hil_above_threshold_rate": shown.above_threshold.rate})
    for stage, block in report.latency.stages():
        for stats, unit in ((block.stats, block.unit), (block.us, "us")) if block else ():
            if stats:
                metrics.update({f"hil_{stage}_{unit}_{name}": value for name, value in
                                (("mean", stats.mean), ("p50", stats.p50), ("p95", stats.p95), ("p99", stats.p99),
                                 ("max", stats.max))})
    if report.link:
        metrics["hil_frames_per_s"] = report.link.frames_per_s
        metrics["hil_bytes_per_s"] = report.link.bytes_per_s
    if report.firmware:
        metrics.update({"hil_firmware_flash_bytes": report.firmware.flash_bytes,
                        "hil_firmware_ram_bytes": report.firmware.ram_bytes,
                        "hil_firmware_stack_used_bytes": report.firmware.stack_used_bytes})
    return {key: float(value) for key, value in metrics.items() if isinstance(value, (int, float))}


def log_report(output_dir, report: HilReport, run_dir=None, gate_results=None) -> str | None:
    """Log every file of the output folder but the bulky logs (``*.log`` stay on disk) with the report's metrics."""
    files = sorted(p for p in Path(output_dir).iterdir() if p.is_file() and p.suffix != ".log"
                   and not p.name.startswith("."))
    return log_report_to_mlflow(report, files, run_dir, gate_results)


def log_report_to_mlflow(report: HilReport, files, run_dir=None, gate_results=None,
                         tracking_uri: str | None = None, experiment: str | None = None) -> str | None:
    """The new MLflow run id, or ``None`` (with a warning) when tracking failed or had no run folder."""
    run_dir = run_dir or report.run_dir
    if run_dir is None and tracking_uri is None:
        warnings.warn(f"no run folder known: HIL report not tracked in MLflow; files stay in "
                      f"{report.output_dir}", stacklevel=2)
        return None
    default_uri, default_experiment = tracking_target(Path(run_dir or "."))
    uri, experiment = tracking_uri or default_uri, experiment or default_experiment
    try:
        return _log(report, [Path(f) for f in files], run_dir, gate_results or [], uri, experiment)
    except Exception as exc:  # tracking must never lose a finished validation
        warnings.warn(f"MLflow tracking at {uri} failed ({type(exc).__name__}: {exc}); the report stays in "
                      f"{report.output_dir}", stacklevel=2)
        return None


def _log(report: HilReport, files: list[Path], run_dir, gate_results, uri: str, experiment: str) -> str:
    mlflow = _mlflow()
    mlflow.set_tracking_uri(uri)
    if mlflow.get_experiment_by_name(experiment) is None:
        location = None
        if uri.startswith("sqlite:") and run_dir:  # artefacts beside the database, as the trainer does
            location = (Path(run_dir).resolve().parent / "mlartifacts").as_uri()
        mlflow.create_experiment(experiment, artifact_location=location)
    parent = _training_run_id(mlflow, experiment, run_dir) if run_dir else None
    tags = {"hil.board": report.board, "hil.mode": report.mode, "hil.split": report.split,
            "hil.output_dir": report.output_dir, "model_sha256": report.model_sha256 or "-"}
    if parent:
        tags.update({"mlflow.parentRunId": parent, "training_run_id": parent})
    tags.update({f"gate.{g.name}": g.status for g in gate_results})
    run_name = f"hil-{report.board}-{report.mode}-{Path(report.output_dir).name}"
    with mlflow.start_run(experiment_id=mlflow.get_experiment_by_name(experiment).experiment_id,
                          run_name=run_name, tags=tags) as run:
        mlflow.log_metrics(report_metrics(report))
        for path in files:
            mlflow.log_artifact(str(path), "hil")
        return run.info.run_id


def _training_run_id(mlflow, experiment: str, run_dir) -> str | None:
    folder = Path(run_dir).resolve()
    for condition in (f"tags.run_folder = '{folder}'", f"attributes.run_name = '{folder.name}'"):
        runs = mlflow.search_runs(experiment_names=[experiment], filter_string=condition,
                                  order_by=["attributes.start_time DESC"], max_results=1, output_format="list")
        if runs:
            return runs[0].info.run_id
    warnings.warn(f"no MLflow training run found for {folder} in experiment {experiment!r}: "
                  f"the HIL run is logged without a parent", stacklevel=3)
    return None


def _mlflow():
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    return mlflow
