"""Targets bring a board to "running our firmware, link open": host (pty), QEMU (TCP), physical (USB)."""
from hil.targets.base import Target

__all__ = ["Target"]
