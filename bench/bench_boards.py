"""Benchmark: the harness and the firmware on each board, for one run folder.

    python bench/bench_boards.py RUN_DIR [--boards host qemu-stm32f405] [--frames 300]

Per board: instructions (QEMU, -icount) or wall time (host) per inference and per preprocessing, firmware
flash and RAM, request round trips per second with one and with two requests in flight, the link's bound
(QEMU's USART, measured by timing a burst of bytes through it), and the wall time to validate the run's whole
test split in raw and in tensor mode. Not a timed test: the README reports these numbers with this command.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BURST_BYTES = 4000


def _link_bound_bytes_per_s(client) -> float:
    """Time a HELLO behind BURST_BYTES of bytes the firmware must read and discard, minus a lone HELLO."""
    def hello_after(prefix: bytes) -> float:
        started = time.perf_counter()
        client.link.write(prefix)
        client.handshake(attempts=200, interval_s=1.0)
        return time.perf_counter() - started

    alone = min(hello_after(b"") for _ in range(3))
    burst = hello_after(b"\x55" * BURST_BYTES + b"\x00")
    return BURST_BYTES / max(burst - alone, 1e-9)


def _round_trips(client, requests, window: int) -> float:
    started = time.perf_counter()
    count = sum(1 for _ in client.stream(requests, window=window))
    return count / (time.perf_counter() - started)


def _measure(session, frames, references, count: int) -> dict:
    from hil.protocol.messages import InferRaw, InferTensor, encode_message

    hello, client = session.client.hello, session.client
    kept = [i for i in range(len(frames)) if references["host_kept"][i]][:count]
    tensors = [(i, InferTensor(tuple(int(v) for v in references["host_input"][i]))) for i in kept]
    raw = frames.raw
    raws = [(i, InferRaw(tuple(map(int, raw.distance_mm[i])), tuple(map(int, raw.signal_per_spad[i])),
                         tuple(map(int, raw.target_status[i])), echo=False)) for i in kept]
    infer = [hello.ticks_to_unit(r.infer_ticks) for _, r, _ in client.stream(tensors)]
    prep = [hello.ticks_to_unit(r.preprocess_ticks) for _, r, _ in client.stream(raws)]
    bound = _link_bound_bytes_per_s(client) if session.spec.kind == "qemu" else None
    return {"unit": hello.timer_unit, "infer": statistics.median(infer), "prep": statistics.median(prep),
            "rt1": _round_trips(client, tensors, 1), "rt2": _round_trips(client, tensors, 2),
            "raw_fps": _round_trips(client, raws, 2), "bound": bound,
            "tensor_bytes": len(encode_message(tensors[0][1], 1)), "raw_bytes": len(encode_message(raws[0][1], 1)),
            "flash": session.image.flash_bytes, "ram": session.image.ram_bytes}


def _validate_all(session, frames, references, mode: str, scratch: Path) -> float:
    from hil.runner import validate

    started = time.perf_counter()
    validate(session, frames, references, mode, scratch / mode, progress=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--boards", nargs="+", default=["host", "qemu-stm32f405"])
    parser.add_argument("--frames", type=int, default=300, help="frames per latency/round-trip measurement")
    args = parser.parse_args()
    from tabulate import tabulate

    from hil.runner import BoardOptions, BoardSession
    from hil.validation import ValidationRequest, prepare_frames, resolve_settings

    rows = []
    for board in args.boards:
        with tempfile.TemporaryDirectory() as scratch:
            settings = resolve_settings(ValidationRequest(BoardOptions(board), args.run_dir,
                                                          Path(scratch) / "refs"))
            with BoardSession(BoardOptions(board), settings.run, Path(scratch)) as session:
                frames, references = prepare_frames(settings)
                m = _measure(session, frames, references, args.frames)
                raw_s = _validate_all(session, frames, references, "raw", Path(scratch))
                tensor_s = _validate_all(session, frames, references, "tensor", Path(scratch))
        bound = m["bound"]
        rows.append([board, f"{m['infer']:,.0f} {m['unit']}", f"{m['prep']:,.0f} {m['unit']}",
                     f"{m['flash']:,}" if m["flash"] else "-", f"{m['ram']:,}" if m["ram"] else "-",
                     f"{m['rt1']:.0f}", f"{m['rt2']:.0f}",
                     f"{bound / m['tensor_bytes']:.0f} ({m['rt2'] / (bound / m['tensor_bytes']):.0%})" if bound else "-",
                     f"{m['raw_fps']:.0f}",
                     f"{bound / m['raw_bytes']:.0f} ({m['raw_fps'] / (bound / m['raw_bytes']):.0%})" if bound else "-",
                     f"{bound:,.0f}" if bound else "-", f"{len(frames)}: {raw_s:.1f} s raw, {tensor_s:.1f} s tensor"])
    print(f"run: {args.run_dir}")
    print(tabulate(rows, headers=["board", "inference (median)", "preprocessing (median)", "flash B", "RAM B",
                                  "tensor req/s, 1 in flight", "2 in flight", "link bound (reached)",
                                  "raw req/s", "raw bound (reached)", "link B/s", "validate whole split"],
                   tablefmt="github"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
