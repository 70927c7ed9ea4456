"""What ``hil run`` / ``pytest hil`` print when a board stays silent: the doctor's host and link steps, run now.

Its own module (not :mod:`hil.doctor.judgments`) because it drives the link checks, which use the judgments:
the dependency runs one way, ``silent_board -> link_checks -> judgments``.
"""
from __future__ import annotations

from hil.doctor.environment import SystemEnvironment
from hil.doctor.host_checks import check_permissions, check_usb
from hil.doctor.link_checks import scan_baud_rates
from hil.doctor.steps import Step


def explain_silent_board(spec, link, probe: str | None = None, port: str | None = None) -> str:
    """What ``python -m hil doctor`` finds out about a board that did not answer HELLO, as text lines: for a
    board on USB, the ST-LINK and the port's permissions (unless --port gave a URL), then the other baud rates."""
    steps: list[Step] = []
    if getattr(spec, "kind", None) == "physical":
        if not (port and "://" in port):
            env = SystemEnvironment()
            usb = check_usb(spec, probe, env) if not port else None
            steps += [usb] if usb else []
            if usb is None or not usb.failed:
                steps.append(check_permissions(spec, env, device=port or getattr(link, "port", None)))
        if link is not None and hasattr(link, "baudrate"):
            steps.append(scan_baud_rates(spec, link))
    else:
        steps.append(Step(f"{spec.kind} board", "problem", f"board {spec.name} did not answer",
                          "look at the target's log (qemu.log or the host firmware's log next to serial.log) "
                          f"and run python -m hil doctor --board {spec.name}"))
    lines = ["diagnosis (python -m hil doctor):"]
    for step in steps:
        lines.append(f"  [{step.status}] {step.name}: {step.detail}" + (f"; fix: {step.fix}" if step.fix else ""))
    return "\n".join(lines)
