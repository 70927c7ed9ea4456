"""The exporter's last step: the board's validation firmware project (``EXPORT/firmware/<board>/``), generated
and built with ``make`` by :mod:`tofhil.firmware`. A model the firmware cannot serve, or a machine without the
toolchain, gets the reason in the report instead of a failed export."""
from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from tofhil.errors import ToolError
from training.errors import ExportError
from training.export.footprint import board_spec
from training.export.library import GeneratedLibrary

# RESULT carries status, flags, two tick counts, the outputs and the echoed input (docs/protocol.md)
RESULT_HEADER_BYTES = 10
MAX_PAYLOAD = 400


def unsupported_reason(library: GeneratedLibrary) -> str | None:
    """Why the validation firmware cannot serve this model, or None."""
    model = library.model
    if model.input.dtype != "INT8" or model.output.dtype != "INT8":
        return "the validation firmware serves int8-input, int8-output models only"
    if RESULT_HEADER_BYTES + model.input.size + model.output.size > MAX_PAYLOAD:
        return f"input + output ({model.input.size} + {model.output.size} bytes) do not fit one RESULT frame"
    return None


def build_firmware(library: GeneratedLibrary, output_dir: Path, board: str) -> dict:
    """Generate (and, with the tools present, build) the firmware project; a summary for the report."""
    from tofhil.firmware import build_project, generate_project

    spec = board_spec(board)
    reason = unsupported_reason(library)
    if reason is not None:
        warnings.warn(f"no {spec.name} firmware: {reason}", stacklevel=3)
        return {"board": spec.name, "built": False, "reason": reason}
    try:
        project = generate_project(output_dir, spec)
        missing = [tool for tool in _tools(spec) if shutil.which(tool) is None]
        if missing:
            warnings.warn(f"{', '.join(missing)} not found: {project} is written but not built", stacklevel=3)
            return {"board": spec.name, "project": str(project), "built": False, "reason": f"missing {missing}"}
        image = build_project(project)
    except ToolError as exc:
        raise ExportError(f"firmware for {spec.name}: {exc}") from exc
    return _summary(image)


def _tools(spec) -> tuple[str, ...]:
    return ("make", "arm-none-eabi-gcc", "arm-none-eabi-size") if spec.is_arm else ("make", "cc")


def _summary(image) -> dict:
    summary = {"board": image.board, "project": str(image.project_dir), "built": True,
               "image": str(image.elf or image.executable), "flash_bytes": image.flash_bytes,
               "ram_bytes": image.ram_bytes, "sections": image.sections}
    if image.flash_bytes is not None:
        summary.update(flash_kib=round(image.flash_bytes / 1024, 2), ram_kib=round(image.ram_bytes / 1024, 2))
    return summary
