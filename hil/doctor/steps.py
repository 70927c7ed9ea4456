"""The doctor's report: one :class:`Step` per check, printed as text or written as JSON."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

OK, PROBLEM, SKIPPED = "ok", "problem", "skipped"


@dataclass
class Step:
    name: str
    status: str          # ok | problem | skipped
    detail: str          # what was seen
    fix: str = ""        # what to do (problems only)

    @property
    def failed(self) -> bool:
        return self.status == PROBLEM


@dataclass
class Report:
    board: str
    steps: list[Step] = field(default_factory=list)

    def add(self, step: Step) -> Step:
        self.steps.append(step)
        return step

    @property
    def ok(self) -> bool:
        return not any(step.failed for step in self.steps)

    def to_json(self) -> str:
        return json.dumps({"board": self.board, "ok": self.ok, "steps": [asdict(s) for s in self.steps]}, indent=2)

    def render(self) -> str:
        lines = [f"hil doctor: {self.board}"]
        for step in self.steps:
            lines.append(f"  [{step.status:^7}] {step.name}: {step.detail}")
            if step.fix:
                lines.append(f"            fix: {step.fix}")
        lines.append("all steps ok" if self.ok else "stopped at the first problem (above)")
        return "\n".join(lines)
