"""Training side of the ToF hand-posture HIL harness: configs, data, models, training, evaluation, export."""
import os as _os

# oneDNN's fused CPU kernels change float results with thread timing and CPU features: with them a
# "deterministic" run is only repeatable by luck. Off before TensorFlow is first imported, for the
# CLI, the tests and library users alike (an explicit setting in the environment wins).
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++, absl and retracing chatter that would bury our tables (CLI and benches)."""
    import logging

    _os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:
        pass
