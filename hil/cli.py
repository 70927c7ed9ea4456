"""``python -m hil``: board-level commands over the :mod:`hil` library.

``boards``, ``build``, ``info`` and ``flash`` never import TensorFlow; ``run`` does (host references).
Every :class:`~hil.errors.HilError` (and the training package's user errors) prints one message and exits 2.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from hil.errors import HilError


def _board_options(parser: argparse.ArgumentParser, board_required: bool = True) -> None:
    parser.add_argument("--board", required=board_required, default=None,
                        help="board name: a file in configs/boards/ (python -m hil boards lists them)")
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="run folder of python -m training train (default: the newest in experiments_outputs/)")
    parser.add_argument("--port", default=None, help="serial device or pyserial URL (rfc2217://host:port, ...)")
    parser.add_argument("--probe", default=None, help="ST-LINK serial number, when several boards are attached")
    parser.add_argument("--flasher", default=None, help="pyocd, st-flash, openocd, stm32cubeprogrammer, mass-storage")
    parser.add_argument("--no-flash", action="store_true", help="use the firmware already on the board")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds without a reply before a resend")
    parser.add_argument("--attempts", type=int, default=10, help="sends of one request before giving up")
    parser.add_argument("--link", default=None,
                        help="wrap the link URL, e.g. 'faulty://?drop=0.01&corrupt=0.01&seed=1&inner={url}'")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hil", description="Hardware-in-the-loop validation of an "
                                     "exported int8 model on an STM32 board, QEMU or the host.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("boards", help="list the board descriptions").set_defaults(func=cmd_boards)
    for name, func, text in (("build", cmd_build, "generate and build the firmware project (cached)"),
                             ("info", cmd_info, "build, flash or start the board, handshake, print HELLO"),
                             ("flash", cmd_flash, "build and flash (or start) the board, then release it")):
        command = sub.add_parser(name, help=text, description=text)
        _board_options(command)
        command.set_defaults(func=func)
    run = sub.add_parser("run", help="validate the run's test set on a board and write the report",
                         description="Validate on the board: stream the test set, compare with the host "
                                     "references, write the report, judge the gates (exit 1 when one fails).")
    _board_options(run, board_required=False)
    run.add_argument("--output-dir", type=Path, default=None)
    run.add_argument("--mode", choices=("raw", "tensor"), default=None)
    run.add_argument("--limit", type=int, default=None, help="validate N frames spread over the test set")
    run.add_argument("--resume", action="store_true", help="continue the run in --output-dir from results.jsonl")
    run.add_argument("--gate", action="append", default=[], metavar="NAME=VALUE",
                     help="override a gate, e.g. --gate min_accuracy=0.9 --gate max_instructions=null")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("overrides", nargs="*", metavar="section.key=value",
                     help="config overrides, e.g. dataset.test_path=DIR hil.mode=tensor")
    run.set_defaults(func=cmd_run)
    _add_benchmark(sub)
    from hil.doctor.cli import add_doctor_parser

    add_doctor_parser(sub)
    return parser


def _add_benchmark(sub) -> None:
    try:
        from hil.cli_benchmark import add_benchmark_parser
    except ImportError:
        return
    add_benchmark_parser(sub)


def _options(args):
    from hil.runner import BoardOptions

    return BoardOptions(board=args.board, port=args.port, probe=args.probe, flasher=args.flasher,
                        flash=not args.no_flash, link_wrapper=args.link, timeout_s=args.timeout,
                        max_attempts=args.attempts)


def cmd_boards(args) -> int:
    from tabulate import tabulate

    from tofhil.boards import list_boards, load_board

    rows = [[spec.name, spec.kind, spec.chip, spec.description] for spec in map(load_board, list_boards())]
    print(tabulate(rows, headers=["board", "kind", "chip", "description"], tablefmt="github"))
    return 0


def _run_folder(args):
    from tofhil.folders import RunFolder

    return RunFolder.open(args.run_dir) if args.run_dir else RunFolder.newest()


def cmd_build(args) -> int:
    from hil.runner import build_firmware, ensure_export

    image = build_firmware(ensure_export(_run_folder(args)), args.board)
    print(f"firmware for {args.board}: {image.project_dir}")
    print(f"  flash {image.flash_bytes} B, RAM {image.ram_bytes} B, model sha256 {image.model_sha256}")
    return 0


def cmd_info(args) -> int:
    from hil.runner import BoardSession

    run = _run_folder(args)
    with BoardSession(_options(args), run, run.hil_dir / f"{args.board}-info") as session:
        hello, stats = session.client.hello, session.client.stats()
        for key, value in dataclasses.asdict(hello).items():
            print(f"{key:>20}: {value}")
        print(f"{'stack used':>20}: {stats.stack_used_bytes} of {stats.stack_size_bytes} B")
        print(f"{'link':>20}: {getattr(session.target, 'link_url', '?')}")
    return 0


def cmd_flash(args) -> int:
    from hil.runner import build_firmware, ensure_export, make_target
    from tofhil.boards import load_board

    run = _run_folder(args)
    image = build_firmware(ensure_export(run), args.board)
    target = make_target(load_board(args.board), _options(args), run.hil_dir / f"{args.board}-flash")
    with target:
        print(f"{args.board}: running {image.elf} at {target.start(image)}")
    return 0


def cmd_run(args) -> int:
    from training import quiet_tensorflow

    quiet_tensorflow()  # the host references load TensorFlow: keep its start-up chatter out of the report
    from hil.gates import parse_gate_overrides
    from hil.validation import ValidationRequest, resolve_settings, run_validation

    options = _options(args)
    request = ValidationRequest(options, args.run_dir, args.output_dir, args.mode, args.limit, args.overrides,
                                parse_gate_overrides(args.gate), args.resume, not args.quiet)
    if options.board is None:
        options.board = resolve_settings(request).config.hil.board
    if args.resume and args.output_dir is None:
        raise HilError("--resume needs the --output-dir of the run to continue")
    outcome = run_validation(request)
    print(outcome.summary)
    return 1 if any(g.passed is False for g in outcome.gates) else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except HilError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: results so far are in the output folder's results.jsonl (--resume continues)",
              file=sys.stderr)
        return 130
    except Exception as exc:  # the training package's user errors (config, dataset) carry exit_code 2
        if hasattr(exc, "exit_code"):
            print(f"error: {exc}", file=sys.stderr)
            return exc.exit_code
        raise
