"""ST's hand-posture class dictionary (name -> label id in ``.GestureGT``).

The model's output order is the ascending dictionary id of the configured
classes, as in ST's model zoo, so that a model trained here and one trained
there agree on what output k means.
"""
from __future__ import annotations

ST_CLASS_IDS: dict[str, int] = {
    "None": 0, "FlatHand": 20, "Like": 21, "Ok": 22, "Fxxk": 23, "Love": 24,
    "Dislike": 25, "DoubleLike": 26, "BreakTime": 27, "CrossHands": 28,
    "Yeah": 29, "DoubleDisLike": 30, "Praying": 31, "Fist": 32, "Call": 33,
    "FlatThumb": 34, "One": 41, "Two": 42, "Three": 43, "Four": 44, "Five": 45,
    "Two_bis": 52, "Three_bis": 53, "Pointing": 60, "toLeft": 61,
    "toRight": 62, "toUp": 63, "toDown": 64,
}


def ordered_classes(class_names: list[str]) -> list[str]:
    """Return ``class_names`` in model output order (ascending ST id)."""
    return sorted(class_names, key=lambda name: ST_CLASS_IDS[name])


def unknown_classes(class_names: list[str]) -> list[str]:
    return [name for name in class_names if name not in ST_CLASS_IDS]
