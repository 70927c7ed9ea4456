"""Chip facts and reference-manual rules, one module per family (checked against ST's CMSIS headers in tests)."""
