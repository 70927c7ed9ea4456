"""``python -m hil``: board-level commands over the :mod:`hil` library.

Never imports TensorFlow: ``run`` gets its test frames and host references from ``python -m training hil-inputs``.
Every :class:`~tofhil.errors.ToolError` (HIL, board, folder, training errors) prints one message and exits 2.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys

from hil.errors import HilError
from hil.options import add_cli_options, board_options, board_table, run_table, validation_request
from tofhil.errors import ToolError


class OneLineErrors(argparse.ArgumentParser):
    """A bad option ends in one line naming it (``python -m hil run: error: argument --limit: ...``), exit 2;
    ``--help`` shows the usage."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrors(prog="python -m hil", description="Hardware-in-the-loop validation of an "
                                     "exported int8 model on an STM32 board, QEMU or the host.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("boards", help="list the board descriptions").set_defaults(func=cmd_boards)
    for name, func, text in (("build", cmd_build, "generate and build the firmware project (cached)"),
                             ("info", cmd_info, "build, flash or start the board, handshake, print HELLO"),
                             ("flash", cmd_flash, "build and flash (or start) the board, then release it")):
        command = sub.add_parser(name, help=text, description=text)
        add_cli_options(command, board_table())
        command.set_defaults(func=func)
    run = sub.add_parser("run", help="validate the run's test set on a board and write the report",
                         description="Validate on the board: stream the test set, compare with the host "
                                     "references, write the report, judge the gates (exit 1 when one fails).")
    add_cli_options(run, board_table(), board_required=False)
    add_cli_options(run, run_table())
    run.add_argument("--resume", action="store_true", help="continue the run in --output-dir from results.jsonl")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("overrides", nargs="*", metavar="section.key=value",
                     help="config overrides, e.g. dataset.test_path=DIR hil.mode=tensor")
    run.set_defaults(func=cmd_run)
    _add_benchmark(sub)
    from hil.doctor.cli import add_doctor_parser

    add_doctor_parser(sub)
    from hil.compare.cli import add_compare_parser

    add_compare_parser(sub)
    return parser


def _add_benchmark(sub) -> None:
    try:
        from hil.st_benchmark.cli import add_benchmark_parser
    except ImportError:
        return
    add_benchmark_parser(sub)


def _options(args):
    return board_options(lambda dest: getattr(args, dest))


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
    elf = getattr(image, "elf", None)  # what QEMU or a flasher loads (a host board runs an executable)
    print(f"  elf: {elf}" if elf else f"  executable: {getattr(image, 'executable', None)}")
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
    from hil.validation import run_validation

    request = validation_request(lambda dest: getattr(args, dest), args.overrides, args.resume, not args.quiet)
    if args.resume and args.output_dir is None:
        raise HilError("--resume needs the --output-dir of the run to continue")
    outcome = run_validation(request)
    print(outcome.summary)
    return 1 if any(g.passed is False for g in outcome.gates) else 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "run" and len(getattr(args, "boards", None) or []) > 1:
        parser.error(f"python -m hil {args.command} takes one --board (several: python -m hil run)")
    try:
        return args.func(args)
    except ToolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: results so far are in the output folder's results.jsonl (--resume continues)",
              file=sys.stderr)
        return 130
