"""Build the protocol fuzzer (fuzz/fuzz_protocol.c) with clang + libFuzzer + ASan + UBSan and run it.

    python fuzz/run_fuzz.py --seconds 60 [--library DIR] [--build-dir DIR]
    python fuzz/run_fuzz.py --write-seeds          # refresh fuzz/seeds/ from docs/protocol_vectors.json

Prints executions, coverage (edges, features) and the corpus size; exits 1 on any finding (crash, sanitizer
report, leak, timeout) and names the reproducer. Without --library it generates a model library (the ST
architecture with random weights, which imports TensorFlow) into the build folder once.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUZZ_DIR = ROOT / "fuzz"
SEEDS_DIR = FUZZ_DIR / "seeds"
VECTORS = ROOT / "docs" / "protocol_vectors.json"
TEMPLATES = ROOT / "firmware_templates"
FLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g", "-O1",
         "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all")
MODE_STREAM, MODE_PACKET, MODE_ROUND_TRIP = 0, 1, 2
STATS_LINE = re.compile(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)")


@dataclass(frozen=True)
class FuzzResult:
    seconds: int
    executions: int
    edges: int
    features: int
    corpus: int
    findings: tuple[Path, ...]
    returncode: int
    log: Path

    def summary(self) -> str:
        return (f"fuzzed {self.seconds} s: {self.executions:,} executions, coverage {self.edges} edges / "
                f"{self.features} features, corpus {self.corpus}, findings {len(self.findings)} (log {self.log})")


def seed_inputs(vectors: dict) -> dict[str, bytes]:
    """One seed per request vector (as a stream and as a direct packet), per decoder case, per encoding."""
    seeds = {}
    for vector in vectors["messages"]:
        frame, payload = bytes.fromhex(vector["frame_hex"]), bytes.fromhex(vector["payload_hex"])
        header = bytes([vector["type"], vector["seq"] & 0xFF, vector["seq"] >> 8])
        seeds[f"stream_{vector['name']}"] = bytes([MODE_STREAM, 0]) + frame
        seeds[f"packet_{vector['name']}"] = bytes([MODE_PACKET]) + header + payload
        seeds[f"encode_{vector['name']}"] = bytes([MODE_ROUND_TRIP]) + header + payload
    for case in vectors["decoder_cases"]:
        seeds[f"decoder_{case['name']}"] = bytes([MODE_STREAM]) + bytes.fromhex(case["input_hex"])
    return seeds


def write_seeds(seeds_dir: Path = SEEDS_DIR) -> int:
    seeds = seed_inputs(json.loads(VECTORS.read_text()))
    seeds_dir.mkdir(parents=True, exist_ok=True)
    for stale in seeds_dir.iterdir():
        if stale.name not in seeds:
            stale.unlink()
    for name, data in seeds.items():
        (seeds_dir / name).write_bytes(data)
    return len(seeds)


def find_clang() -> str:
    clang = shutil.which("clang")
    if clang is None:
        raise SystemExit("clang not found: install clang (Debian: apt-get install clang) for libFuzzer")
    return clang


def build_fuzzer(library_dir: Path, build_dir: Path) -> Path:
    """fuzz_protocol.c + protocol + app + buffer board + the model library, instrumented."""
    has_preprocess = int((library_dir / "tofhil_preprocess.h").exists())
    has_postprocess = int((library_dir / "tofhil_postprocess.h").exists())
    sources = [*sorted(library_dir.glob("*.c")), TEMPLATES / "firmware" / "common" / "tofhil_protocol.c",
               TEMPLATES / "firmware" / "common" / "tofhil_app.c", TEMPLATES / "host" / "tofhil_board_buffer.c",
               FUZZ_DIR / "fuzz_protocol.c"]
    includes = [library_dir, TEMPLATES / "firmware" / "common", TEMPLATES / "host"]
    binary = build_dir / "fuzz_protocol"
    command = [find_clang(), *FLAGS, f"-DTOFHIL_HAS_PREPROCESS={has_preprocess}",
               f"-DTOFHIL_HAS_POSTPROCESS={has_postprocess}",
               *(f"-I{d}" for d in includes), *map(str, sources), "-o", str(binary)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"building the fuzzer failed:\n{' '.join(command)}\n{result.stderr}")
    return binary


def default_library(build_dir: Path) -> Path:
    """A generated library of the ST architecture (random weights), made once per build folder."""
    library = build_dir / "library"
    if not (library / "tofhil_model.h").exists():
        sys.path.insert(0, str(ROOT))
        from tests.protocol.model_library import make_model_library, tiny_tflite
        from tofhil.postprocessing import Postprocessing

        make_model_library(library, tiny_tflite(), preprocessing=True, postprocessing=Postprocessing())
    return library


def run_fuzzer(binary: Path, seconds: int, work_dir: Path, seeds_dir: Path = SEEDS_DIR) -> FuzzResult:
    """Fuzz for ``seconds`` from a working corpus (seeded from ``seeds_dir``, which is never written)."""
    corpus, artifacts = work_dir / "corpus", work_dir / "findings"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    log = work_dir / "fuzz.log"
    command = [str(binary), f"-max_total_time={seconds}", "-max_len=2048", "-timeout=10", "-rss_limit_mb=2048",
               "-print_final_stats=1", f"-artifact_prefix={artifacts}/", str(corpus), str(seeds_dir)]
    with log.open("w") as out:
        returncode = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, timeout=seconds + 300).returncode
    text = log.read_text(errors="replace")
    stats = STATS_LINE.findall(text)
    executions, edges, features, size = (int(v) for v in stats[-1]) if stats else (0, 0, 0, 0)
    done = re.search(r"Done (\d+) runs", text)
    executions = int(done.group(1)) if done else executions
    return FuzzResult(seconds, executions, edges, features, size, tuple(sorted(artifacts.iterdir())),
                      returncode, log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="fuzzing time (default 60)")
    parser.add_argument("--library", type=Path, help="a generated model library folder (default: make one)")
    parser.add_argument("--build-dir", type=Path, default=FUZZ_DIR / "build", help="default fuzz/build")
    parser.add_argument("--write-seeds", action="store_true", help="rewrite fuzz/seeds/ from the golden vectors")
    args = parser.parse_args(argv)
    if args.write_seeds:
        print(f"wrote {write_seeds()} seeds to {SEEDS_DIR}")
        return 0
    args.build_dir.mkdir(parents=True, exist_ok=True)
    library = args.library.resolve() if args.library else default_library(args.build_dir)
    if not (library / "tofhil_model.h").is_file():
        raise SystemExit(f"--library {library}: no tofhil_model.h there (pass a generated model library folder)")
    result = run_fuzzer(build_fuzzer(library, args.build_dir), args.seconds, args.build_dir / "run")
    print(result.summary())
    for finding in result.findings:
        print(f"finding: {finding} (reproduce: {args.build_dir / 'fuzz_protocol'} {finding})")
    return 1 if result.findings or result.returncode != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
