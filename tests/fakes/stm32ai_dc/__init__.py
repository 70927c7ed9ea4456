"""A fake of ST's ``stm32ai_dc`` Developer Cloud client (STMicroelectronics/stm32ai-modelzoo-services,
``common/stm32ai_dc``), for tests: the same import paths, class names, method signatures, result NamedTuples
and exception classes as the real client, with canned figures and no network.

The scenario comes from the environment variable ``FAKE_STM32AI_SCENARIO`` (see ``backend/cloud/cloud.py``),
read at each call, so it works in-process and in a subprocess. Written for this project; no ST code.
"""
from .backend.cloud.cloud import CloudBackend
from .errors import *  # noqa: F401,F403  (the real package re-exports its errors the same way)
from .stm32ai import Stm32Ai
from .types import CliParameters, CliParameterCompression, CliParameterType, CliParameterVerbosity

__all__ = ["CloudBackend", "Stm32Ai", "CliParameters", "CliParameterCompression", "CliParameterType",
           "CliParameterVerbosity"]
