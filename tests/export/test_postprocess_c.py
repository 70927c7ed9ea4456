"""The generated decision pipeline (tofhil_postprocess.{h,c}) against the host reference (tofhil/postprocessing.py):
rendered from the templates, compiled with the project's strict flags under UBSan (host) and for Cortex-M4, and
run frame by frame on random int8 sequences: every decision and every shown label equal, for several
thresholds, filter lengths, keep-last-valid settings and no-posture classes."""
from __future__ import annotations

import ctypes
import subprocess
from types import SimpleNamespace

import numpy as np
import pytest

from tests.export.conftest import require_tool
from tofhil.c_flags import COMMON_FLAGS
from tofhil.postprocessing import Postprocessing, decide, replay
from tofhil.templating import c_template_environment
from tofhil.paths import templates_dir
from training.errors import ExportError
from training.export.postprocess_context import POSTPROCESS_TEMPLATES, postprocess_context, postprocess_facts

NAMES = ["None", "Like", "Dislike", "Fist"]


def output_tensor(scale=1 / 256, zero_point=-128, classes=4, dtype="INT8"):
    quant = SimpleNamespace(scale=np.array([scale]), zero_point=np.array([zero_point]))
    return SimpleNamespace(dtype=dtype, quant=quant, shape=(1, classes), describe=lambda: "output (1, 4) int8")


def render(folder, spec: Postprocessing, names=NAMES, tensor=None):
    facts = postprocess_facts(spec, names, tensor or output_tensor())
    env = c_template_environment({})
    context = {"source": "test", "sha256": "0" * 64, **postprocess_context(facts, names)}
    for filename, template in POSTPROCESS_TEMPLATES.items():
        (folder / filename).write_text(env.get_template(template).render(**context))
    return facts


def build(folder, flags=("-O1", "-fPIC", "-shared", "-fsanitize=undefined", "-fno-sanitize-recover=all")):
    output = folder / "libpostprocess.so"
    subprocess.run([require_tool("gcc"), *COMMON_FLAGS, *flags, f"-I{folder}", str(folder / "tofhil_postprocess.c"),
                    "-o", str(output)], check=True, capture_output=True, text=True)
    library = ctypes.CDLL(str(output))
    library.tofhil_postprocess_step.restype = ctypes.c_int16
    library.tofhil_postprocess_decide.restype = ctypes.c_int16
    return library


def run_c(library, outputs: np.ndarray, valid: np.ndarray, sessions: np.ndarray):
    state = ctypes.create_string_buffer(8)  # int16 previous, int16 shown, uint8 count (+ padding)
    decisions, shown, previous = [], [], None
    for row, ok, session in zip(outputs, valid, sessions):
        if session != previous:
            library.tofhil_postprocess_reset(state)
            previous = session
        scores = (ctypes.c_int8 * len(row))(*row.tolist())
        decisions.append(library.tofhil_postprocess_decide(scores, int(ok)))
        shown.append(library.tofhil_postprocess_step(state, scores, int(ok)))
    return np.array(decisions), np.array(shown)


def sequences(rng, frames=600, classes=4):
    """Runs of one leading class with noisy confidences around the threshold, rejected frames, three sessions."""
    leading = np.repeat(rng.integers(0, classes, frames // 12), 12)[:frames]
    outputs = rng.integers(-128, 60, size=(frames, classes))
    outputs[np.arange(frames), leading] = rng.integers(85, 128, frames)
    outputs[:40] = rng.integers(-128, 128, size=(40, classes))  # ties and anything
    valid = rng.random(frames) > 0.03
    sessions = np.repeat(np.array(["a", "b", "c"]), frames // 3 + 1)[:frames]
    return outputs.astype(np.int8), valid, sessions


@pytest.mark.parametrize("spec,names", [
    (Postprocessing(), NAMES),
    (Postprocessing(threshold=0.5, filter_length=0), NAMES),
    (Postprocessing(threshold=0.7, filter_length=5, keep_last_valid=False), NAMES),
    (Postprocessing(no_posture_class="Fist"), NAMES),
    (Postprocessing(threshold=0.95, filter_length=1), ["Like", "Dislike", "Fist", "Love"]),  # no None: -1
])
def test_generated_c_equals_the_host_reference(tmp_path, spec, names):
    facts = render(tmp_path, spec, names)
    library = build(tmp_path)
    outputs, valid, sessions = sequences(np.random.default_rng(int(spec.threshold * 100) + spec.filter_length))
    fallback = facts["fallback_index"]
    expected_decisions = decide(outputs, valid, facts["threshold_int8"], fallback)
    c_decisions, c_shown = run_c(library, outputs, valid, sessions)
    assert np.array_equal(c_decisions, expected_decisions)
    assert np.array_equal(c_shown, replay(expected_decisions, sessions, spec, fallback))
    assert len(set(c_shown.tolist())) > 2  # the filter did show labels, not only the fallback


def test_the_pipeline_builds_for_cortex_m4(tmp_path):
    require_tool("arm-none-eabi-gcc")
    render(tmp_path, Postprocessing(filter_length=0))
    subprocess.run(["arm-none-eabi-gcc", *COMMON_FLAGS, "-O2", "-mcpu=cortex-m4", "-mthumb", "-c",
                    str(tmp_path / "tofhil_postprocess.c"), "-o", str(tmp_path / "p.o")], check=True)


def test_the_report_carries_the_proof_and_bad_outputs_are_refused(tmp_path):
    facts = render(tmp_path, Postprocessing())
    assert facts["threshold_int8"] == 102 and facts["fallback_index"] == 0
    assert "for every int8 q" in facts["threshold_proof"]
    assert (templates_dir() / "model" / "tofhil_postprocess.c.j2").is_file()
    with pytest.raises(ExportError, match="a single sigmoid output"):
        postprocess_facts(Postprocessing(), ["None"], output_tensor(classes=1))
    with pytest.raises(ExportError, match="not a per-tensor int8"):
        postprocess_facts(Postprocessing(), NAMES, output_tensor(dtype="FLOAT32"))
    with pytest.raises(ExportError, match="postprocessing.threshold"):
        postprocess_facts(Postprocessing(), NAMES, output_tensor(scale=0.0))
