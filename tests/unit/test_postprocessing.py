"""The host reference of ST's decision pipeline (tofhil/postprocessing.py), checked against a literal
transcription of the behaviour of ST's ``argmax()`` / ``label_filter()`` on random sequences, and by hand."""
from __future__ import annotations

import numpy as np
import pytest

from tofhil.errors import ToolError
from tofhil.postprocessing import NO_POSTURE, LabelFilter, Postprocessing, decide, int8_threshold, replay


def st_argmax(values, threshold):
    """ST's scan as its app_network.c describes it (index 0 never thresholded; strict comparisons)."""
    best, index = values[0], 0
    for i in range(1, len(values)):
        if values[i] > best and values[i] > threshold:
            best, index = values[i], i
    return index


def st_filter(labels, length, keep_last_valid):
    """ST's label_filter over one power-up, its state zero-initialised (label 0)."""
    previous = count = shown = 0
    out = []
    for label in labels:
        if label == previous:
            if count < length:
                count += 1
            elif count == length:
                shown = label
            else:
                count = 0
        else:
            count = 0
            if not keep_last_valid:
                shown = 0
        previous = label
        out.append(shown)
    return out


def test_defaults_are_st_constants():
    spec = Postprocessing()
    assert (spec.threshold, spec.filter_length, spec.keep_last_valid, spec.no_posture_class) == (0.9, 3, True, "None")


def test_a_new_label_shows_on_the_fifth_identical_decision():
    shown = replay(np.array([2, 2, 2, 2, 2, 2]), np.array(["s"] * 6), Postprocessing(), fallback=0)
    assert shown.tolist() == [0, 0, 0, 0, 2, 2]


def test_label_zero_at_a_start_counts_from_the_initial_state():
    shown = replay(np.array([0, 0, 0, 0, 5]), np.array(["s"] * 5), Postprocessing(), fallback=0)
    assert shown.tolist() == [0, 0, 0, 0, 0]


def test_keep_last_valid_and_not():
    decisions = np.array([3] * 5 + [1, 0, 1] + [0] * 5)
    sessions = np.array(["s"] * len(decisions))
    kept = replay(decisions, sessions, Postprocessing(), 0)
    assert kept.tolist() == [0, 0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 0]
    dropped = replay(decisions, sessions, Postprocessing(keep_last_valid=False), 0)
    assert dropped.tolist()[:7] == [0, 0, 0, 0, 3, 0, 0]


def test_the_filter_resets_at_a_session_start():
    decisions = np.array([4] * 6 + [4] * 3)
    shown = replay(decisions, np.array(["a"] * 6 + ["b"] * 3), Postprocessing(), 0)
    assert shown.tolist() == [0, 0, 0, 0, 4, 4, 0, 0, 0]


@pytest.mark.parametrize("keep", [True, False])
@pytest.mark.parametrize("length", [0, 1, 3, 6])
def test_replay_equals_st_on_random_sequences(length, keep):
    rng = np.random.default_rng(length * 2 + keep)
    for _ in range(20):
        # runs of labels, so that the filter fills now and then
        labels = np.repeat(rng.integers(0, 4, 40), rng.integers(1, 8, 40))
        shown = replay(labels, np.array(["s"] * len(labels)), Postprocessing(filter_length=length,
                                                                           keep_last_valid=keep), 0)
        assert shown.tolist() == st_filter(labels.tolist(), length, keep)


def test_decide_equals_st_argmax_on_random_scores():
    rng = np.random.default_rng(1)
    for threshold in (0.0, 0.3, 0.5, 0.9):
        scores = rng.dirichlet(np.full(8, 0.2), size=400)
        scores[:20] = np.round(scores[:20], 1)  # ties and exact threshold values
        got = decide(scores, np.ones(len(scores), bool), threshold, 0)
        assert got.tolist() == [st_argmax(row.tolist(), threshold) for row in scores]


def test_decide_compares_in_double_like_st():
    # float32(0.9) is below 0.9: ST compares the float with the double 0.9 and does not pass it
    scores = np.array([[0.1, np.float32(0.9)]], np.float32)
    assert decide(scores, [True], 0.9, 0).tolist() == [0]


def test_rejected_frames_decide_the_fallback_and_a_model_without_none_shows_minus_one():
    scores = np.array([[0.0, 0.95, 0.05], [0.5, 0.3, 0.2], [0.0, 0.99, 0.01]])
    assert decide(scores, [True, True, False], 0.9, NO_POSTURE).tolist() == [1, -1, -1]
    assert Postprocessing().fallback_index(["Like", "Fist"]) == NO_POSTURE
    assert Postprocessing().fallback_index(["None", "Like"]) == 0
    assert LabelFilter(3, True, NO_POSTURE).shown == NO_POSTURE


@pytest.mark.parametrize("scale,zero_point", [(1 / 256, -128), (0.0039, -120), (0.01, 3), (1e-6, 0), (1.0, -128)])
@pytest.mark.parametrize("threshold", [0.0, 0.5, 0.9, 0.99609375, 1.0])
def test_int8_threshold_equals_the_float_comparison_for_every_value(threshold, scale, zero_point):
    t = int8_threshold(threshold, scale, zero_point)
    q = np.arange(-128, 128)
    assert np.array_equal(q > t, (q - zero_point) * scale > threshold)


def test_int8_threshold_of_a_softmax_output():
    assert int8_threshold(0.9, 1 / 256, -128) == 102  # 231/256 = 0.902 is the smallest value above 0.9


def test_a_bad_scale_is_refused():
    with pytest.raises(ToolError):
        int8_threshold(0.9, 0.0, 0)
