"""A fake of ST's ``stm32ai_dc`` Developer Cloud client (STMicroelectronics/stm32ai-modelzoo-services,
``common/stm32ai_dc``), for tests: the same import paths, exported names, method signatures, result NamedTuples
and exception classes as the real client, with canned figures and no network.

``FAKE_STM32AI_CLIENT`` (read at import: ``46924c0`` or ``f971224``, the default) picks which of ST's two result
shapes it reproduces; ``FAKE_STM32AI_SCENARIO`` (read at each call, see ``backend/cloud/cloud.py``) picks a
behaviour. Both work in-process and in a subprocess. tests/fakes/stm32ai_dc_contract.json describes the real
client; tests/hil_unit/test_st_fake_contract.py keeps this fake equal to it. Written for this project; no ST code.
"""
from .backend.cloud.cloud import CloudBackend
from .errors import *  # noqa: F401,F403  (the real package re-exports its errors the same way)
from .stm32ai import Stm32Ai
from .types import (AtonParameters, AtonParametersSchema, CliLibraryIde, CliLibrarySerie, CliParameterCompression,
                    CliParameters, CliParameterType, CliParameterVerbosity, MpuEngine, MpuParameters)

__all__ = ["Stm32Ai", "CloudBackend", "CliParameters", "CliParameterCompression", "CliParameterType",
           "CliParameterVerbosity", "CliLibrarySerie", "CliLibraryIde", "AtonParameters", "AtonParametersSchema",
           "MpuParameters", "MpuEngine"]
