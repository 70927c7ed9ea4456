"""Benchmark backends that measure ST's own runtime next to ours: ``python -m hil benchmark``.

- :mod:`hil.st_benchmark.st_cloud`: ST Edge AI Developer Cloud through ST's ``stm32ai_dc`` client (optional, needs
  the internet and a MyST account): analyze and benchmark on ST's board farm.
- :mod:`hil.st_benchmark.stedgeai`: a locally installed ST Edge AI Core ``stedgeai analyze`` (footprint, no network).
- :mod:`hil.st_benchmark.compare`: the side-by-side table (ST float, ST int8, our int8) with the source of each figure.

Nothing here imports TensorFlow or ``stm32ai_dc`` at import time.
"""
