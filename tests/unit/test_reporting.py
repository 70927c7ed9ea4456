"""Metrics against a hand-computed example, PNG plots that open, tables that name the classes."""
import json

import pytest

from tofhil.metrics import classification_metrics
from tofhil.plots import plot_confusion_matrix, plot_training_curves
from training.reporting.tables import confusion_table, metrics_table

CLASSES = ["None", "Like", "Fist"]
# true:      None None Like Like Fist Fist Fist
# predicted: None Like Like Like Fist None None
Y_TRUE = [0, 0, 1, 1, 2, 2, 2]
Y_PRED = [0, 1, 1, 1, 2, 0, 0]


@pytest.fixture()
def metrics():
    return classification_metrics(Y_TRUE, Y_PRED, CLASSES)


def test_hand_computed_three_class_example(metrics):
    assert metrics["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [2, 0, 1]]
    assert metrics["accuracy"] == pytest.approx(4 / 7)
    assert metrics["samples"] == 7
    expected = {"None": (1 / 3, 1 / 2, 0.4, 2), "Like": (2 / 3, 1.0, 0.8, 2), "Fist": (1.0, 1 / 3, 0.5, 3)}
    for name, (precision, recall, f1, support) in expected.items():
        entry = metrics["per_class"][name]
        assert (entry["precision"], entry["recall"], entry["f1"]) == pytest.approx((precision, recall, f1))
        assert entry["support"] == support
    assert metrics["macro"]["precision"] == pytest.approx(2 / 3)
    assert metrics["macro"]["recall"] == pytest.approx((1 / 2 + 1 + 1 / 3) / 3)
    assert metrics["macro"]["f1"] == pytest.approx((0.4 + 0.8 + 0.5) / 3)


def test_classes_without_support_or_predictions_are_none_not_nan():
    # Fist has no sample and is never predicted; Like has samples but is never predicted
    result = classification_metrics([0, 0, 1], [0, 0, 0], CLASSES)
    assert result["per_class"]["Fist"] == {"precision": None, "recall": None, "f1": None, "support": 0}
    assert result["per_class"]["Like"] == {"precision": None, "recall": 0.0, "f1": 0.0, "support": 1}
    assert result["macro"]["f1"] == pytest.approx((0.8 + 0.0) / 2)
    json.dumps(result, allow_nan=False)  # raises on NaN or numpy types
    assert json.loads(json.dumps(result)) == result


def test_empty_input_is_json_safe():
    result = classification_metrics([], [], CLASSES)
    assert result["accuracy"] is None and result["samples"] == 0
    json.dumps(result, allow_nan=False)


def test_labels_out_of_range_are_rejected():
    with pytest.raises(ValueError, match="outside"):
        classification_metrics([0, 3], [0, 1], CLASSES)


def _assert_png(path):
    import matplotlib.image as image
    pixels = image.imread(path)
    assert pixels.shape[0] >= 200 and pixels.shape[1] >= 200
    assert pixels.std() > 0.01  # something was drawn


def test_training_curves_png(tmp_path):
    history = {"accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.4, 0.6, 0.7], "loss": [1.0, 0.6, 0.4],
               "val_loss": [1.1, 0.8, 0.6], "learning_rate": [0.01, 0.005, 0.001]}
    path = plot_training_curves(history, tmp_path / "plots" / "curves.png")
    _assert_png(path)
    without_lr = plot_training_curves({"accuracy": [0.5, 0.6], "loss": [1.0, 0.9]}, tmp_path / "curves2.png")
    _assert_png(without_lr)
    import matplotlib.image as image
    assert image.imread(path).shape[1] > image.imread(without_lr).shape[1]  # a third panel for the LR


def test_confusion_matrix_png(tmp_path, metrics):
    path = plot_confusion_matrix(metrics["confusion_matrix"], CLASSES, tmp_path / "cm.png", title="validation")
    _assert_png(path)
    _assert_png(plot_confusion_matrix([[0, 0, 0]] * 3, CLASSES, tmp_path / "empty.png", title="empty"))


def test_confusion_matrix_shape_must_match_classes(tmp_path):
    with pytest.raises(ValueError, match="shape"):
        plot_confusion_matrix([[1, 0], [0, 1]], CLASSES, tmp_path / "bad.png", title="bad")


def test_metrics_table_has_classes_accuracy_and_splits(metrics):
    other = classification_metrics([0, 1], [0, 1], CLASSES)
    table = metrics_table({"train": metrics, "validation": other})
    for text in (*CLASSES, "accuracy", "macro average", "train P", "validation F1", "57.14", "100.00"):
        assert text in table
    fist_row = next(line for line in table.splitlines() if line.startswith("| Fist"))
    assert "-" in fist_row.split("|")[-5]  # validation precision of an absent class is "-"


def test_confusion_table_has_classes_and_counts(metrics):
    table = confusion_table(metrics["confusion_matrix"], CLASSES)
    for name in CLASSES:
        assert name in table
    fist_row = next(line for line in table.splitlines() if "true Fist" in line)
    assert [cell.strip() for cell in fist_row.strip("|").split("|")][1:] == ["2", "0", "1", "3"]


def test_accuracy_carries_its_wilson_interval_everywhere_it_is_printed(metrics):
    from tofhil.metrics import format_accuracy, wilson_interval
    from training.reporting.tables import accuracy_cell

    assert metrics["accuracy_ci95"] == pytest.approx([0.2504584, 0.8417801], abs=1e-7)  # 4 of 7
    assert wilson_interval(8, 10) == pytest.approx((0.4901625, 0.9433178), abs=1e-7)  # statsmodels' value
    assert format_accuracy("test", 4, 7) == "test accuracy: 57.14 % (95 % CI 25.05-84.18 %, 7 frames)"
    assert accuracy_cell(4, 7) == "57.14 % (95 % CI 25.05-84.18)" and accuracy_cell(0, 0) == "-"
    table = metrics_table({"test": metrics})
    ci_row = next(line for line in table.splitlines() if "95 % CI" in line)
    assert "25.05-84.18" in ci_row
