"""labgrid places for a validation: acquire (a clear error naming the holder when someone has it), or wait for
one through a reservation (``--reserve board=...``); find its serial port, which the exporter serves through
ser2net as RFC2217; release at the end, on a failure and on Ctrl-C.

labgrid's client session is asyncio over gRPC; it runs on an event loop in a thread of its own, so the main
thread and the board threads (re-resolving a port after an exporter restart) can all call it. labgrid 26.0.1 is
pinned: the calls below (``start_session``, ``ClientSession.acquire/release/get_place/get_target_resources``,
the reservation messages) are its client's own.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from hil.errors import HilError, LinkError

CALL_TIMEOUT_S = 30.0
# an exporter restarting comes back with its resource not yet given to the place: the coordinator gives it back
# on its own resource sync (every 15 s) while the place stays held, and ser2net then serves it on a new port
PORT_WAIT_S = 45.0
REFRESH_AFTER_S = 3.0  # no serial port resource seen for this long: a fresh client view (it may be stale)


class LabgridOutput(logging.Filter):
    """What labgrid's client prints ("acquired place X", "released place X") and logs to the root logger
    ("coordinator is unavailable: ...") from its event loop's thread: kept in ``lines`` for labgrid.log in
    the output folder, not printed above the harness's own one-line messages."""

    def __init__(self, thread: threading.Thread):
        super().__init__()
        self.thread, self.lines = thread, []
        self._stdout = sys.stdout

    def owns(self) -> bool:
        return threading.get_ident() == self.thread.ident

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread != self.thread.ident:
            return True
        self.lines.append(f"{record.levelname}: {record.getMessage()}")
        return False

    # a file-like stand-in for sys.stdout: the loop thread's prints are kept, every other thread's go through
    def write(self, text: str) -> int:
        if not self.owns():
            return self._stdout.write(text)
        self.lines.extend(line for line in text.splitlines() if line.strip())
        return len(text)

    def flush(self) -> None:
        if not self.owns():
            self._stdout.flush()

    def __getattr__(self, name):
        return getattr(self._stdout, name)

    def install(self) -> None:
        logging.getLogger().addFilter(self)
        sys.stdout = self

    def remove(self) -> None:
        logging.getLogger().removeFilter(self)
        if sys.stdout is self:
            sys.stdout = self._stdout

    def write_to(self, path: Path) -> None:
        with contextlib.suppress(OSError):
            with Path(path).open("a", encoding="utf-8") as log:
                log.writelines(f"{line}\n" for line in self.lines)


def rfc2217_url(host: str, port: int) -> str:
    """pyserial's RFC2217 URL for a ser2net port. ``ign_set_control``: the exported device may be a pty, which
    has no modem lines, so ser2net never confirms SET_CONTROL; pyserial would wait for it and fail."""
    return f"rfc2217://{host}:{port}?ign_set_control"


class LabgridClient:
    """One labgrid client session (``address`` is the coordinator's HOST:PORT)."""

    def __init__(self, address: str, connect_timeout_s: float = 15.0):
        try:
            import labgrid.remote.client  # noqa: F401 - only checked here; the session thread uses it
        except ImportError as exc:
            raise HilError(f"--place/--reserve need labgrid ({exc}): pip install labgrid==26.0.1 "
                           "(pip install 'tof-hil[farm]')") from None
        self.address = address
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.loop = self.session = None
        self.last_state = "not asked yet"
        self._refresh_lock, self._refreshed_at = threading.Lock(), 0.0
        self._thread = threading.Thread(target=self._serve, name="labgrid client", daemon=True)
        self.output = LabgridOutput(self._thread)
        self.output.install()
        self._thread.start()
        if not self._ready.wait(connect_timeout_s) or self._error is not None:
            cause = self._error or f"no answer within {connect_timeout_s:.0f} s"
            self.close()
            raise HilError(f"labgrid coordinator {address}: cannot connect ({cause}); start labgrid-coordinator "
                           "there, or pass --coordinator HOST:PORT (or set LG_COORDINATOR)")

    def _serve(self) -> None:
        from labgrid.remote.client import start_session

        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)  # grpc.aio looks the loop up in its thread
        try:
            self.session = start_session(self.address, loop=self.loop)
        except BaseException as exc:  # noqa: BLE001 - reported by the constructor
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()

    def refresh(self, min_interval_s: float = 2.0) -> None:
        """A new client session on the same loop: a fresh view of places and resources. After an exporter
        restart the old session's view can keep the deleted resource (no 'avail' key) for good."""
        from labgrid.remote.client import ClientSession
        from labgrid.util.proxy import proxymanager

        with self._refresh_lock:
            if time.monotonic() - self._refreshed_at < min_interval_s:
                return

            async def go():
                old = self.session
                fresh = ClientSession(proxymanager.get_grpc_address(self.address, default_port=20408), self.loop)
                await fresh.start()
                self.session = fresh
                with contextlib.suppress(Exception):
                    await old.stop()
                    await old.close()
            self.call(go)
            self._refreshed_at = time.monotonic()

    def call(self, make_coroutine, timeout_s: float = CALL_TIMEOUT_S):
        """Run ``make_coroutine()`` on the session's loop; labgrid's own errors become a one-line HilError."""
        from labgrid.remote.client import Error as LabgridError

        future = asyncio.run_coroutine_threadsafe(make_coroutine(), self.loop)
        try:
            return future.result(timeout_s)
        except LabgridError as exc:
            raise HilError(str(exc)) from None

    def acquire(self, place: str) -> None:
        async def go():
            self.session.args = argparse.Namespace(place=place, allow_unmatched=False, kick=False)
            await self.session.acquire()
        try:
            self.call(go)
        except HilError as exc:
            raise HilError(f"--place {place}: {exc}") from None

    def release(self, place: str) -> None:
        async def go():
            self.session.args = argparse.Namespace(place=place, allow_unmatched=False, kick=False)
            await self.session.release()
        self.call(go)

    def serial_endpoint(self, place: str):
        """(host, port) of the place's NetworkSerialPort while its exporter serves it; "unacquired" when the
        exporter is back but the coordinator has not given its resource to the place again; else None."""
        async def go():
            resources = self.session.get_target_resources(self.session.get_place(place))
            for (_, cls), resource in sorted(resources.items()):
                if cls != "NetworkSerialPort" or not resource.avail:
                    continue
                if resource.args.get("port"):
                    return resource.args["host"], int(resource.args["port"])
                if not resource.acquired:
                    return "unacquired"
            return None
        try:
            state = self.call(go)
            self.last_state = "no serial port resource available" if state is None else str(state)
            return state
        except Exception as exc:  # noqa: BLE001 - an exporter going away or coming back leaves an orphaned or
            self.last_state = f"{type(exc).__name__}: {exc}"  # half-described resource (labgrid raises KeyError
            return None  # on it) until it serves the port again

    def reserve(self, tags: str, on_wait=None) -> tuple[str, str]:
        """(place name, reservation token) of a place matching ``tags``, waiting while all are in use."""
        from labgrid.remote.common import Reservation, ReservationState
        from labgrid.remote.generated import labgrid_coordinator_pb2 as pb2

        wanted = dict(pair.split("=", 1) for pair in tags.split())

        async def create():
            request = pb2.CreateReservationRequest(filters={"main": pb2.Reservation.Filter(filter=wanted)}, prio=0.0)
            return Reservation.from_pb2((await self.session.stub.CreateReservation(request)).reservation)

        async def poll(token):
            reply = await self.session.stub.PollReservation(pb2.PollReservationRequest(token=token))
            return Reservation.from_pb2(reply.reservation)

        token = self._grpc(create, f"--reserve {tags}").token
        told = False
        try:
            while True:
                reservation = self._grpc(lambda: poll(token), f"--reserve {tags}")
                if reservation.state is ReservationState.allocated:
                    return reservation.allocations["main"][0], token
                if reservation.state is not ReservationState.waiting:
                    raise HilError(f"--reserve {tags}: the coordinator ended the reservation "
                                   f"({reservation.state.name}); does a place carry these tags?")
                if not told and on_wait:
                    on_wait(token)
                    told = True
                time.sleep(0.5)
        except BaseException:
            self.cancel_reservation(token)
            raise

    def cancel_reservation(self, token: str) -> None:
        from labgrid.remote.generated import labgrid_coordinator_pb2 as pb2

        async def go():
            await self.session.stub.CancelReservation(pb2.CancelReservationRequest(token=token))
        with contextlib.suppress(Exception):
            self._grpc(go, "cancel reservation")

    def _grpc(self, make_coroutine, what: str):
        import grpc

        try:
            return self.call(make_coroutine)
        except grpc.aio.AioRpcError as exc:
            raise HilError(f"{what}: the labgrid coordinator refused: {exc.details()}") from None

    def close(self) -> None:
        if self.loop is None:
            self.output.remove()
            return
        if self.session is not None and self.loop.is_running():
            async def stop():
                await self.session.stop()
                await self.session.close()
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.output.remove()


@dataclass
class PlaceLease:
    """An acquired place: what the board's target asks for its serial port (again after a loss)."""

    client: LabgridClient
    name: str
    token: str | None = None  # the reservation it came from (--reserve), cancelled on release

    def serial_url(self, wait_s: float = PORT_WAIT_S) -> str:
        """The place's RFC2217 URL, waiting up to ``wait_s`` for its exporter to serve it (a restarted
        exporter starts ser2net on a new port). The place stays held all along: the lock is the place's, not
        the port's, so a reservation queued by someone else cannot take it in between."""
        started = time.monotonic()
        unknown_since = None
        while True:
            endpoint = self.client.serial_endpoint(self.name)
            if isinstance(endpoint, tuple):
                return rfc2217_url(*endpoint)
            if endpoint is None:  # gone, or a stale view of a resource the exporter deleted and made again
                unknown_since = unknown_since or time.monotonic()
                if time.monotonic() - unknown_since > REFRESH_AFTER_S:
                    with contextlib.suppress(HilError):
                        self.client.refresh()
                    unknown_since = None
            # "unacquired": the exporter is back and the coordinator gives its resource to the held place on
            # its next resource sync (every 15 s); releasing and acquiring again would open a gap for others
            if time.monotonic() - started > wait_s:
                raise LinkError(f"place {self.name}: no serial port served within {wait_s:.0f} s (is its "
                                f"exporter running? labgrid-client -p {self.name} show; last seen: "
                                f"{self.client.last_state})")
            time.sleep(0.25)


@contextlib.contextmanager
def hold_places(shards, coordinator: str, log_path: Path | None = None):
    """Acquire every shard's place (or wait for one through its reservation); yield ``{shard name: lease}``;
    release them all whatever happens. labgrid's own lines go to ``log_path`` once every place is held (a
    refused place leaves nothing behind: its cause is the one-line error)."""
    client = LabgridClient(coordinator)
    leases: dict[str, PlaceLease] = {}
    held = False
    try:
        for shard in shards:
            if shard.place:
                client.acquire(shard.place)
                leases[shard.name] = PlaceLease(client, shard.place)
            elif shard.reserve:
                name, token = client.reserve(shard.reserve, lambda token, s=shard: print(
                    f"waiting for a labgrid place with {s.reserve} (reservation {token}; Ctrl-C cancels it)",
                    file=sys.stderr, flush=True))
                try:
                    client.acquire(name)
                except BaseException:
                    client.cancel_reservation(token)
                    raise
                leases[shard.name] = PlaceLease(client, name, token)
                print(f"reserved and acquired place {name} ({shard.reserve})", file=sys.stderr, flush=True)
        held = True
        yield leases
    finally:
        for lease in leases.values():
            with contextlib.suppress(Exception):
                client.release(lease.name)
            if lease.token:
                client.cancel_reservation(lease.token)
        client.close()
        if held and log_path is not None and Path(log_path).parent.is_dir():
            client.output.write_to(log_path)
