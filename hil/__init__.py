"""Hardware-in-the-loop validation of an exported model on a board: ``python -m hil`` and ``pytest hil``.

Board-only commands never import TensorFlow; the runner imports it only for the host references.
"""
