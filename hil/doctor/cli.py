"""``python -m hil doctor --board B [--probe SN] [--port P] [--json FILE]``."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_doctor_parser(sub) -> None:
    text = "walk the first connection to a board step by step: ok / the problem / the fix"
    parser = sub.add_parser("doctor", help=text, description=text)
    parser.add_argument("--board", required=True, help="board name: a file in configs/boards/")
    parser.add_argument("--run-dir", type=Path, default=None, help="run folder whose firmware is flashed "
                        "(default: the newest in experiments_outputs/)")
    parser.add_argument("--port", default=None, help="serial device or pyserial URL (skips USB discovery)")
    parser.add_argument("--probe", default=None, help="ST-LINK serial number, when several boards are attached")
    parser.add_argument("--flasher", default=None, help="pyocd, st-flash, openocd, stm32cubeprogrammer, mass-storage")
    parser.add_argument("--no-flash", action="store_true", help="talk to the firmware already on the board")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE",
                        help="also write the steps as JSON to FILE ('-': standard output)")
    parser.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Exit 0 when every step is ok, 1 at the first problem (the report says which and what to do)."""
    import tempfile

    from hil.doctor.doctor import DoctorOptions, run_doctor

    with tempfile.TemporaryDirectory(prefix="hil-doctor-") as scratch:
        options = DoctorOptions(board=args.board, run_dir=args.run_dir, port=args.port, probe=args.probe,
                                flasher=args.flasher, flash=not args.no_flash, log_dir=Path(scratch))
        report = run_doctor(options)
    if args.json is not None and str(args.json) == "-":
        print(report.to_json())
    else:
        print(report.render())
        if args.json is not None:
            args.json.write_text(report.to_json() + "\n")
    return 0 if report.ok else 1
