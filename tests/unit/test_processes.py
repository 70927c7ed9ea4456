"""tofhil.processes, the one home of our child processes (issue 27): a tool's failure, timeout and missing
executable become the caller's error class with the command and the output's tail; a timeout kills the tool's
whole process group (its children hold the output pipe); a ``python -m`` step's own error line is what is said."""
from __future__ import annotations

import os
import sys
import time

import pytest

from tofhil.errors import FirmwareBuildError, ToolError
from tofhil.processes import python_step, run_tool, step_error


def test_a_tool_that_fails_is_the_callers_error_with_the_tail_of_its_output():
    script = "import sys\nfor i in range(40): print('line', i)\nsys.exit(3)"
    with pytest.raises(FirmwareBuildError) as caught:
        run_tool([sys.executable, "-c", script], "building", error=FirmwareBuildError)
    message = str(caught.value)
    assert message.startswith("building failed (exit code 3): ")
    assert "line 39" in message and "line 24" not in message  # the last 15 lines only


def test_standard_error_is_the_tail_when_output_is_kept_apart():
    script = "import sys\nprint('result')\nprint('the real error', file=sys.stderr)\nsys.exit(1)"
    with pytest.raises(ToolError, match="the real error") as caught:
        run_tool([sys.executable, "-c", script], "compiling", merge_output=False)
    assert "result" not in str(caught.value).split("output tail:")[1]
    assert run_tool([sys.executable, "-c", "print('ok')"], "x", merge_output=False) == "ok\n"


def test_a_timeout_kills_the_whole_group(tmp_path):
    marker = tmp_path / "child-alive"
    # the tool starts a grandchild that would write the marker after 2 s, then hangs itself
    grandchild = f"import time; time.sleep(2); open({str(marker)!r}, 'w').close()"
    script = f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', {grandchild!r}])\ntime.sleep(60)"
    started = time.monotonic()
    with pytest.raises(ToolError, match=r"flashing timed out after 0.5 s"):
        run_tool([sys.executable, "-c", script], "flashing", timeout=0.5)
    assert time.monotonic() - started < 10
    time.sleep(2.5)
    assert not marker.exists()  # the grandchild died with its group


def test_a_missing_tool_is_named():
    with pytest.raises(ToolError, match=r"linking: cannot run no-such-tool-xyz --version: No such file"):
        run_tool(["no-such-tool-xyz", "--version"], "linking")


def test_a_python_step_says_its_own_error_line(tmp_path):
    module = tmp_path / "failing_step.py"
    module.write_text("import sys\nprint('progress')\nprint('error: config.yaml: key x: expected y', "
                      "file=sys.stderr)\nprint('trailing noise', file=sys.stderr)\nsys.exit(2)\n")
    sys.path.insert(0, str(tmp_path))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    try:
        with pytest.raises(ToolError) as caught:
            python_step("failing_step", [], "the step")
    finally:
        sys.path.remove(str(tmp_path))
    assert str(caught.value) == "the step: config.yaml: key x: expected y"
    assert step_error("a\nb\n") == "b" and step_error("") == "(no output)"
