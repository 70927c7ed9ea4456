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
import sys
import threading
import time
from dataclasses import dataclass

from hil.errors import HilError, LinkError

CALL_TIMEOUT_S = 30.0
PORT_WAIT_S = 30.0  # an exporter restarting (ser2net started again on a new port) comes back within this


def rfc2217_url(host: str, port: int) -> str:
    """pyserial's RFC2217 URL for a ser2net port. ``ign_set_control``: the exported device may be a pty, which
    has no modem lines, so ser2net never confirms SET_CONTROL; pyserial would wait for it and fail."""
    return f"rfc2217://{host}:{port}?ign_set_control"


class LabgridClient:
    """One labgrid client session (``address`` is the coordinator's HOST:PORT)."""

    def __init__(self, address: str, connect_timeout_s: float = 15.0):
        self.address = address
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.loop = self.session = None
        self._thread = threading.Thread(target=self._serve, name="labgrid client", daemon=True)
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

    def serial_endpoint(self, place: str) -> tuple[str, int] | None:
        """(host, port) of the place's NetworkSerialPort while its exporter serves it, else None."""
        async def go():
            resources = self.session.get_target_resources(self.session.get_place(place))
            for (_, cls), resource in sorted(resources.items()):
                if cls == "NetworkSerialPort" and resource.avail and resource.args.get("port"):
                    return resource.args["host"], int(resource.args["port"])
            return None
        try:
            return self.call(go)
        except HilError:
            return None  # an exporter that went away leaves an orphaned resource until it is back

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
            return
        if self.session is not None and self.loop.is_running():
            async def stop():
                await self.session.stop()
                await self.session.close()
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


@dataclass
class PlaceLease:
    """An acquired place: what the board's target asks for its serial port (again after a loss)."""

    client: LabgridClient
    name: str
    token: str | None = None  # the reservation it came from (--reserve), cancelled on release

    def serial_url(self, wait_s: float = PORT_WAIT_S) -> str:
        """The place's RFC2217 URL, waiting up to ``wait_s`` for its exporter to serve it (a restarted
        exporter starts ser2net on a new port)."""
        deadline = time.monotonic() + wait_s
        while True:
            endpoint = self.client.serial_endpoint(self.name)
            if endpoint is not None:
                return rfc2217_url(*endpoint)
            if time.monotonic() > deadline:
                raise LinkError(f"place {self.name}: no serial port served within {wait_s:.0f} s (is its "
                                f"exporter running? labgrid-client -p {self.name} show)")
            time.sleep(0.25)


@contextlib.contextmanager
def hold_places(shards, coordinator: str):
    """Acquire every shard's place (or wait for one through its reservation); yield ``{shard name: lease}``;
    release them all whatever happens."""
    client = LabgridClient(coordinator)
    leases: dict[str, PlaceLease] = {}
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
                print(f"{shard.name}: reserved and acquired place {name}", file=sys.stderr, flush=True)
        yield leases
    finally:
        for lease in leases.values():
            with contextlib.suppress(Exception):
                client.release(lease.name)
            if lease.token:
                client.cancel_reservation(lease.token)
        client.close()
