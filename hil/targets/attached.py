"""A board somebody else started (an emulator or host firmware already running, a board behind a serial
server): ``--port URL`` with a host or QEMU board. The harness only talks to it; it cannot reset it."""
from __future__ import annotations

from hil.errors import HilError
from hil.targets.base import Target


class AttachedTarget(Target):
    def __init__(self, spec, url: str):
        super().__init__(spec)
        self.link_url = url

    def start(self, image) -> str:
        return self.link_url

    def reset(self) -> None:
        raise HilError(f"board {self.spec.name} at {self.link_url} was started outside the harness: it cannot be "
                       "reset from here (drop --port to let the harness start it)")

    def stop(self) -> None:
        pass
