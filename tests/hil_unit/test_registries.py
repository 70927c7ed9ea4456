"""The registries that make a new board kind, flasher or option one module plus one entry agree with the facts
the board files are checked against, and both front-ends register the same option table."""
from __future__ import annotations

import argparse

import pytest

from hil.flashers import FLASHERS
from hil.options import add_cli_options, board_table, run_table
from hil.targets import TARGET_KINDS, target_class
from hil.targets.base import Target
from tofhil.board_parse import FLASHER_SETTINGS, KINDS


def test_every_board_kind_has_a_target_and_every_target_a_kind():
    assert set(TARGET_KINDS) == set(KINDS)
    for kind in KINDS:
        assert issubclass(target_class(kind), Target)


def test_every_flasher_the_board_files_allow_has_a_class():
    assert set(FLASHERS) == set(FLASHER_SETTINGS)
    assert all(FLASHERS[name].name == name for name in FLASHERS)


def test_flasher_help_lists_the_registry():
    flasher = next(o for o in board_table() if o.name == "flasher")
    assert all(name in flasher.help for name in FLASHERS)


def test_cli_and_plugin_register_the_same_options(pytester):
    parser = argparse.ArgumentParser()
    add_cli_options(parser, board_table(), board_required=False)
    add_cli_options(parser, run_table())
    cli = {name for action in parser._actions for name in action.option_strings} - {"-h", "--help"}
    result = pytester.runpytest_subprocess("--help")
    text = result.stdout.str()
    for option in (*board_table(), *run_table()):
        assert f"--{option.name}" in cli and option.pytest_name in cli
        assert option.pytest_name in text, option.pytest_name
    assert "--attempts" in text  # missing from the plugin before the table


@pytest.mark.parametrize("spelling", ["--timeout", "--hil-timeout"])
def test_cli_accepts_the_plugin_spelling_too(spelling):
    parser = argparse.ArgumentParser()
    add_cli_options(parser, board_table(), board_required=False)
    assert parser.parse_args([spelling, "3"]).timeout == 3.0


pytest_plugins = ["pytester"]
