"""``python -m hil benchmark``: ST's runtime measured by ST's tools, side by side with ours.

``add_benchmark_parser(subparsers)`` registers the sub-command in ``python -m hil``; ``main_benchmark(argv)``
runs it on its own (``argv`` without the word ``benchmark``). Both return the exit code: 0, or 2 after a
one-line error (no traceback) that names the results file keeping what was measured; 130 on Ctrl-C.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hil.st_benchmark import compare
from hil.st_benchmark.errors import BackendError
from hil.st_benchmark.run_inputs import find_run_models, results_folder
from tofhil.errors import ToolError

DESCRIPTION = ("Measure ST's runtime on the run's float model and on our int8 model with ST's own tools, and print "
               "it next to our runtime's figures (flash, RAM, cycles or instructions, ms, accuracy, with the source "
               "of each figure). st-cloud: ST Edge AI Developer Cloud board farm (needs ST's stm32ai_dc client, the "
               "internet and a MyST account: STM32AI_USERNAME/STM32AI_PASSWORD or the client's stored token). "
               "stedgeai: a local ST Edge AI Core `stedgeai analyze` (footprint only, no network). "
               "See docs/st-edge-ai.md.")


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=("st-cloud", "stedgeai"), required=True, help="which ST tool measures")
    parser.add_argument("--run-dir", type=Path, required=True,
                        help="run folder (saved_models/best_model.h5|.keras and export/model_int8.tflite)")
    parser.add_argument("--st-board", default=None, help="cloud board (default: NUCLEO-F401RE); an unknown name "
                                                         "lists the farm's boards")
    parser.add_argument("--st-version", default=None, help="ST Edge AI version on the cloud (default: latest; the "
                                                           "numbering depends on ST's client: docs/st-edge-ai.md)")
    parser.add_argument("--st-timeout", type=float, default=None,
                        help="time limit in seconds of each step: upload, analyze, benchmark (default: st-cloud "
                             "2500, the figure ST's own benchmark script gives its client; stedgeai 600)")
    parser.add_argument("--keep-uploads", action="store_true", help="leave the uploaded models in your workspace")
    parser.add_argument("--stedgeai", type=Path, default=None, help="stedgeai executable (default: PATH, then "
                                                                    "$STEDGEAI_CORE_DIR/Utilities/<os>/)")
    parser.add_argument("--st-target", default="stm32f4", help="stedgeai --target series (default stm32f4)")
    parser.add_argument("--hil-report", type=Path, default=None,
                        help="our figures: a hil_report.json or its folder (default: newest RUN/hil/*/hil_report.json)")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="results folder (default RUN/hil/<backend>/<board or target>-<stamp>/)")


def add_benchmark_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("benchmark", help="ST's runtime (ST cloud or local stedgeai) next to ours",
                                   description=DESCRIPTION)
    _add_arguments(parser)
    parser.set_defaults(func=benchmark_command)
    return parser


def _measure(args) -> tuple[dict, Path]:
    models = find_run_models(args.run_dir)
    if args.backend == "st-cloud":
        from hil.st_benchmark.st_cloud import DEFAULT_BOARD, StCloudBenchmark, StCloudOptions, import_client

        client = import_client()  # before any folder is made: a missing client leaves nothing behind
        timeout = {} if args.st_timeout is None else {"step_timeout_s": args.st_timeout}
        options = StCloudOptions(board=args.st_board, version=args.st_version, keep_uploads=args.keep_uploads,
                                 **timeout)
        out_dir = results_folder(args.run_dir, "st-cloud", args.st_board or DEFAULT_BOARD, args.output_dir)
        return StCloudBenchmark(models, out_dir, options, client=client).run(), out_dir
    from hil.st_benchmark.stedgeai import StEdgeAiAnalyze, StEdgeAiOptions, find_stedgeai

    timeout = {} if args.st_timeout is None else {"timeout_s": args.st_timeout}
    options = StEdgeAiOptions(find_stedgeai(args.stedgeai), args.st_target, **timeout)
    out_dir = results_folder(args.run_dir, "stedgeai", args.st_target, args.output_dir)
    return StEdgeAiAnalyze(models, out_dir, options).run(), out_dir


def _show(results: dict, out_dir: Path, args) -> None:
    comparison = compare.build_comparison(results, args.run_dir, args.hil_report)
    compare.write_comparison(out_dir, comparison)
    print(compare.render_table(comparison))


def _show_partial(error: BackendError, args) -> None:
    """After a failure: the table of what was measured, if a results file exists (best effort)."""
    if error.results_path is None or not Path(error.results_path).is_file():
        return
    try:
        results = json.loads(Path(error.results_path).read_text(encoding="utf-8"))
        _show(results, Path(error.results_path).parent, args)
    except (ToolError, OSError, ValueError):
        pass


def benchmark_command(args) -> int:
    try:
        results, out_dir = _measure(args)
        _show(results, out_dir, args)
    except BackendError as exc:
        _show_partial(exc, args)
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ToolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: the results file keeps what was measured", file=sys.stderr)
        return 130
    print(f"results: {out_dir}")
    return 0


def main_benchmark(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hil benchmark", description=DESCRIPTION)
    _add_arguments(parser)
    return benchmark_command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main_benchmark())
