"""ST's ``stm32ai_dc`` client imported once, under the name its own modules give it.

ST ships the client in ``common/stm32ai_dc`` of stm32ai-modelzoo-services. Up to 46924c0 its modules import each
other as ``stm32ai_dc.*`` (``PYTHONPATH=<clone>/common``); from release 3.1 on as ``common.stm32ai_dc.*``
(``PYTHONPATH=<clone>``, as ST's scripts run). Its package ``__init__`` imports relatively, so importing it under the
other name loads a second copy of its modules: ``CliParameters`` of one copy is then refused by the other's
``type(options) != CliParameters`` check, and its exceptions are other classes. The name is read from the client's
own ``backend/cloud/cloud.py`` before anything is imported.
"""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from hil.st_benchmark.errors import ClientNotInstalledError

NAMES = ("common.stm32ai_dc", "stm32ai_dc")  # ST's layout from 3.1 on, then the older one
PATH_FOR = {"common.stm32ai_dc": "<clone> (the folder that holds common/)", "stm32ai_dc": "<clone>/common"}


def _spec(name: str):
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):  # the parent package `common` is absent, or a stub without a spec
        return None


def own_name(package_dir: Path, found_as: str) -> str:
    """The name the client's modules import it by (``found_as`` when they import relatively)."""
    cloud = Path(package_dir) / "backend" / "cloud" / "cloud.py"
    text = cloud.read_text(errors="replace") if cloud.is_file() else ""
    if "from common.stm32ai_dc" in text or "import common.stm32ai_dc" in text:
        return "common.stm32ai_dc"
    if "from stm32ai_dc" in text or "import stm32ai_dc" in text:
        return "stm32ai_dc"
    return found_as


def import_client(install_hint: str):
    """The client's package, one copy; :class:`ClientNotInstalledError` naming the PYTHONPATH it needs."""
    found = [(name, spec) for name in NAMES if (spec := _spec(name)) is not None and spec.origin]
    if not found:
        raise ClientNotInstalledError(install_hint.format(error="no module named stm32ai_dc or common.stm32ai_dc"))
    found_as, spec = found[0]
    name = own_name(Path(spec.origin).parent, found_as)
    if name not in dict(found):
        raise ClientNotInstalledError(
            f"ST's Developer Cloud client in {Path(spec.origin).parent} imports itself as {name} (its "
            f"backend/cloud/cloud.py), which is not importable here: export PYTHONPATH={PATH_FOR[name]} "
            f"instead of {PATH_FOR[found_as]}; see docs/st-edge-ai.md")
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ClientNotInstalledError(install_hint.format(error=exc)) from exc
