"""``python -m training synth OUT_DIR``: write a synthetic dataset in ST's layout (tests and demos only)."""
from __future__ import annotations

import argparse

from tabulate import tabulate

from training.data.synth import DEFAULT_CLASSES, generate_synthetic_dataset


def add_synth_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "synth", help="write a synthetic dataset in ST's .npz layout (for tests and demos)",
        description="Write synthetic hand-posture sessions in exactly ST's dataset layout. The shapes are drawn, "
                    "not recorded: use them to exercise the pipeline, never to measure accuracy.")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to write <Class>/log__.../npz/data_*.npz into")
    parser.add_argument("--classes", nargs="+", default=list(DEFAULT_CLASSES), metavar="CLASS",
                        help=f"ST class names (default: {' '.join(DEFAULT_CLASSES)})")
    parser.add_argument("--users", type=int, default=2, metavar="N", help="users per class (default: 2)")
    parser.add_argument("--sessions-per-user", type=int, default=2, metavar="N",
                        help="recording sessions per user and class (default: 2)")
    parser.add_argument("--files-per-session", type=int, default=2, metavar="N",
                        help=".npz files per session (default: 2)")
    parser.add_argument("--frames-per-file", type=int, default=20, metavar="N",
                        help="frames per .npz file, about 10 per second (default: 20)")
    parser.add_argument("--out-of-range-rate", type=float, default=0.1, metavar="F",
                        help="fraction of each file's frames with the hand out of 100-400 mm (default: 0.1)")
    parser.add_argument("--nan-frame-rate", type=float, default=0.0, metavar="F",
                        help="fraction of each file's frames holding NaN values (default: 0)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed; same seed, same bytes")
    parser.set_defaults(func=run_synth)
    return parser


def run_synth(args: argparse.Namespace) -> int:
    summary = generate_synthetic_dataset(args.out_dir, args.classes, users=args.users,
                                         sessions_per_user=args.sessions_per_user,
                                         files_per_session=args.files_per_session,
                                         frames_per_file=args.frames_per_file, seed=args.seed,
                                         out_of_range_rate=args.out_of_range_rate,
                                         nan_frame_rate=args.nan_frame_rate)
    columns = ("id", "sessions", "files", "frames", "out_of_range_frames", "nan_frames")
    rows = [[name, *(entry[key] for key in columns)] for name, entry in summary["per_class"].items()]
    rows.append(["total", "", *(summary[key] for key in columns[1:])])
    print(tabulate(rows, headers=["class", "ST id", "sessions", "files", "frames", "out of range", "NaN"]))
    print(f"\nwrote {summary['out_dir']} (seed {summary['seed']}); {summary['note']}")
    return 0
