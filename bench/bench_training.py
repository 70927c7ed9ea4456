"""Benchmark: full training of a config (default: the shipped configs/handposture.yaml).

    python bench/bench_training.py [CONFIG] [--crossval]

Prints a table: wall time, epochs, best epoch, validation accuracy (session split), and with
--crossval the leave-one-user-out accuracy per fold. Needs HANDPOSTURE_DATASET. Not a timed test:
the numbers are reported in the README with this command.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    from training import quiet_tensorflow

    quiet_tensorflow()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", nargs="?", default=str(REPO / "configs" / "handposture.yaml"))
    parser.add_argument("--crossval", action="store_true", help="also run leave-one-user-out cross-validation")
    args = parser.parse_args()

    from tabulate import tabulate

    from training.config import load_config
    from training.train.crossval import run_crossval
    from training.train.trainer import run_training

    config = load_config(args.config)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        result = run_training(config, output_dir=f"{scratch}/run", verbose=0, track=False)
        wall = time.perf_counter() - started
        metrics = result.metrics
        rows.append(["train (full)", f"{wall:.0f} s", metrics["epochs_run"], metrics["best_epoch"],
                     f"{metrics['splits']['validation']['accuracy']:.2%}",
                     f"validation, split_by={config.dataset.split_by}"])
        if args.crossval:
            started = time.perf_counter()
            summary = run_crossval(config, "user", None, f"{scratch}/cv", track=False, log=lambda *_: None)
            wall = time.perf_counter() - started
            for fold in summary["folds"]:
                rows.append([f"LOUO {fold['name']}", "", "", fold["scored_epoch"], f"{fold['accuracy']:.2%}",
                             f"held-out user, {fold['test_frames']} frames"])
            rows.append(["LOUO mean", f"{wall:.0f} s", "", "", f"{summary['mean_accuracy']:.2%}",
                         f"mean of the folds (epoch choice: {summary['inner_validation']})"])
    print(f"config: {args.config}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(tabulate(rows, headers=["what", "wall time", "epochs", "scored epoch", "accuracy", "on"],
                   tablefmt="github"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
