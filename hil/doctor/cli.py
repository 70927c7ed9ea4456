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

    if args.json is not None and str(args.json) != "-":
        _check_json_target(args.json)  # before minutes of flashing and probing, not after
    with tempfile.TemporaryDirectory(prefix="hil-doctor-") as scratch:
        options = DoctorOptions(board=args.board, run_dir=args.run_dir, port=args.port, probe=args.probe,
                                flasher=args.flasher, flash=not args.no_flash, log_dir=Path(scratch))
        report = run_doctor(options)
    if args.json is not None and str(args.json) == "-":
        print(report.to_json())
    else:
        print(report.render())
        if args.json is not None:
            _write_json(args.json, report.to_json() + "\n")
    return 0 if report.ok else 1


def _check_json_target(path: Path) -> None:
    """``--json FILE`` names a file that can be written: its folder exists and is writable, it is not a folder."""
    import os

    from hil.errors import HilError

    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise HilError(f"--json {path}: is a folder; name a file (e.g. {path / 'doctor.json'})")
    if not folder.is_dir():
        raise HilError(f"--json {path}: its folder {folder} does not exist; create it or name another file")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise HilError(f"--json {path}: cannot be written (no write permission); name a file you can write")


def _write_json(path: Path, text: str) -> None:
    from hil.errors import HilError
    from tofhil.atomic import write_text_atomic

    try:
        write_text_atomic(path, text)
    except OSError as exc:  # the folder vanished or filled up while the doctor ran: the steps are printed above
        raise HilError(f"--json {path}: cannot be written ({exc.strerror or exc}); the steps are printed above") \
            from None
