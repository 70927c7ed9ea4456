"""Benchmark: how much the accuracy claims move with the seed, to set test thresholds with a margin.

    python bench/bench_seed_spread.py [--seeds 1 2 3 ...] [--configs st_reference handposture] [--crossval]
                                      [--set NAME:section.key=value ...]

Trains each config once per seed (general.global_seed) and prints, per config, the validation accuracy of
every seed with mean, standard deviation and minimum; with --crossval also the leave-one-user-out mean of
the shipped config per seed. The thresholds in tests/dataset/test_training_accuracy.py are set below the
minimum measured here, and the README states this table. Needs HANDPOSTURE_DATASET.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _train(config_name: str, seed: int, scratch: str, overrides: list[str]) -> float:
    from training.config import load_config
    from training.train.trainer import run_training

    config = load_config(REPO / "configs" / f"{config_name}.yaml", [f"general.global_seed={seed}", *overrides])
    result = run_training(config, output_dir=f"{scratch}/{config_name}-{seed}", verbose=0, track=False)
    return result.metrics["splits"]["validation"]["accuracy"]


def _louo(seed: int, scratch: str, overrides: list[str]) -> float:
    from training.config import load_config
    from training.train.crossval import run_crossval

    config = load_config(REPO / "configs" / "handposture.yaml", [f"general.global_seed={seed}", *overrides])
    summary = run_crossval(config, "user", None, f"{scratch}/cv-{seed}", track=False, log=lambda *_: None)
    return summary["mean_accuracy"]


def _given(overrides: list[str] | None) -> str:
    return f" [{', '.join(overrides)}]" if overrides else ""


def _row(name: str, values: list[float]) -> list:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return [name, " ".join(f"{v:.2%}" for v in values), f"{statistics.mean(values):.2%}", f"{spread:.2%}",
            f"{min(values):.2%}"]


def main() -> int:
    from training import quiet_tensorflow

    quiet_tensorflow()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 42, 123])
    parser.add_argument("--configs", nargs="*", default=["st_reference", "handposture"])
    parser.add_argument("--crossval", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="NAME:section.key=value",
                        help="override one config (NAME: st_reference, handposture or crossval)")
    args = parser.parse_args()
    overrides = {}
    for item in args.set:
        name, _, override = item.partition(":")
        overrides.setdefault(name, []).append(override)
    from tabulate import tabulate

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.configs:
            values = [_train(name, seed, scratch, overrides.get(name, [])) for seed in args.seeds]
            rows.append(_row(f"{name} (validation){_given(overrides.get(name))}", values))
            print(tabulate([rows[-1]], tablefmt="plain"), flush=True)
        if args.crossval:
            rows.append(_row(f"handposture LOUO mean{_given(overrides.get('crossval'))}",
                             [_louo(seed, scratch, overrides.get("crossval", [])) for seed in args.seeds]))
    print(f"seeds: {args.seeds}")
    print(tabulate(rows, headers=["what", "per seed", "mean", "std", "min"], tablefmt="github"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
