"""The board-farm options are checked when parsed (one line naming the option, exit 2) and the frame queue
hands a lost board's frames out again first."""
from __future__ import annotations

import threading

import pytest

from hil.cli import build_parser, main
from hil.farm.frame_queue import FrameQueue
from hil.farm.shards import FarmRequest


@pytest.mark.parametrize("argv, expected", [
    (["--parallel", "0"], "argument --parallel: expected a positive whole number, got '0'"),
    # issue 28: 500 boards started until select() failed at descriptor 1024 and went on with 146
    (["--parallel", "500"], "argument --parallel: 500 boards: each holds about 8 of this process's file "
                            "descriptors and its link is waited on with select(), which takes descriptors below 1024"),
    (["--coordinator", "nohost"], "argument --coordinator: expected HOST:PORT of a labgrid coordinator"),
    (["--coordinator", "h:99999"], "argument --coordinator: expected HOST:PORT"),
    (["--reserve", "board"], "argument --reserve: expected tags KEY=VALUE"),
    (["--place", "a b"], "argument --place: expected a labgrid place name"),
])
def test_a_bad_farm_option_is_one_line_naming_it(argv, expected, capsys):
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["run", *argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err


def test_several_boards_are_kept_in_order_and_the_first_is_the_board():
    args = build_parser().parse_args(["run", "--board", "host", "--board", "host", "--parallel", "1",
                                      "--place", "p1", "--place", "p2", "--reserve", "board=x  lab=y"])
    assert args.board == "host" and args.boards == ["host", "host"]
    assert args.place == ["p1", "p2"] and args.reserve == "board=x lab=y" and args.parallel == 1


def test_single_board_commands_refuse_several_boards(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["build", "--board", "host", "--board", "qemu-stm32f405"])
    assert exited.value.code == 2
    assert "python -m hil build takes one --board" in capsys.readouterr().err


def test_coordinator_address_comes_from_the_option_then_lg_coordinator(monkeypatch):
    monkeypatch.setenv("LG_COORDINATOR", "lab:20408")
    assert FarmRequest(["host"]).coordinator_address() == "lab:20408"
    assert FarmRequest(["host"], coordinator="other:1").coordinator_address() == "other:1"
    monkeypatch.delenv("LG_COORDINATOR")
    assert FarmRequest(["host"]).coordinator_address() == "127.0.0.1:20408"
    assert not FarmRequest(["host"]).sharded and FarmRequest(["host"], parallel=1).sharded


def test_frames_given_back_come_first_and_the_queue_knows_when_all_are_answered():
    queue, stop = FrameQueue(range(5)), threading.Event()
    taken = [queue.take(), queue.take(), queue.take()]
    assert taken == [0, 1, 2]
    queue.done(0)
    queue.give_back([1, 2])  # a lost board's unanswered frames
    assert [queue.take() for _ in range(4)] == [1, 2, 3, 4] and queue.take() is None
    for index in (1, 2, 3):
        queue.done(index)
    assert queue.outstanding == 1
    waiter = threading.Thread(target=lambda: result.append(queue.wait_for_work(stop)))
    result = []
    waiter.start()
    queue.done(4)
    waiter.join(2)
    assert result == [False] and queue.outstanding == 0


def test_places_without_labgrid_installed_are_one_line_naming_the_package(monkeypatch):
    import sys

    from hil.errors import HilError
    from hil.farm.labgrid_place import LabgridClient

    monkeypatch.setitem(sys.modules, "labgrid", None)  # import labgrid... raises ImportError
    monkeypatch.setitem(sys.modules, "labgrid.remote", None)
    monkeypatch.setitem(sys.modules, "labgrid.remote.client", None)
    with pytest.raises(HilError, match=r"need labgrid .*pip install labgrid==26.0.1"):
        LabgridClient("127.0.0.1:1")
