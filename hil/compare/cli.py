"""``python -m hil compare OUT_A OUT_B``: exit 0 when every frame in both folders has the same output, 1 when one
differs (CI gates on "the board equals the emulator"), 2 with one line for a folder that cannot be read."""
from __future__ import annotations

import json
import sys

from hil.errors import HilError


def add_compare_parser(sub) -> None:
    text = "compare two HIL output folders frame by frame (exit 1 when an output differs)"
    parser = sub.add_parser("compare", help=text, description=text + ": outputs, accuracy (Wilson, McNemar), "
                            "latency per percentile, firmware and run_meta.json differences")
    parser.add_argument("out_a", metavar="OUT_A", help="a `python -m hil run` output folder")
    parser.add_argument("out_b", metavar="OUT_B", help="another one, e.g. the real board's")
    parser.add_argument("--json", metavar="FILE|-", help="also write the comparison as JSON (- for stdout)")
    parser.add_argument("--list", type=int, default=20, metavar="N", help="differing frames listed (default 20)")
    parser.set_defaults(func=cmd_compare)


def cmd_compare(args) -> int:
    from hil.compare.comparison import compare_folders
    from hil.compare.render import comparison_text
    from tofhil.atomic import write_text_atomic

    if args.list < 0:
        raise HilError(f"--list must be >= 0, got {args.list}")
    comparison = compare_folders(args.out_a, args.out_b)
    text = json.dumps(comparison, indent=2, default=str) + "\n"
    if args.json == "-":
        sys.stdout.write(text)
    else:
        print(comparison_text(comparison, args.list))
        if args.json:
            write_text_atomic(args.json, text)
    return 0 if comparison["outputs"]["differing_count"] == 0 else 1
