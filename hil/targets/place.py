"""A board on a labgrid place (``--place``, ``--reserve``): the place is held by the board farm
(:mod:`hil.farm.labgrid_place`); this target finds the place's serial port, which the exporter serves through
ser2net as RFC2217, and finds it again after a loss (a restarted exporter serves it on a new port).

The boot HELLO is lost (ser2net opens the device only when a client connects): the session's handshake asks
for HELLO after opening, as it does for every board. Flashing through the place (``hil.farm.remote_flash``)
runs when the place's board is physical and ``--no-flash`` is not given; an emulated board on a place runs
whatever its exporter host started, and the handshake refuses a firmware for another model.
"""
from __future__ import annotations

from pathlib import Path

from hil.targets.base import Target


class PlaceTarget(Target):
    def __init__(self, spec, lease, options=None, log_dir: Path | None = None):
        super().__init__(spec)
        self.lease, self.options, self.log_dir = lease, options, log_dir
        self.link_url: str | None = None

    def start(self, image) -> str:
        if self.spec.kind == "physical" and getattr(self.options, "flash", False):
            from hil.farm.remote_flash import flash_through_place

            flash_through_place(self.lease, self.spec, image, self.options, self.log_dir)
        self.link_url = self.lease.serial_url()
        return self.link_url

    def reset(self) -> None:
        """The port again (it may have moved); a reset of the board itself needs the place's power or
        debugger, which this harness does not drive yet."""
        self.link_url = self.lease.serial_url()

    def stop(self) -> None:
        """Nothing to stop here: the farm releases the place when the run ends."""
