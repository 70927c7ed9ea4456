"""The self-hosted workflow for a real board stays in step with the pytest plugin and the board files."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tofhil.boards import load_board

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "hil-board.yml"


def _job() -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    return workflow["jobs"]["nucleo-f401re"]


def _step(job: dict, prefix: str) -> dict:
    return next(step for step in job["steps"] if step.get("name", "").startswith(prefix))


def test_runs_on_a_runner_with_the_board_and_uploads_evidence_whatever_happens():
    job = _job()
    assert job["runs-on"] == ["self-hosted", "linux", "nucleo-f401re"]
    load_board("nucleo-f401re")
    upload = _step(job, "Upload")
    assert upload["if"] == "always()" and upload["uses"].startswith("actions/upload-artifact@")
    assert "${{ env.HIL_OUT }}/" in upload["with"]["path"]


def test_every_option_of_the_hil_step_is_one_pytest_knows():
    run = _step(_job(), "HIL suite")["run"]
    assert "-m pytest hil" in run and "--junit-xml=" in run
    used = set(re.findall(r"(--[a-z][a-z-]+)", run))
    help_text = subprocess.run([sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
                               capture_output=True, text=True, check=True).stdout
    unknown = sorted(option for option in used if not re.search(rf"{option}\b", help_text))
    assert not unknown, f"{WORKFLOW.name} passes options pytest does not define: {unknown}"
    assert {"--board", "--probe", "--flasher", "--run-dir"} <= used
