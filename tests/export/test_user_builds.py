"""The generated library in the builds users make (issue 19): no C-library call on the inference and
preprocessing paths under -ffreestanding / -fno-builtin, the kernel primitives inlined at -Os, and the
preprocessing's extreme frames bit-exact on the emulated Cortex-M4 (its DSP path) and on the sanitized host."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from bench.bench_build_matrix import Cell, build_cell, extreme_frames, run_image, write_matrix_data
from tests.export.conftest import require_tool
from training.data.preprocess import PreprocessingSpec, RawFrames, preprocess, quantize_input
from training.export.c_build import COMMON_FLAGS, CORTEX_M4_FLAGS, SanitizedHost
from training.export.emulated_speed import synthetic_frames
from training.export.library import generate_library
from training.export.reference import ReferenceRunner

SPECS = {"hand_relative, centred": PreprocessingSpec(normalization="hand_relative", center_hand=True),
         "st": PreprocessingSpec(normalization="st", center_hand=False),
         # the config's largest Max_distance: a frame without a valid zone (no-target distance 4000) is kept
         "hand_relative, centred, Max_distance 4000": PreprocessingSpec(max_distance=4000, min_distance=0,
                                                                       normalization="hand_relative",
                                                                       center_hand=True)}
# the inline primitives of tofhil_kernels.h: at any -O they must not survive as functions of their own
PRIMITIVES = ("tofhil_load32", "tofhil_store32", "tofhil_smlad", "tofhil_sxtb16", "tofhil_mac2x2_s16",
              "tofhil_dot4_s8_s16", "tofhil_dot2_s8_s16", "tofhil_expand_s8_s16", "tofhil_requantize_folded",
              "tofhil_conv_row_k3x6_s16")


@pytest.fixture(scope="module")
def st_model_bytes() -> bytes:
    import keras

    from training.export.quantize import quantize_keras_model
    from training.models.cnn2d_st import build_cnn2d_st_handposture

    keras.utils.set_random_seed(19)
    data = np.random.default_rng(19).normal(size=(64, 8, 8, 2)).astype(np.float32)
    return quantize_keras_model(build_cnn2d_st_handposture(8), data)


def _symbols(obj, kind: str) -> set[str]:
    out = subprocess.run(["arm-none-eabi-nm", kind, str(obj)], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


@pytest.mark.parametrize("opt", ["-O2", "-Os", "-O3"])
@pytest.mark.parametrize("mode", ["-ffreestanding", "-fno-builtin"])
def test_inference_and_preprocessing_call_no_c_library_function(tmp_path, arm_cc, st_model_bytes, opt, mode):
    require_tool("arm-none-eabi-nm")
    library = generate_library(st_model_bytes, tmp_path / "lib", SPECS["hand_relative, centred"])
    for name in ("tofhil_model", "tofhil_preprocess"):
        obj = tmp_path / f"{name}.o"
        subprocess.run([arm_cc, *COMMON_FLAGS, *CORTEX_M4_FLAGS, opt, mode, f"-I{library.directory}", "-c",
                        str(library.directory / f"{name}.c"), "-o", str(obj)], check=True)
        undefined = _symbols(obj, "-u")
        # a word load through memcpy became a real call here before: ~7x slower inference
        assert not undefined & {"memcpy", "memset", "memmove"}, (name, opt, mode, undefined)
        assert not _symbols(obj, "--defined-only") & set(PRIMITIVES), (name, opt, mode)


@pytest.mark.parametrize("spec_name", list(SPECS))
def test_extreme_frames_are_bit_exact_on_the_emulated_board_and_the_sanitized_host(tmp_path, arm_cc, host_cc,
                                                                                    st_model_bytes, spec_name):
    require_tool("qemu-system-arm")
    spec = SPECS[spec_name]
    library = generate_library(st_model_bytes, tmp_path / "lib", spec)
    extremes = extreme_frames(spec)
    # synthetic frames put the background at Max_distance + 500 .. 4000 mm: only below 3,500
    typical = [synthetic_frames(spec, 8, seed=19)] if spec.max_distance < 3500 else []
    frames = RawFrames.concatenate([*typical,
                                    RawFrames(*(np.stack([f[i] for f in extremes.values()]) for i in range(3)))])
    tensors, kept = preprocess(frames, spec)
    runner = ReferenceRunner(st_model_bytes)
    inputs = quantize_input(tensors, *runner.input_quantization).reshape(len(tensors), -1)
    outputs = runner.run(inputs.reshape(tensors.shape)).reshape(len(tensors), -1)
    all_inputs = np.zeros((len(frames), inputs.shape[1]), np.int8)
    all_outputs = np.zeros((len(frames), outputs.shape[1]), np.int8)
    all_inputs[kept], all_outputs[kept] = inputs, outputs
    assert kept.sum() >= len(frames) - 3   # at most the three rejected extremes

    write_matrix_data(tmp_path / "matrix_data.h", frames, kept, all_inputs, all_outputs)
    image, _ = build_cell(Cell("gcc", "-O2", "default"), library.directory, tmp_path)
    counts = run_image(image)
    states = [state for _, state, _, _ in counts["frames"]]
    assert len(states) == len(frames)
    assert all(state in (0, 1) for state in states), states   # 2, 3, 4: keep decision, input or output differ

    host = SanitizedHost(library.directory, tmp_path / "host", np.int8, np.int8, compiler=host_cc)
    host_inputs, host_kept = host.preprocess(frames.distance_mm, frames.signal_per_spad, frames.target_status,
                                             inputs.shape[1])
    np.testing.assert_array_equal(host_kept, kept)
    np.testing.assert_array_equal(host_inputs, inputs)


@pytest.mark.parametrize("max_distance", [4000, 32760])
@pytest.mark.parametrize("normalization", ["hand_relative", "st"])
def test_frames_without_a_hand_and_distances_at_the_int16_limit_match_python(tmp_path, host_cc, st_model_bytes,
                                                                              max_distance, normalization):
    """A kept frame without a valid zone divided by zero in the centring (UBSan aborts on the old library);
    32767 mm is both a distance and the not-valid mark of the int16 depths; 32760 + 120 needs int32 ones."""
    spec = PreprocessingSpec(max_distance=max_distance, min_distance=0, normalization=normalization,
                             center_hand=True)
    library = generate_library(st_model_bytes, tmp_path / "lib", spec)
    rng = np.random.default_rng(max_distance)
    count = 300
    distance = rng.integers(-32768, 32768, (count, 64))
    distance[:60] = 32767
    distance[60:120] = rng.integers(32000, 32768, (60, 64))
    distance[120:180] = rng.integers(0, 4100, (60, 64))
    status = rng.choice(np.array([0, 4, 5, 9, 13], np.uint8), (count, 64))
    status[180:230] = 0   # no valid zone: kept (closest = 4000 <= Max_distance) with nothing of a hand
    frames = RawFrames(distance.astype(np.int16), rng.integers(0, 65536, (count, 64)).astype(np.uint16), status)
    tensors, kept = preprocess(frames, spec)
    expected = quantize_input(tensors, *ReferenceRunner(st_model_bytes).input_quantization).reshape(len(tensors), 128)
    assert kept[180:230].all()
    host = SanitizedHost(library.directory, tmp_path / "host", np.int8, np.int8, compiler=host_cc)
    inputs, host_kept = host.preprocess(frames.distance_mm, frames.signal_per_spad, frames.target_status, 128)
    np.testing.assert_array_equal(host_kept, kept)
    np.testing.assert_array_equal(inputs, expected)


def _st_shaped_model_bytes(relu: bool) -> bytes:
    """ST's layer shapes (8x8x2 -> conv 3x3x8 -> 2x2 max pool -> 32 -> 8 softmax) with random weights; without
    the conv's ReLU its requantization cannot be folded, so the conv rows start from the bias instead."""
    import keras
    from keras import layers

    from training.export.quantize import quantize_keras_model

    keras.utils.set_random_seed(26 + relu)
    inputs = keras.Input((8, 8, 2), batch_size=1)
    x = layers.Conv2D(8, 3, activation="relu" if relu else None)(inputs)
    x = layers.Dense(32, activation="relu")(layers.Flatten()(layers.MaxPooling2D(2)(x)))
    model = keras.Model(inputs, layers.Dense(8, activation="softmax")(x))
    data = np.random.default_rng(26).normal(size=(64, 8, 8, 2)).astype(np.float32)
    return quantize_keras_model(model, data)


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("cell", [Cell("gcc", "-O2", "default"), Cell("gcc", "-O0", "default"),
                                  Cell("clang", "-O3", "default"), Cell("clang", "-Os", "default")],
                         ids=lambda cell: cell.name if isinstance(cell, Cell) else None)
def test_the_specialised_conv_fc_and_softmax_are_bit_exact_on_the_emulated_board(tmp_path, arm_cc, relu, cell,
                                                                                  monkeypatch):
    """Issue 26's M4 paths (the conv's register-held kernel rows, the fully connected asm loop, the softmax's
    exp table; plain C for the conv at -O0) under both compilers, against BUILTIN_REF frame by frame. These random
    weights give a slowly decaying softmax: its table (256 entries) is allowed past the cap for the ReLU model,
    the other keeps the generic kernel."""
    from training.export import softmax_table

    require_tool("qemu-system-arm")
    if cell.compiler == "clang":
        require_tool("clang")
    if relu:
        monkeypatch.setattr(softmax_table, "MAX_TABLE_ENTRIES", 256)
    model_bytes, spec = _st_shaped_model_bytes(relu), SPECS["hand_relative, centred"]
    library = generate_library(model_bytes, tmp_path / "lib", spec)
    source = (library.directory / "tofhil_model.c").read_text()
    assert "tofhil_conv_row_k3x6_s16(" in source and "conv2d_pool_run(" in source
    assert ("softmax_exp[" in source) == relu
    assert ("tofhil_requantize_folded" in source.split("conv2d_pool_run(const")[1].split("\n}\n")[0]) == relu
    frames = RawFrames.concatenate([synthetic_frames(spec, 24, seed=26),
                                    RawFrames(*(np.stack([f[i] for f in extreme_frames(spec).values()])
                                                for i in range(3)))])
    tensors, kept = preprocess(frames, spec)
    runner = ReferenceRunner(model_bytes)
    inputs = quantize_input(tensors, *runner.input_quantization).reshape(len(tensors), -1)
    outputs = runner.run(inputs.reshape(tensors.shape)).reshape(len(tensors), -1)
    all_inputs = np.zeros((len(frames), inputs.shape[1]), np.int8)
    all_outputs = np.zeros((len(frames), outputs.shape[1]), np.int8)
    all_inputs[kept], all_outputs[kept] = inputs, outputs
    write_matrix_data(tmp_path / "matrix_data.h", frames, kept, all_inputs, all_outputs)
    image, _ = build_cell(cell, library.directory, tmp_path)
    states = [state for _, state, _, _ in run_image(image)["frames"]]
    assert len(states) == len(frames) and states.count(0) == kept.sum()
    assert all(state in (0, 1) for state in states), states   # 2, 3, 4: keep decision, input or output differ
