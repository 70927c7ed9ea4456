"""docs/board-farm.md "A lab on one machine", run as written: its bash blocks, parsed from the page, are pasted
into one bash shell in order (coordinator, two QEMU boards on ptys, the ser2net wrapper, the exporter, the
places, a run on both places, a QEMU restarted with a new pty, a --reserve run, the lab stopped by PID), so the
documented lab cannot drift. Only the coordinator's port (a free one) and the lab folder are the test's own,
through the variables the page reads, and the newest run is the tiny test run."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import require

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "board-farm.md"
SECTION = "## A lab on one machine"
PLACES = ("farm-a", "farm-b")


def lab_blocks(text: str) -> tuple[list[str], str]:
    """The section's ```bash blocks in order, and its ```yaml block (what the exporter YAML reads)."""
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", len(SECTION))]
    blocks = re.findall(r"^```(bash|yaml)\n(.*?)^```$", section, flags=re.S | re.M)
    return [body for kind, body in blocks if kind == "bash"], next(body for kind, body in blocks if kind == "yaml")


def lab_script(blocks: list[str]) -> str:
    """One bash script of the blocks, stopping at the first failing command. A ``python -m hil run`` may exit 1:
    a gate failed (the tiny test run's accuracy), which says nothing of the lab. While the places are held by a
    third party (the test) the ser2net listeners are recorded, to check they are on loopback."""
    lines = ["set -e"]
    for block in blocks:
        if block.strip().startswith("kill $(cat"):  # the last block stops the lab: look at ser2net before it
            lines.append("labgrid-client -p farm-a acquire >/dev/null; labgrid-client -p farm-a show "
                         "> \"$LAB/show.txt\"; cat /proc/net/tcp /proc/net/tcp6 > \"$LAB/listening.txt\"; "
                         "labgrid-client -p farm-a release")
        for line in block.splitlines():
            lines.append(f"{line} || test $? -eq 1" if line.startswith("python -m hil run") else line)
    return "\n".join(lines) + "\n"


def test_the_lab_section_has_its_blocks():
    blocks, exporter_yaml = lab_blocks(DOC.read_text())
    assert len(blocks) >= 6 and any("python -m hil run" in block for block in blocks)
    assert blocks[-1].strip().startswith("kill $(cat") and "RawSerialPort" in exporter_yaml
    assert "-serial null -serial pty" in "".join(blocks) and "--hostname 127.0.0.1" in "".join(blocks)


def test_the_documented_lab_works_when_pasted(tiny_runs, tmp_path):
    for tool in ("qemu-system-arm", "arm-none-eabi-gcc"):
        require(shutil.which(tool) is not None, f"{tool} is not installed (./run.sh installs it)")
    require(Path("/usr/sbin/ser2net").exists(), "ser2net is not installed (./run.sh installs it)")
    blocks, shown_yaml = lab_blocks(DOC.read_text())
    work, lab = tmp_path / "work", tmp_path / "lab"
    (work / "experiments_outputs").mkdir(parents=True)
    (work / "experiments_outputs" / "tiny").symlink_to(tiny_runs[0])  # the newest run, as hil finds it
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    env = {**os.environ, "LAB": str(lab), "LG_COORDINATOR": address, "PYTHONPATH": str(REPO),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("LG_TOKEN", None)
    shell = subprocess.Popen(["bash", "-c", lab_script(blocks)], cwd=work, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = shell.communicate(timeout=420)
    finally:
        if shell.poll() is None:
            shell.kill()
        for pid_file in lab.glob("*.pid"):  # what the page's last block stops, if the script did not get there
            with_pid = pid_file.read_text().strip()
            if with_pid.isdigit():
                try:
                    os.kill(int(with_pid), signal.SIGTERM)
                except ProcessLookupError:
                    pass
    assert shell.returncode == 0, output[-4000:]

    first = [json.loads(line) for line in (lab / "run-1" / "results.jsonl").read_text().splitlines()]
    assert {r["board"] for r in first} == set(PLACES)
    assert "per board" in output and "acquired place" in (lab / "run-1" / "labgrid.log").read_text()
    second = [json.loads(line) for line in (lab / "run-2" / "results.jsonl").read_text().splitlines()]
    assert len(second) == len(first) and len({r["board"] for r in second}) == 1
    assert {r["board"] for r in second} <= set(PLACES)  # named after the place the reservation got

    # the YAML the page shows is the one its commands write, but for the pty numbers
    written = yaml.safe_load((lab / "exporter.yaml").read_text())
    shown = yaml.safe_load(shown_yaml)
    assert written.keys() == shown.keys() == set(PLACES)
    for place in PLACES:
        assert re.fullmatch(r"/dev/pts/\d+", written[place]["RawSerialPort"].pop("port"))
        shown[place]["RawSerialPort"].pop("port")
    assert written == shown

    # ser2net, as the wrapper starts it for an acquired place, listens on loopback only
    port = int(re.search(r"'port': (\d+)", (lab / "show.txt").read_text()).group(1))
    assert listeners((lab / "listening.txt").read_text(), port) == ["0100007F"]  # 127.0.0.1, not 0.0.0.0 or ::


def listeners(proc_net_tcp: str, port: int) -> list[str]:
    """The local addresses (hex, as /proc/net/tcp and tcp6 write them) listening on ``port``."""
    found = []
    for line in proc_net_tcp.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[3] == "0A" and ":" in fields[1]:  # 0A: LISTEN
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port:
                found.append(address)
    return found
