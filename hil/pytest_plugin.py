"""The thin pytest plugin of the HIL suite (``pytest hil --board BOARD``): options, and fixtures that bring
the board up once per session and share the streamed results between the tests of ``hil/suite/``.

A board that cannot be brought up fails every test with the same reason (pytest keeps a failed session
fixture's error: the board is not hammered again), never a silent skip. Everything here delegates to the :mod:`hil` library.
"""
from __future__ import annotations

from pathlib import Path

import pytest

MODES = ("raw", "tensor")
_OUTCOMES = pytest.StashKey[list]()


def pytest_addoption(parser):
    from hil.options import add_pytest_options

    add_pytest_options(parser.getgroup("hil", "hardware-in-the-loop validation (pytest hil --board BOARD)"))


def pytest_configure(config):
    config.addinivalue_line("markers", "hil: runs on the board given by --board")


def pytest_generate_tests(metafunc):
    if "hil_mode" in metafunc.fixturenames:
        mode = metafunc.config.getoption("hil_mode") or "both"
        metafunc.parametrize("hil_mode", MODES if mode == "both" else (mode,), scope="session")
    if "hil_gate" in metafunc.fixturenames:
        from hil.report.gates import gate_names

        metafunc.parametrize("hil_gate", gate_names(), scope="session")


def _clean_failure(make):
    """Run a bring-up step; its failure fails the test with the reason alone, no traceback. The fixtures using
    this are session-scoped, and pytest keeps a failed session fixture's error: every later test fails with the
    same reason and the board is not brought up again."""
    try:
        return make()
    except Exception as exc:  # noqa: BLE001 - every bring-up failure must fail the suite clearly
        pytest.fail(f"{type(exc).__name__}: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def hil_request(pytestconfig):
    import dataclasses

    from hil.options import validation_request

    request = validation_request(lambda dest: pytestconfig.getoption(f"hil_{dest}"),
                                 pytestconfig.getoption("hil_set"), progress=False)
    return dataclasses.replace(request, mode=None)  # the suite parametrizes the modes (--mode or both)


@pytest.fixture(scope="session")
def hil_settings(hil_request, pytestconfig):
    from hil.validation import check_output_dir, resolve_settings

    def make():
        import dataclasses
        import time

        settings = resolve_settings(hil_request)
        hil_request.options.board = settings.board
        base = hil_request.output_dir or (settings.output_dir if hil_request.model else settings.run.hil_dir /
                                          f"{hil_request.options.board}-{time.strftime('%Y_%m_%d_%H_%M_%S')}")
        mode = pytestconfig.getoption("hil_mode") or "both"
        for streamed in MODES if mode == "both" else (mode,):  # before the board's serial.log is opened
            check_output_dir(Path(base) / streamed)
        return dataclasses.replace(settings, output_dir=Path(base))

    return _clean_failure(make)


@pytest.fixture(scope="session")
def hil_farm(hil_request, hil_settings):
    """Several boards (``--parallel``, several ``--board``, ``--place``, ``--reserve``): the shards and their
    labgrid places, held for the whole session (released at its end); None for one local board."""
    import contextlib

    farm = hil_request.farm if hil_request.farm is not None and hil_request.farm.sharded else None
    if farm is None:
        yield None
        return
    from hil.farm.sharded import LABGRID_LOG, held_places

    with contextlib.ExitStack() as stack:
        shards = _clean_failure(lambda: farm.shards(hil_settings.board, hil_request.options.port))
        shards, leases = _clean_failure(lambda: stack.enter_context(
            held_places(shards, farm, hil_settings.output_dir / LABGRID_LOG)))
        yield shards, leases


@pytest.fixture(scope="session")
def hil_board(hil_request, hil_settings, hil_farm):
    """The board, brought up once: exported, built, flashed or started, handshaken, model hash checked (with
    several boards: the first one, which then streams its share of the frames)."""
    import dataclasses

    from hil.runner import BoardSession

    options = hil_request.options
    if hil_farm is not None:
        shards, leases = hil_farm
        options = dataclasses.replace(options, board=shards[0].board, place=leases.get(shards[0].name))
    session = BoardSession(options, hil_settings.run, hil_settings.output_dir / "board")
    try:
        yield _clean_failure(session.open)
    finally:
        session.close()


@pytest.fixture(scope="session")
def _hil_outcomes() -> dict:
    """Validations by mode: pytest may set a parametrized session fixture up again when the mode alternates
    between tests; the board streams each mode once."""
    return {}


@pytest.fixture(scope="session")
def hil_outcome(hil_mode, hil_settings, hil_board, hil_farm, hil_request, pytestconfig, _hil_outcomes):
    """The streamed validation of one mode, with its report and judged gates, shared by the suite's tests."""
    import dataclasses

    from hil.runner import validate
    from hil.validation import ValidationOutcome, compare_layers, prepare_frames, report_and_judge

    def make():
        settings = dataclasses.replace(hil_settings, mode=hil_mode, output_dir=hil_settings.output_dir / hil_mode)
        frames, references = prepare_frames(settings)
        if hil_farm is None:
            validate(hil_board, frames, references, hil_mode, settings.output_dir, progress=False)
        else:  # the frames sharded over the boards, hil_board among them (hil/farm/)
            from hil.farm.sharded import session_factory, validate_sharded

            shards, leases = hil_farm
            make_session = session_factory(leases, hil_request.options, settings.run, settings.output_dir,
                                           first=hil_board)
            validate_sharded(shards, make_session, frames, references, hil_mode, settings.output_dir,
                             progress=False, keep=(hil_board,))
        compare_layers(hil_board, settings, references)
        report, gates, summary = report_and_judge(settings.output_dir, settings.gates, settings.training_run,
                                                   settings.sweep)
        outcome = ValidationOutcome(settings.output_dir, report, gates, summary)
        pytestconfig.stash.setdefault(_OUTCOMES, []).append(outcome)
        return outcome

    if hil_mode not in _hil_outcomes:
        try:
            _hil_outcomes[hil_mode] = make()
        except Exception as exc:  # noqa: BLE001 - kept, so a failed mode is not streamed again
            _hil_outcomes[hil_mode] = f"{type(exc).__name__}: {exc}"
    if isinstance(_hil_outcomes[hil_mode], str):
        pytest.fail(_hil_outcomes[hil_mode], pytrace=False)
    return _hil_outcomes[hil_mode]


def pytest_terminal_summary(terminalreporter, config):
    for outcome in config.stash.get(_OUTCOMES, []):
        terminalreporter.section(f"HIL report: {outcome.output_dir}")
        terminalreporter.write_line(outcome.summary)
