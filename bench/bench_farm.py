"""Benchmark: a validation sharded over 1, 2, 4 emulated boards (hil/farm/), and what that predicts for real
boards.

    python bench/bench_farm.py RUN_DIR [--boards qemu-stm32f405 host] [--counts 1 2 4] [--frames 240]

Per board kind and number of boards: frames per second of the sharded raw-mode stream (bring-up apart), the
speed-up over one board, the link bytes per frame (both directions, measured by the client), and the link bound
of that many boards: for QEMU, its USART's measured byte rate (bench_boards.py's burst method) divided by the
bytes a frame moves in its larger direction (a burst through an idle firmware: streaming with two requests in
flight can beat it, above 100 %, so QEMU is then bound by the CPU, not by its USART). The last table predicts real boards at 921,600 baud (8N1: 92,160
bytes/s each way) from the measured bytes per frame: link-bound, the inference time on the chip is not in it
(the report's DWT cycles give it on a real board). The labgrid rows start a local lab (labgrid-coordinator,
labgrid-exporter, ser2net, two QEMU boards on ptys) and stream through 1 and 2 places (--no-places skips them).
Not a timed test: the README quotes this table.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

REAL_BAUD = 921_600
BOARD_ON_PLACES = "qemu-stm32f405"
UART_BITS_PER_BYTE = 10  # 8N1: start + 8 data + stop


def _first(frames, references: dict, count: int):
    from tofhil.validation_inputs import FRAME_ARRAYS, RAW_ARRAYS

    raw = dataclasses.replace(frames.raw, **{k: getattr(frames.raw, k)[:count] for k in RAW_ARRAYS})
    frames = dataclasses.replace(frames, raw=raw, **{k: getattr(frames, k)[:count] for k in FRAME_ARRAYS})
    return frames, {k: v[:count] if getattr(v, "ndim", 0) else v for k, v in references.items()}


def _sharded(settings, board: str, count: int, frames, references, scratch: Path) -> dict:
    from hil.farm.shards import plan_shards
    from hil.farm.sharded import validate_sharded
    from hil.runner import BoardOptions, BoardSession
    from tofhil.validation_inputs import write_references

    out = scratch / f"{board}-{count}"
    out.mkdir(parents=True)
    write_references(references, out / "references.npz")
    shards = plan_shards([board], count, [], None)

    def make_session(shard):
        return BoardSession(BoardOptions(shard.board), settings.run, out / "boards" / shard.folder)

    validate_sharded(shards, make_session, frames, references, "raw", out, progress=False)
    meta = json.loads((out / "run_meta.json").read_text())
    shard_rows = meta["shards"].values()
    return {"wall": meta["wall_seconds"], "frames": meta["frames_streamed"],
            "sent": sum(s["bytes_sent"] for s in shard_rows), "received": sum(s["bytes_received"] for s in shard_rows)}


def _through_places(settings, count: int, frames, references, scratch: Path) -> dict:
    """The same stream through ``count`` labgrid places of a local lab: a real coordinator and exporter, the
    places' QEMU boards on ptys served by ser2net (the lab of tests/hil_e2e/test_labgrid_farm.py)."""
    from tests.hil_e2e.test_labgrid_farm import BOARD, PLACES, Lab

    from hil.farm.shards import FarmRequest
    from hil.farm.sharded import run_farm
    from hil.runner import BoardOptions, build_firmware, ensure_export
    from tofhil.validation_inputs import write_references

    image = build_firmware(ensure_export(settings.run), BOARD)
    (scratch / f"lab-{count}").mkdir()
    lab = Lab(scratch / f"lab-{count}", Path(image.elf))
    try:
        out = scratch / f"places-{count}"
        out.mkdir(parents=True)
        write_references(references, out / "references.npz")
        request = FarmRequest([BOARD], places=list(PLACES[:count]), coordinator=lab.address)
        run_farm(request, BoardOptions(BOARD), dataclasses.replace(settings, board=BOARD, output_dir=out), frames,
                 references, progress=False)
    finally:
        lab.close()
    meta = json.loads((out / "run_meta.json").read_text())
    return {"wall": meta["wall_seconds"], "frames": meta["frames_streamed"]}


def _usart_bytes_per_s(settings, scratch: Path) -> float:
    """One QEMU board's USART rate (bytes/s), measured as bench_boards.py does."""
    from bench_boards import _link_bound_bytes_per_s

    from hil.runner import BoardOptions, BoardSession

    with BoardSession(BoardOptions("qemu-stm32f405"), settings.run, scratch / "usart") as session:
        return _link_bound_bytes_per_s(session.client)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--boards", nargs="+", default=["qemu-stm32f405", "host"])
    parser.add_argument("--counts", nargs="+", type=int, default=[1, 2, 4])
    parser.add_argument("--frames", type=int, default=240, help="frames streamed per measurement")
    parser.add_argument("--no-places", action="store_true", help="skip the labgrid rows (1 and 2 places)")
    args = parser.parse_args()
    from tabulate import tabulate

    from hil.runner import BoardOptions
    from hil.validation import ValidationRequest, prepare_frames, resolve_settings

    rows, per_frame = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-farm-") as folder:
        scratch = Path(folder)
        settings = resolve_settings(ValidationRequest(BoardOptions(args.boards[0]), args.run_dir, scratch / "refs",
                                                      mode="raw"))
        frames, references = _first(*prepare_frames(settings), args.frames)
        usart = _usart_bytes_per_s(settings, scratch) if "qemu-stm32f405" in args.boards else None
        for board in args.boards:
            one = None
            for count in args.counts:
                m = _sharded(settings, board, count, frames, references, scratch)
                rate = m["frames"] / m["wall"]
                one = one or rate
                tx, rx = m["sent"] / m["frames"], m["received"] / m["frames"]
                per_frame[board] = (tx, rx)
                bound = count * usart / max(tx, rx) if usart and board.startswith("qemu") else None
                rows.append([board, count, m["frames"], f"{m['wall']:.2f}", f"{rate:.1f}", f"{rate / one:.2f}x",
                             f"{tx:.0f} + {rx:.0f}", f"{bound:,.0f}" if bound else "- (pty)",
                             f"{rate / bound:.0%}" if bound else "-"])
        if not args.no_places:
            one = None
            for count in (1, 2):
                m = _through_places(settings, count, frames, references, scratch)
                rate = m["frames"] / m["wall"]
                one = one or rate
                rows.append([f"labgrid place ({BOARD_ON_PLACES} via ser2net)", count, m["frames"], f"{m['wall']:.2f}",
                             f"{rate:.1f}", f"{rate / one:.2f}x", "same", "-", "-"])
    print(f"run: {args.run_dir}; raw mode, {args.frames} frames; machine: {_cpus()} CPUs, load {_load()}")
    print(tabulate(rows, headers=["board", "boards", "frames", "wall s", "frames/s", "speed-up",
                                  "link B/frame (tx + rx)", "USART burst bound frames/s", "of bound"], tablefmt="github"))
    if usart:
        print(f"QEMU USART rate (one board, measured): {usart:,.0f} B/s")
    tx, rx = per_frame.get("qemu-stm32f405", next(iter(per_frame.values())))
    each = REAL_BAUD / UART_BITS_PER_BYTE / max(tx, rx)
    print(f"\nprediction, real boards at {REAL_BAUD:,} baud ({REAL_BAUD // UART_BITS_PER_BYTE:,} B/s each way), "
          f"link-bound, from {max(tx, rx):.0f} B per frame in the larger direction:")
    print(tabulate([[n, f"{n * each:,.0f}"] for n in args.counts], headers=["boards", "frames/s (link bound)"],
                   tablefmt="github"))
    return 0


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


def _load() -> str:
    import os

    return " ".join(f"{v:.1f}" for v in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
