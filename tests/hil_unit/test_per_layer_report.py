"""The per-layer section of the report (hil/report/per_layer.py) on a hand-checked per_layer.npz, the
per-layer frame selection, and the --per-layer / hil.per_layer spellings."""
from __future__ import annotations

import argparse

import numpy as np
import pytest

from hil.options import per_layer_option
from hil.per_layer import differing_frames, layer_requests, layer_sizes
from hil.protocol.replies import LAYER_CHUNK
from hil.report.per_layer import per_layer_section, per_layer_text, plot_layer_profile
from hil.report.records import RunMeta, FrameResult
from hil.report.report_file import section_from_dict
from hil.report.report_type import PerLayerSection
from tofhil.per_layer_selection import PerLayerSelection, parse_per_layer

META = RunMeta("nucleo-f401re", "physical", "tensor", ["a", "b", "c"], 0, 84e6, 84e6, 1 / 256, -128)


def hand_arrays() -> dict:
    """Two frames, three layers. Frame 1 differs first at layer 0 (conv 2x2x2): pixel (0, 1) channel 0 by 1 and
    pixel (1, 0) channel 1 by 3; frame 0 differs only at layer 2 (by 1 in one of 3 elements)."""
    host0 = np.arange(16, dtype=np.int8).reshape(2, 8)
    device0 = host0.copy()
    device0[1, (0 * 2 + 1) * 2 + 0] += 1
    device0[1, (1 * 2 + 0) * 2 + 1] += 3
    host1 = np.array([[5, 6], [7, 8]], np.int8)
    host2 = np.array([[1, 2, 3], [4, 5, 6]], np.int8)
    device2 = host2.copy()
    device2[0, 2] -= 1
    device2[1, 0] += 2
    return {"frames": np.array([4, 9]), "ticks": np.array([[100, 50, 250], [300, 50, 250]], np.uint32),
            "layer_names": np.array(["conv", "pool", "dense"]),
            "layer_opcodes": np.array(["CONV_2D", "MAX_POOL_2D", "FULLY_CONNECTED"]),
            "layer_shapes": np.array(["2x2x2", "1x1x2", "3"]), "layer_dtypes": np.array(["int8"] * 3),
            "host_0": host0, "device_0": device0, "host_1": host1, "device_1": host1.copy(),
            "host_2": host2, "device_2": device2}


def test_first_differing_layer_with_its_share_max_and_heat_map():
    section = per_layer_section(hand_arrays(), META)
    first = section["first_difference"]
    assert (first["layer"], first["opcode"], first["frames_first_here"], first["frames_differing"]) == (
        0, "CONV_2D", 1, 2)
    assert (first["max_abs_diff"], first["elements_differing_share"], first["example_frame"]) == (3.0, 2 / 8, 9)
    assert first["heat_map"] == [[0, 1], [3, 0]]
    assert section["all_layers_exact"] is False


def test_per_layer_exact_match_and_time_profile_table():
    rows = per_layer_section(hand_arrays(), META)["layers"]
    assert [(r["exact_frames"], r["frames"]) for r in rows] == [(1, 2), (2, 2), (0, 2)]
    assert [r["max_abs_diff"] for r in rows] == [3.0, 0.0, 2.0]
    assert rows[2]["elements_differing_share"] == pytest.approx(2 / 6)
    assert [r["time_mean"] for r in rows] == [200.0, 50.0, 250.0]  # DWT: ticks are cycles
    assert rows[0]["time_p95"] == pytest.approx(290.0)  # linear interpolation of 100 and 300
    assert [r["time_share"] for r in rows] == pytest.approx([0.4, 0.1, 0.5])


def test_summary_names_the_first_layer_and_draws_the_heat_map(tmp_path):
    section = per_layer_section(hand_arrays(), META)
    typed = section_from_dict(PerLayerSection, section)
    text = per_layer_text(typed)
    assert "FIRST DIFFERING LAYER 0 CONV_2D" in text and "max abs diff 3" in text and "25.0 %" in text
    assert "  | -|\n  |@ |" in text  # 1 of 3 -> '-', 3 of 3 -> '@'
    assert "1/2" in text and "40.0 %" in text
    png = plot_layer_profile(typed, tmp_path / "profile.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_all_equal_layers_say_so():
    arrays = hand_arrays()
    arrays["device_0"], arrays["device_2"] = arrays["host_0"].copy(), arrays["host_2"].copy()
    section = per_layer_section(arrays, META)
    assert section["first_difference"] is None and section["all_layers_exact"]
    assert "every layer equals the host's on every frame" in per_layer_text(section_from_dict(PerLayerSection, section))


def result(index: int, output) -> FrameResult:
    return FrameResult(index, "f", 0, None, None, 0, "ok" if output else "rejected", output, None, 1, 0, 1)


def test_selection_picks_all_first_n_or_only_differing_frames():
    references = {"host_int8": np.array([[1, 2], [3, 4], [5, 6], [7, 8]], np.int8),
                  "host_kept": np.array([True, True, False, True])}
    results = [result(0, (1, 2)), result(1, (3, 5)), result(2, (5, 6)), result(3, (7, 8))]
    assert differing_frames(results, references) == {1}
    streamed, differing = [0, 1, 3], {1}
    assert parse_per_layer("all").pick(streamed, differing) == [0, 1, 3]
    assert parse_per_layer("2").pick(streamed, differing) == [0, 1]
    assert parse_per_layer("differing").pick(streamed, differing) == [1]


@pytest.mark.parametrize("text", ["none", "0", "-3", "1.5", ""])
def test_bad_per_layer_values_name_what_is_expected(text):
    with pytest.raises(argparse.ArgumentTypeError, match="all, differing, or a positive whole number"):
        per_layer_option(text)


def test_layer_requests_cover_every_chunk_of_every_layer():
    layers = {"layer_names": np.array(["a", "b"]), "layer_0": np.zeros((3, 500), np.int8),
              "layer_1": np.zeros((3, 8), np.float32)}
    sizes = layer_sizes(layers)
    assert sizes == [500, 32]
    references = {"host_input": np.arange(12, dtype=np.int8).reshape(3, 4)}
    keys = [key for key, _ in layer_requests([2], references, sizes)]
    assert keys == [(2, 0, 0), (2, 0, LAYER_CHUNK), (2, 1, 0)]
    assert PerLayerSelection("first", 2) == parse_per_layer(2)
