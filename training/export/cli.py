"""``python -m training export``: argparse wiring of the exporter (the lead registers it)."""
from __future__ import annotations

import argparse
from pathlib import Path

from training.config.schema import ExportConfig
from training.errors import ExportError
from training.export import run_folder
from training.export.footprint import footprint_boards


def add_export_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "export", help="quantize to int8 and generate the C model library",
        description="Export a trained model: full-integer int8 TFLite (model_int8.tflite), a generated C "
                    "library with the bit-exact tofhil int8 runtime and on-device preprocessing, and "
                    "model_report.json (accuracy, footprint), then the board's validation firmware project "
                    "(OUTPUT/firmware/BOARD, built with make).")
    parser.add_argument("source", type=Path,
                        help="a run folder, a Keras model (.keras/.h5, needs --config) or an int8 .tflite")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="output folder (default: RUN_DIR/export, or next to the model file)")
    parser.add_argument("--board", default=None, choices=footprint_boards(),
                        help="board (configs/boards/*.yaml) of the footprint build and of the firmware project "
                             "RUN_DIR/export/firmware/BOARD (default: export.board of the config, nucleo-f401re)")
    parser.add_argument("--config", type=Path, default=None,
                        help="config.yaml with dataset and preprocessing, for a model made elsewhere")
    parser.add_argument("--dataset", type=Path, default=None, help="override dataset.training_path")
    parser.add_argument("--representative-size", type=int, default=None,
                        help="training frames that calibrate the quantization (default: export.representative_size "
                             "of the config, 500)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the representative draw (default: export.representative_seed, 0)")
    parser.add_argument("--no-footprint", action="store_true", help="skip the Cortex-M4 footprint build")
    parser.add_argument("--no-firmware", action="store_true",
                        help="do not generate and build the board's firmware project")
    parser.set_defaults(func=run_export_command)
    return parser


def run_export_command(args: argparse.Namespace) -> int:
    from training.export.pipeline import ExportOptions

    model_path, output_dir, inputs = _resolve(args)
    settings = inputs.settings if inputs else ExportConfig()
    options = ExportOptions(
        representative_size=_given(args.representative_size, settings.representative_size),
        representative_seed=_given(args.seed, settings.representative_seed),
        board=_given(args.board, settings.board),
        measure_footprint=settings.footprint and not args.no_footprint,
        firmware=not args.no_firmware, postprocessing=inputs.postprocessing if inputs else None)
    if options.representative_size < 1:
        raise ExportError("--representative-size must be at least 1")
    export_and_print(model_path, output_dir, inputs, options)
    return 0


def export_and_print(model_path: Path, output_dir: Path, inputs, options):
    """Export with what a run folder or config gave (``inputs``, None for a ready .tflite) and print a summary."""
    import dataclasses

    from training.export.pipeline import export_model

    if inputs is not None:
        options = dataclasses.replace(options, calibration=inputs.calibration)
    result = export_model(model_path, output_dir, inputs.spec if inputs else None,
                          inputs.class_names if inputs else None,
                          inputs.representative if inputs else None,
                          inputs.test_set if inputs else None, options)
    _print_summary(result, inputs.test_name if inputs else None)
    return result


def options_from_config(settings: ExportConfig, postprocessing=None):
    from training.export.pipeline import ExportOptions

    return ExportOptions(settings.representative_size, settings.representative_seed, settings.board,
                         settings.footprint, postprocessing=postprocessing)


def _given(value, default):
    return default if value is None else value


def _resolve(args):
    source = args.source
    if source.is_dir():
        inputs = run_folder.read_run_folder(source, args.dataset)
        return inputs.model_path, args.output_dir or source / "export", inputs
    if not source.is_file():
        raise ExportError(f"{source}: no such run folder or model file")
    output_dir = args.output_dir or source.parent / f"{source.stem}_export"
    if args.config is None:
        if source.suffix != ".tflite":
            raise ExportError(f"{source}: a Keras model needs --config (dataset and preprocessing) to quantize")
        return source, output_dir, None
    config = run_folder.load_export_config(args.config, args.dataset)
    return source, output_dir, run_folder.inputs_from_config(config, source)


def _print_summary(result, test_name: str | None) -> None:
    model_report = result.report
    print(f"exported {model_report['model']['source']} -> {result.output_dir}")
    print(f"  model_int8.tflite sha256 {model_report['model']['sha256']}")
    evaluation = model_report.get("evaluation")
    if evaluation:
        print(f"  {test_name} set, {evaluation['test_samples']} frames: float accuracy "
              f"{_percent(evaluation['float_accuracy'])}, int8 accuracy {_percent(evaluation['int8_accuracy'])}, "
              f"float-vs-int8 top-1 agreement {_percent(evaluation['float_int8_top1_agreement'])}")
        if test_name == "validation":
            print("  (no dataset.test_path in the run's config: its validation split stands in for the test set)")
    footprint = model_report.get("footprint")
    if footprint:
        print(f"  {footprint['cpu']} {footprint['flags'][-1]}: flash {footprint['flash_kib']} KiB, RAM {footprint['ram_kib']} KiB "
              f"(arena {footprint['arena_bytes']} B)")
    speed = model_report.get("emulated_speed") or {}
    if speed.get("instructions_per_inference") is not None:
        print(f"  emulated STM32F405 (QEMU -icount): {speed['instructions_per_inference']:,} instructions per "
              f"inference, {speed.get('instructions_per_preprocessing') or 0:,} per preprocessing")
    _print_firmware(model_report.get("firmware"))
    print(f"  report {result.report_path}")


def _print_firmware(firmware: dict | None) -> None:
    if not firmware:
        return
    if not firmware["built"]:
        print(f"  firmware {firmware['board']}: not built ({firmware['reason']})")
    elif firmware["flash_bytes"] is None:
        print(f"  firmware {firmware['board']}: {firmware['image']} (make in {firmware['project']} rebuilds it)")
    else:
        print(f"  firmware {firmware['board']}: flash {firmware['flash_kib']} KiB, RAM {firmware['ram_kib']} KiB "
              f"(stack included), {firmware['project']} (make there rebuilds it)")


def _percent(value) -> str:
    return "n/a" if value is None else f"{value:.2%}"
