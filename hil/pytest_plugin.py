"""The thin pytest plugin of the HIL suite: options and fixtures over the :mod:`hil` library."""
from __future__ import annotations


def pytest_addoption(parser):
    group = parser.getgroup("hil", "hardware-in-the-loop validation")
    group.addoption("--board", default=None, help="board name from configs/boards (host, qemu-stm32f405, nucleo-f401re)")
