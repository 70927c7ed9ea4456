"""Benchmark the export of the hand-posture model: time, .tflite size, flash/RAM footprint.

    python bench/bench_export.py [RUN_DIR] [--dataset PATH]

Without RUN_DIR, configs/handposture.yaml is trained first into a temporary
folder (about a minute; not counted in the export time). The dataset comes from
--dataset or HANDPOSTURE_DATASET.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))



def train_shipped_run(run_dir: Path) -> Path:
    """Train configs/handposture.yaml (the model the README's numbers are about) into run_dir."""
    from training.config import load_config
    from training.train.trainer import run_training

    config = load_config(Path(__file__).resolve().parents[1] / "configs" / "handposture.yaml")
    return run_training(config, output_dir=str(run_dir), verbose=0, track=False).folder.path


def main() -> int:
    from training import quiet_tensorflow

    quiet_tensorflow()
    from tabulate import tabulate

    from training.export.pipeline import export_model
    from training.export.run_folder import read_run_folder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", nargs="?", type=Path)
    parser.add_argument("--dataset", type=Path, default=os.environ.get("HANDPOSTURE_DATASET"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = args.run_dir
        if run_dir is None:
            if not args.dataset:
                parser.error("give RUN_DIR, --dataset or HANDPOSTURE_DATASET")
            os.environ["HANDPOSTURE_DATASET"] = str(args.dataset)
            run_dir = train_shipped_run(Path(tmp) / "run")
        started = time.perf_counter()
        inputs = read_run_folder(run_dir, args.dataset)
        result = export_model(inputs.model_path, Path(tmp) / "export", inputs.spec, inputs.class_names,
                              inputs.representative, inputs.test_set)
        elapsed = time.perf_counter() - started
        tflite_bytes = result.tflite_path.stat().st_size
    model_report = result.report
    footprint, evaluation = model_report["footprint"] or {}, model_report["evaluation"] or {}
    rows = [["export time (run folder -> library + report)", f"{elapsed:.2f} s"],
            ["  of which quantize / codegen / evaluate / footprint",
             " / ".join(f"{model_report['timings_s'][k]:.2f}"
                        for k in ("quantize", "codegen", "evaluate", "footprint"))],
            ["model_int8.tflite", f"{tflite_bytes} B, sha256 {model_report['model']['sha256'][:16]}..."],
            ["weights flash (int8)", f"{footprint.get('weights_bytes', 0) / 1024:.2f} KiB  (ST float: 10.75 KiB)"],
            ["code flash", f"{footprint.get('code_bytes', 0) / 1024:.2f} KiB  (ST: 14.37 KiB)"],
            ["total flash", f"{footprint.get('flash_kib')} KiB  (ST: 25.12 KiB, target <= 8)"],
            ["activation arena", f"{footprint.get('arena_bytes')} B  (ST: 1.07 KiB)"],
            ["stack (deepest entry point)", f"{max(footprint.get('stack_bytes', {0: 0}).values())} B"],
            ["total RAM", f"{footprint.get('ram_kib')} KiB  (ST: 3.15 KiB, target <= 1.5)"],
            ["test float / int8 accuracy", f"{_pct(evaluation.get('float_accuracy'))} / "
                                           f"{_pct(evaluation.get('int8_accuracy'))}"],
            ["float-vs-int8 top-1 agreement", _pct(evaluation.get("float_int8_top1_agreement"))]]
    print(tabulate(rows, headers=["CNN2D_ST_HandPosture int8 export", "value"]))
    return 0


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.2%}"


if __name__ == "__main__":
    sys.exit(main())
