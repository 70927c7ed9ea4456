"""``python -m hil compare`` on real output folders: the host board against the emulated one (equal), the emulated
board against itself built at -O3 (equal outputs, other flags, other instruction counts), and a copy of the host
run with one frame's output altered by the test (that frame named, exit 1; its first differing layer found from
per-layer data). The test frames come from one ``hil-inputs`` step (30 frames) for every board."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from hil.cli import main
from hil.compare import compare_folders
from hil.runner import BoardOptions, BoardSession, validate
from hil.validation import ValidationRequest, compare_layers, resolve_settings
from tests.cli_runner import run_main
from tests.conftest import require
from tofhil.per_layer_selection import parse_per_layer
from tofhil.validation_inputs import REFERENCES_NAME, write_references

LIMIT = 30


@pytest.fixture(scope="module")
def streamed(tiny_runs, tmp_path_factory):
    """stream(board, name, build variables, per_layer) -> an output folder of that board on the shared frames."""
    root = tmp_path_factory.mktemp("compare")
    settings = resolve_settings(ValidationRequest(BoardOptions("host"), tiny_runs[0], root / "inputs",
                                                  mode="raw", limit=LIMIT, progress=False))
    frames, references = settings.inputs.frames, settings.inputs.references
    made = {}

    def stream(board: str, name: str, variables: dict | None = None, per_layer: str | None = None):
        if name in made:
            return made[name]
        out = root / name
        out.mkdir()
        write_references(references, out / REFERENCES_NAME)
        options = BoardOptions(board, timeout_s=5.0)
        with BoardSession(options, settings.run, out, build_variables=variables or {}) as session:
            validate(session, frames, references, "raw", out, progress=False)
            if per_layer:
                settings.output_dir, settings.per_layer = out, parse_per_layer(per_layer)
                compare_layers(session, settings, references)
        made[name] = out
        return out

    return stream


def _qemu():
    require(shutil.which("qemu-system-arm") is not None, "qemu-system-arm is not installed")


def test_host_equals_the_emulated_board(streamed):
    _qemu()
    host, qemu = streamed("host", "host"), streamed("qemu-stm32f405", "qemu")
    result = run_main(main, ["compare", str(host), str(qemu)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"outputs equal (status and int8 vector): {LIMIT}/{LIMIT} (100.00 %): THE OUTPUTS ARE EQUAL" \
        in result.stdout
    assert "B is in instructions (QEMU -icount, not cycles), A in wall time on the host (us)" in result.stdout
    comparison = compare_folders(host, qemu)
    firmware = comparison["firmware"]
    assert firmware[0]["build_flags"].startswith("CC=cc ") and "-mcpu=cortex-m4" in firmware[1]["build_flags"]
    assert firmware[0]["model_sha256"] == firmware[1]["model_sha256"]
    assert firmware[0]["firmware_sha256"] != firmware[1]["firmware_sha256"]
    assert {"board", "timer_kind", "hello.core_clock_hz"} <= {d["key"] for d in comparison["meta_differences"]}
    accuracy = comparison["accuracy"]
    assert accuracy["a"] == accuracy["b"] and accuracy["mcnemar"]["p_value"] == 1.0


def test_emulated_board_at_another_optimisation_level(streamed):
    _qemu()
    o2, o3 = streamed("qemu-stm32f405", "qemu"), streamed("qemu-stm32f405", "qemu-O3", {"OPT": "-O3"})
    comparison = compare_folders(o2, o3)
    assert comparison["outputs"]["differing_count"] == 0
    latency = comparison["latency"]
    assert latency["same_unit"] and latency["note"] is None
    assert latency["ratio_b_over_a"]["mean"] != 1.0  # another build, another instruction count
    flags = [entry["build_flags"] for entry in comparison["firmware"]]
    assert " -O2 " in flags[0] and " -O3 " in flags[1]
    assert comparison["firmware"][0]["firmware_sha256"] != comparison["firmware"][1]["firmware_sha256"]
    assert "firmware.build_flags" in {d["key"] for d in comparison["meta_differences"]}


def test_an_altered_frame_is_named_with_its_first_differing_layer(streamed, tmp_path):
    host = streamed("host", "host-layers", per_layer="all")
    altered = shutil.copytree(host, tmp_path / "altered")
    lines = (altered / "results.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    victim = next(r for r in records if r["status"] == "ok" and r["index"] > 0)
    victim["output"][0] = victim["output"][0] + 1 if victim["output"][0] < 127 else 126
    (altered / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    layers = dict(np.load(altered / "per_layer.npz", allow_pickle=False))
    row = int(np.flatnonzero(layers["frames"] == victim["index"])[0])
    layers["device_2"][row, 0] ^= 1  # the board's tensor after op 2 differs on that frame only
    np.savez(altered / "per_layer.npz", **layers)

    result = run_main(main, ["compare", str(host), str(altered)])
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{LIMIT - 1}/{LIMIT}" in result.stdout and "1 FRAMES DIFFER" in result.stdout
    assert victim["file"] in result.stdout
    differing = compare_folders(host, altered)["outputs"]["differing"]
    assert [(d["file"], d["frame"]) for d in differing] == [(victim["file"], victim["frame"])]
    assert differing[0]["max_abs_diff"] == 1 and differing[0]["first_layer"]["layer"] == 2


def test_a_bad_folder_is_one_line_and_exit_2(streamed, tmp_path):
    host = streamed("host", "host")
    for bad in (tmp_path / "missing", tmp_path):
        result = run_main(main, ["compare", str(host), str(bad)])
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and str(bad) in result.stderr
