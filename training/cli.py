"""``python -m training``: train, evaluate, crossval, info, synth, export.

Every user error (bad config, corrupt file, unusable model) is a
:class:`~training.errors.HandPostureError`: printed as one message, exit code 2,
no traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from training import quiet_tensorflow
from tofhil.errors import ToolError


def _config_arguments(parser: argparse.ArgumentParser, overrides: bool = True, optional: bool = False) -> None:
    parser.add_argument("config", nargs="?" if optional else None,
                        help="YAML configuration file (ST model-zoo format, either generation)")
    if overrides:
        parser.add_argument("overrides", nargs="*", metavar="section.key=value",
                            help="override config values, e.g. training.epochs=5")
    parser.add_argument("--skip-bad-files", action="store_true",
                        help="skip corrupt or malformed .npz files with a warning instead of stopping")


def _load(args):
    """The config of ``args``, and once, the ST keys it sets that are not used here."""
    from training.config import load_config
    from training.config.st_compat import not_used_note

    config = load_config(args.config, args.overrides)
    note = not_used_note(config)
    if note:
        print(note, file=sys.stderr)
    return config


def cmd_train(args) -> int:
    _train(_load(args), args)
    return 0


def _train(config, args):
    from tofhil.metrics import accuracy_text
    from training.reporting.tables import metrics_table
    from training.train.trainer import run_training

    result = run_training(config, args.output_dir, args.skip_bad_files, verbose=0 if args.quiet else 2,
                          overwrite=args.overwrite)
    metrics = result.metrics
    print()
    print(metrics_table(metrics["splits"]))
    print()
    for split, values in metrics["splits"].items():
        print(accuracy_text(split, values))
    if metrics["test_set"].startswith("validation"):
        print("note: no dataset.test_path: the validation set stands in for the test set")
    print(f"best epoch {metrics['best_epoch']} of {metrics['epochs_run']}, "
          f"{metrics['training_time_s']:.0f} s, {metrics['parameters']} parameters")
    print(f"run folder: {result.folder.path}")
    _copy_trained_model(config, result.folder.path)
    return result


def _copy_trained_model(config, run_dir: Path) -> None:
    """ST's training.trained_model_path: the best model also saved there."""
    import shutil

    from tofhil.folders import find_best_model

    target, best = config.training.trained_model_path, find_best_model(run_dir)
    if not target or best is None:
        return
    target = Path(target)
    if target.suffix != best.suffix:  # ST names an .h5; the file keeps its own format
        target = target.with_suffix(best.suffix)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(best, target)
    print(f"best model also saved as {target} (training.trained_model_path)")


def cmd_evaluate(args) -> int:
    from training.evaluate import run_evaluation

    config = _load(args)
    run_evaluation(config, args.model, args.output_dir, args.skip_bad_files, overwrite=args.overwrite)
    return 0


def cmd_run(args) -> int:
    """Do what the config's operation_mode says (ST's way of driving its services)."""
    from training.evaluate import run_evaluation
    from training.export.cli import export_and_print, options_from_config
    from training.export.run_folder import inputs_from_config, read_run_folder
    from training.st_cli import resolve_st_command_line
    from training.st_modes import run_benchmarking, run_deployment

    resolve_st_command_line(args)
    config = _load(args)
    mode = config.operation_mode
    print(f"operation_mode: {mode}")
    if mode == "deployment":
        return run_deployment(config, args.output_dir, args.overwrite)
    if mode == "benchmarking":
        return run_benchmarking(config, args.output_dir)
    if mode == "training":
        _train(config, args)
    elif mode == "evaluation":
        run_evaluation(config, config.general.model_path, args.output_dir, args.skip_bad_files,
                       overwrite=args.overwrite)
    elif mode == "export":
        model = Path(config.general.model_path)
        inputs = inputs_from_config(config, model) if model.suffix != ".tflite" else None
        output_dir = Path(args.output_dir) if args.output_dir else model.parent / f"{model.stem}_export"
        export_and_print(model, output_dir, inputs, options_from_config(config.export, config.postprocessing))
    else:  # chain_tqe: train, then quantize + generate + evaluate the run's best model
        run = _train(config, args)
        print()
        inputs = read_run_folder(run.folder.path)
        export_and_print(inputs.model_path, run.folder.path / "export", inputs, options_from_config(config.export, config.postprocessing))
    return 0


def cmd_crossval(args) -> int:
    from training.data.splits import check_folds

    check_folds(args.folds)  # before TensorFlow loads
    from training.train.crossval import crossval_table, run_crossval

    config = _load(args)
    summary = run_crossval(config, args.by, args.folds, args.output_dir, args.skip_bad_files,
                           verbose=0 if args.quiet else 2, inner_validation=args.inner_validation,
                           overwrite=args.overwrite)
    print()
    if summary["inner_validation"] == "none":
        print(f"cross-validation by {args.by} (each fold trains on all its training part; last epoch scored)")
    else:
        print(f"cross-validation by {args.by} (best epoch picked on a {summary['inner_validation']}-level "
              f"hold-out of each fold's training part)")
    print(crossval_table(summary))
    print("note: if this figure chose the recipe (as the shipped recipe's leave-one-user-out mean did), it is "
          "optimistic; judge a recipe on data none of its choices saw")
    print(f"results: {summary['folder']}/crossval.json")
    return 0


def cmd_info(args) -> int:
    from training.info import dataset_summary, summary_table

    config = _load(args)
    dataset = config.dataset
    if not dataset.training_path and not dataset.test_path:
        print(f"{args.config}: no dataset folder (operation_mode {config.operation_mode} reads none); "
              f"model: {config.general.model_path or '-'}")
        return 0
    summary = dataset_summary(config, None if dataset.training_path else dataset.test_path,
                              skip_bad_files=args.skip_bad_files)
    print(json.dumps(summary, indent=2) if args.json else summary_table(summary))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training",
                                     description="Train, evaluate and export ToF hand-posture models "
                                                 "(ST model-zoo compatible configs).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = sub.add_parser("train", help="train a model from a YAML config")
    _config_arguments(train)
    train.add_argument("--output-dir", help="run folder (default experiments_outputs/<timestamp>)")
    train.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    _overwrite_argument(train)
    train.set_defaults(func=cmd_train)

    run = sub.add_parser("run", help="do what the config's operation_mode says (training, evaluation, "
                                     "deployment, benchmarking, export, chain_tqe)")
    _config_arguments(run, optional=True)
    run.add_argument("--config-path", help="ST's command line: the folder of the config (default .)")
    run.add_argument("--config-name", help="ST's command line: the config's file name (default user_config.yaml)")
    run.add_argument("--output-dir", help="run or output folder")
    run.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    _overwrite_argument(run)
    run.set_defaults(func=cmd_run)

    evaluate = sub.add_parser("evaluate", help="accuracy and confusion matrix of a model on the test set")
    _config_arguments(evaluate)
    evaluate.add_argument("--model", required=True, help="Keras .keras/.h5 model, or a run folder")
    evaluate.add_argument("--output-dir", help="where to write the metrics and figures")
    _overwrite_argument(evaluate)
    evaluate.set_defaults(func=cmd_evaluate)

    crossval = sub.add_parser("crossval", help="train one model per fold (by user or session), print the table")
    _config_arguments(crossval)
    crossval.add_argument("--by", choices=("user", "session"), default="user")
    crossval.add_argument("--folds", type=int, help="number of folds (default: one per user; 5 by session)")
    crossval.add_argument("--inner-validation", choices=("auto", "none", "frame", "session"), default="auto",
                          help="which epoch of each fold is scored: none = the last one, trained on the whole "
                               "training part; frame/session = the best on a hold-out of the training part; "
                               "auto (default) = frame if a callback watches a val_ metric, else none. "
                               "The held-out fold itself never picks anything")
    crossval.add_argument("--output-dir", help="folder of the cross-validation (default experiments_outputs/...)")
    crossval.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    _overwrite_argument(crossval)
    crossval.set_defaults(func=cmd_crossval)

    info = sub.add_parser("info", help="per class: sessions, files, frames before and after filtering")
    _config_arguments(info)
    info.add_argument("--json", action="store_true", help="print JSON instead of a table")
    info.set_defaults(func=cmd_info)

    _add_other_parsers(sub)
    return parser


def _overwrite_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--overwrite", action="store_true",
                        help="allow --output-dir to name a folder that holds a finished run (its files are replaced)")


def _add_other_parsers(sub) -> None:
    from training.data.synth_cli import add_synth_parser
    from training.export.cli import add_export_parser
    from training.hil_inputs.step import add_hil_inputs_parser

    add_synth_parser(sub)
    add_export_parser(sub)
    add_hil_inputs_parser(sub)


def _check_output_dir_first(args) -> None:
    """A bad --output-dir fails in a second, not after minutes of data loading."""
    from training.train.run_folder import check_output_dir

    if getattr(args, "output_dir", None):
        check_output_dir(args.output_dir, overwrite=getattr(args, "overwrite", True))


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {' '.join(str(message).split())}\n"


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Like ``parse_args``, but ``section.key=value`` overrides may also follow options (``--model M k=v``)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and hasattr(args, "overrides") and all("=" in e and not e.startswith("-") for e in extra):
        args.overrides = [*args.overrides, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: list[str] | None = None) -> int:
    quiet_tensorflow()
    args = parse_arguments(argv)
    warnings.formatwarning = _one_line_warning
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            _check_output_dir_first(args)
            return args.func(args)
    except ToolError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)  # one line, whatever the message holds
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: what was written to the run folder so far is kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
