"""Run a firmware ELF on QEMU netduinoplus2 and read back what it programmed.

Three windows into the emulated chip: QEMU's ``-d unimp`` log (every write to a device QEMU does not model:
RCC, GPIO, FLASH interface, in order), QMP's ``xp`` (registers QEMU keeps: USART, NVIC; and RAM, for the
firmware's own variables) and the gdbstub (to stop at a symbol and write a variable, e.g. the clock a locked
PLL would give, since QEMU models no PLL).
"""
from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from hil.protocol import FrameDecoder, HelloRequest, Packet, decode_message, encode_message

_UNIMP = re.compile(r"^(?P<device>[\w ]+): unimplemented device (?P<op>read|write)\s+\(size 4, offset 0x(?P<offset>[0-9a-f]+)"
                    r"(?:, value 0x(?P<value>[0-9a-f]+))?\)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def symbol_address(elf: Path, name: str) -> int:
    out = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise AssertionError(f"{name} not in {elf}")


@dataclass
class DeviceAccess:
    device: str
    op: str
    offset: int
    value: int | None


@dataclass
class Readback:
    hello: object
    words: dict = field(default_factory=dict)        # address -> value read through QMP xp
    accesses: list = field(default_factory=list)     # DeviceAccess, in order, from the -d unimp log

    def writes(self, device: str, offset: int) -> list[int]:
        return [a.value for a in self.accesses if a.device == device and a.op == "write" and a.offset == offset]


class _Gdb:
    """The few GDB remote-protocol packets needed: breakpoint, continue, write memory, detach."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""

    def packet(self, body: str, wait_reply: bool = True) -> str:
        data = body.encode()
        self.sock.sendall(b"$" + data + b"#" + f"{sum(data) % 256:02x}".encode())
        return self._reply() if wait_reply else ""

    def _reply(self) -> str:
        while True:
            match = re.search(rb"\$([^#]*)#[0-9a-fA-F]{2}", self.buffer)
            if match:
                self.buffer = self.buffer[match.end():]
                self.sock.sendall(b"+")
                return match.group(1).decode()
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError("QEMU's gdbstub closed the connection")
            self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def run_and_read(elf: Path, log: Path, addresses: list[int], stop_at: str | None = None,
                 poke: dict[int, int] | None = None) -> Readback:
    """Boot ``elf``; optionally stop at symbol ``stop_at`` and write ``poke`` {address: u32}; handshake; read."""
    serial_port, qmp_port, gdb_port = _free_port(), _free_port(), _free_port()
    command = ["qemu-system-arm", "-M", "netduinoplus2", "-display", "none", "-monitor", "none", "-icount", "shift=0",
               "-kernel", str(elf), "-serial", "null",
               "-serial", f"tcp:127.0.0.1:{serial_port},server=on,wait=off,nodelay=on",
               "-qmp", f"tcp:127.0.0.1:{qmp_port},server=on,wait=off", "-d", "unimp", "-D", str(log)]
    if stop_at:
        command += ["-gdb", f"tcp:127.0.0.1:{gdb_port}", "-S"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if stop_at:
            gdb = _Gdb(_wait_port(gdb_port, process))
            try:
                address = symbol_address(elf, stop_at) & ~1
                assert gdb.packet(f"Z1,{address:x},2") == "OK"
                assert gdb.packet("c").startswith(("T", "S"))
                for where, value in (poke or {}).items():
                    assert gdb.packet(f"M{where:x},4:{value.to_bytes(4, 'little').hex()}") == "OK"
                assert gdb.packet(f"z1,{address:x},2") == "OK"
                gdb.packet("D")
            finally:
                gdb.close()
        link = socket.create_connection(("127.0.0.1", _wait_port(serial_port, process)), timeout=0.3)
        with link:
            hello = _hello(link)
        words = _xp(_wait_port(qmp_port, process), addresses)
    finally:
        process.kill()
        process.wait(10)
    accesses = []
    for line in log.read_text(errors="replace").splitlines():
        match = _UNIMP.match(line)
        if match:
            value = match.group("value")
            accesses.append(DeviceAccess(match.group("device"), match.group("op"), int(match.group("offset"), 16),
                                         int(value, 16) if value else None))
    return Readback(hello, words, accesses)


def _wait_port(port: int, process) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"QEMU exited: {process.stderr.read().decode(errors='replace')[-500:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                pass
            return port
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"QEMU did not open port {port}")


def _hello(link: socket.socket):
    decoder = FrameDecoder()
    for seq in range(1, 41):
        link.sendall(b"\x00" + encode_message(HelloRequest(), seq))
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            try:
                chunk = link.recv(4096)
            except socket.timeout:
                break
            for item in decoder.feed(chunk):
                if isinstance(item, Packet) and item.seq == seq:
                    return decode_message(item)
    raise AssertionError("no HELLO from the firmware")


def _xp(port: int, addresses: list[int]) -> dict[int, int]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as qmp:
        reader = qmp.makefile("rb")
        reader.readline()

        def execute(command: str, **arguments):
            qmp.sendall(json.dumps({"execute": command, **({"arguments": arguments} if arguments else {})}).encode()
                        + b"\n")
            while True:
                reply = json.loads(reader.readline())
                if "return" in reply or "error" in reply:
                    return reply

        execute("qmp_capabilities")
        words = {}
        for address in addresses:
            text = execute("human-monitor-command", **{"command-line": f"xp /1wx {address:#x}"})["return"]
            words[address] = int(text.split(":")[1].strip(), 16)
        return words
