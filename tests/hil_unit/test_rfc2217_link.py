"""The plain RFC2217 path (pyserial 3.5, not labgrid's pyserial-labgrid fork): ``open_link`` on an
``rfc2217://`` URL served by a real ser2net, started as labgrid's exporter starts it, on a pty as a QEMU
``-serial pty`` board gives. Before the fix, pyserial's rfc2217 refused the write timeout open_link passed
(NotImplementedError), so ``--port rfc2217://...`` never worked."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

from hil.farm.labgrid_place import rfc2217_url
from hil.links import open_link
from tofhil.processes import spawn, terminate
from tests.conftest import require


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_rfc2217_link_through_ser2net_carries_bytes_both_ways():
    require(shutil.which("ser2net") is not None, "ser2net is not installed (./run.sh installs it)")
    board, device = os.openpty()
    path, port = os.ttyname(device), _free_port()
    # labgrid 26.0.1's exporter command line for ser2net >= 4.2 (labgrid/remote/exporter.py)
    ser2net = spawn(["ser2net", "-d", "-n", "-Y", f"connection: &con01#  accepter: telnet(rfc2217,mode=server),"
                     f"tcp,{port}", "-Y", f"  connector: serialdev(nouucplock=true),{path},921600n81,local",
                     "-Y", "  options:", "-Y", "    max-connections: 10"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "ser2net did not listen"
                time.sleep(0.05)
        link = open_link(rfc2217_url("127.0.0.1", port))
        try:
            link.write(b"\x00HELLO")
            received = b""
            while len(received) < 6 and time.monotonic() < deadline:
                received += os.read(board, 64)
            assert received == b"\x00HELLO"
            os.write(board, b"reply")
            got = b""
            while len(got) < 5 and time.monotonic() < deadline:
                got += link.read(5 - len(got))
            assert got == b"reply"
        finally:
            link.close()
    finally:
        terminate(ser2net)
        os.close(board)
        os.close(device)
