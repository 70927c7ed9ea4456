"""Training side of the ToF hand-posture HIL harness: configs, data, models, training, evaluation."""
