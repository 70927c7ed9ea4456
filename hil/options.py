"""The options of ``python -m hil`` and ``pytest hil``, declared once.

Both front-ends register the options of this table and read them back with :func:`board_options` /
:func:`validation_request`, so a name, a default or a check cannot drift between them. Where pytest or one of its
plugins already owns the spelling (pytest-timeout's ``--timeout``), the plugin uses ``--hil-<name>``; the CLI
accepts that spelling too, so one string works in both.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Option:
    name: str  # the CLI's spelling without dashes; the argparse dest is name with "-" -> "_"
    help: str
    type: Callable | None = None
    default: object = None
    flag: bool = False  # store_true
    repeat: bool = False  # may be given several times (a list)
    choices: tuple | None = None
    metavar: str | None = None
    pytest_prefixed: bool = False  # pytest hil spells it --hil-<name>
    pytest_choices: tuple | None = None  # when the plugin allows more (--mode both)
    action: type | None = None  # an argparse Action class of its own (--board: one or several)

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    @property
    def pytest_name(self) -> str:
        return f"--hil-{self.name}" if self.pytest_prefixed else f"--{self.name}"

    def kwargs(self, choices: tuple | None = None) -> dict:
        """argparse / pytest ``addoption`` keywords (the same names: pytest's parser is argparse's)."""
        if self.flag:
            return {"action": "store_true", "default": False, "help": self.help, "dest": self.dest}
        kwargs = {"default": [] if self.repeat else self.default, "help": self.help, "dest": self.dest}
        if self.action is not None:
            kwargs["action"] = self.action
        elif self.repeat:
            kwargs["action"] = "append"
        if self.type is not None:
            kwargs["type"] = self.type
        if choices or self.choices:
            kwargs["choices"] = choices or self.choices
        if not choices and not self.choices:
            kwargs["metavar"] = self.metavar or self.dest.upper()
        return kwargs


def positive_int(text: str) -> int:
    """A whole number > 0 (``--limit``, ``--attempts``); argparse names the option in its error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def board_count(text: str) -> int:
    """``--parallel N``: a positive whole number of boards this machine can hold (hil.farm.shards.max_boards)."""
    from hil.errors import HilError
    from hil.farm.shards import check_board_count

    value = positive_int(text)
    try:
        check_board_count(value)
    except HilError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def positive_seconds(text: str) -> float:
    """A finite number of seconds > 0 (``--timeout``)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (0 < value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def per_layer_option(text: str):
    """``--per-layer all|N|differing`` (the same spellings as the config key hil.per_layer)."""
    from tofhil.per_layer_selection import parse_per_layer

    try:
        return parse_per_layer(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def flasher_name(text: str) -> str:
    from hil.flashers import FLASHERS

    if text not in FLASHERS:
        raise argparse.ArgumentTypeError(f"unknown flasher {text!r}; expected one of {', '.join(FLASHERS)}")
    return text


class BoardNames(argparse.Action):
    """``--board``, possibly given several times (a sharded run): ``board`` keeps the first, the one every
    single-board command uses, and ``boards`` (the dest + "s") all of them in order."""

    def __call__(self, parser, namespace, values, option_string=None):
        names = [*(getattr(namespace, f"{self.dest}s", None) or []), values]
        setattr(namespace, f"{self.dest}s", names)
        setattr(namespace, self.dest, names[0])


def coordinator_address(text: str) -> str:
    """``host:port`` of a labgrid coordinator (``--coordinator``, ``LG_COORDINATOR``)."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT of a labgrid coordinator, got {text!r}")
    return text


def reservation_tags(text: str) -> str:
    """labgrid reservation filter: ``key=value`` pairs separated by spaces (``board=nucleo-f401re``)."""
    pairs = text.split()
    if not pairs or not all(p.count("=") == 1 and all(part.strip() for part in p.split("=")) for p in pairs):
        raise argparse.ArgumentTypeError(f"expected tags KEY=VALUE [KEY=VALUE ...], e.g. board=nucleo-f401re, "
                                         f"got {text!r}")
    return " ".join(pairs)


def place_name(text: str) -> str:
    if not text.strip() or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"expected a labgrid place name, got {text!r}")
    return text


def _flasher_help() -> str:
    from hil.flashers import FLASHERS

    return f"flasher to use instead of the board's default: {', '.join(FLASHERS)}"


def board_table() -> tuple[Option, ...]:
    """How to reach the board: every command that brings a board up."""
    return (
        Option("board", "board name: a file in configs/boards/ (python -m hil boards lists them); "
                        "default for run and pytest hil: the run config's hil.board; run and pytest hil take "
                        "several (emulated boards of one kind) and shard the frames over them",
               action=BoardNames),
        Option("run-dir", "run folder of python -m training train (default: the newest in experiments_outputs/)",
               type=Path),
        Option("port", "serial device or pyserial URL (rfc2217://host:port, ...); for host/QEMU: attach to it"),
        Option("probe", "ST-LINK serial number, when several boards are attached"),
        Option("flasher", _flasher_help(), type=flasher_name),
        Option("no-flash", "use the firmware already on the board", flag=True),
        Option("timeout", "seconds without a reply before a resend", type=positive_seconds, default=2.0, metavar="S",
               pytest_prefixed=True),
        Option("attempts", "sends of one request before giving up", type=positive_int, default=10, metavar="N"),
        Option("link", "wrap the link URL, e.g. 'faulty://?drop=0.01&corrupt=0.01&seed=1&inner={url}'",
               metavar="URL", pytest_prefixed=True),
    )


def run_table() -> tuple[Option, ...]:
    """What to validate and where the report goes: ``hil run`` and ``pytest hil``."""
    return (
        Option("output-dir", "where the report goes (default RUN/hil/<board>-<mode>-<stamp>; with --model "
                             "experiments_outputs/<model>_<stamp>)", type=Path, pytest_prefixed=True),
        Option("model", "a model trained elsewhere instead of a run folder: Keras .h5 (Keras 2 or 3) or .keras, a "
                        "float .tflite (quantized here) or an int8 .tflite (used as is); needs --config", type=Path,
               metavar="FILE"),
        Option("config", "the config.yaml of --model: dataset (test_path, else the validation split), "
                         "preprocessing, class_names, hil settings", type=Path, metavar="CONFIG.yaml"),
        Option("mode", "what to stream: raw sensor frames or int8 tensors (pytest hil: both by default)",
               choices=("raw", "tensor"), pytest_choices=("raw", "tensor", "both")),
        Option("limit", "validate N frames spread over the test set", type=positive_int, metavar="N"),
        Option("per-layer", "compare every layer's int8 output and time with BUILTIN_REF's on: all, N (the first N "
                            "frames) or differing (frames whose outputs differ); default: the config's hil.per_layer",
               type=per_layer_option, metavar="all|N|differing"),
        Option("gate", "override a gate of hil.gates, e.g. --gate min_accuracy=0.9 --gate max_instructions=null",
               repeat=True, metavar="NAME=VALUE"),
        Option("sweep-threshold", "also print what the user would see (shown accuracy, 'no posture') for a grid of "
                                  "postprocessing thresholds and filter lengths, replayed over this stream",
               flag=True),
        *farm_table(),
    )


def farm_table() -> tuple[Option, ...]:
    """Several boards for one validation (docs/board-farm.md): the frames are sharded over them."""
    return (
        Option("parallel", "start N copies of the emulated --board and shard the frames over them "
                           "(with --reserve: N places)", type=board_count, metavar="N"),
        Option("place", "labgrid place to acquire and validate on (repeat for several: the frames are sharded)",
               type=place_name, repeat=True, metavar="NAME"),
        Option("coordinator", "labgrid coordinator HOST:PORT (default: $LG_COORDINATOR, else 127.0.0.1:20408)",
               type=coordinator_address, metavar="HOST:PORT"),
        Option("reserve", "wait for a labgrid place with these tags (e.g. 'board=nucleo-f401re') through a "
                          "reservation, then acquire it", type=reservation_tags, metavar="TAGS"),
    )


def add_cli_options(parser: argparse.ArgumentParser, table: tuple[Option, ...], board_required: bool = True) -> None:
    for option in table:
        names = [f"--{option.name}"] + ([option.pytest_name] if option.pytest_prefixed else [])
        kwargs = option.kwargs()
        if option.name == "board" and board_required:
            kwargs["required"] = True
        parser.add_argument(*names, **kwargs)


def add_pytest_options(group) -> None:
    """Every option, with dest ``hil_<dest>`` (pytest-timeout's own ``--timeout`` keeps dest ``timeout``);
    read them back with ``get = lambda dest: config.getoption("hil_" + dest)``."""
    for option in (*board_table(), *run_table()):
        kwargs = option.kwargs(option.pytest_choices)
        kwargs["dest"] = f"hil_{option.dest}"
        group.addoption(option.pytest_name, **kwargs)
    group.addoption("--hil-set", action="append", default=[], metavar="section.key=value", dest="hil_set",
                    help="config override, e.g. --hil-set dataset.test_path=DIR (python -m hil run: positional)")


def board_options(get: Callable[[str], object]):
    """:class:`~hil.runner.BoardOptions` from the option values (``get(dest)``, either front-end)."""
    from hil.runner import BoardOptions

    boards = board_names(get)
    return BoardOptions(board=boards[0] if boards else None, port=get("port"), probe=get("probe"),
                        flasher=get("flasher"),
                        flash=not get("no_flash"), link_wrapper=get("link"), timeout_s=get("timeout"),
                        max_attempts=get("attempts"))


def board_names(get: Callable[[str], object]) -> list[str]:
    """Every ``--board`` given, in order (a front-end that never saw the option has none)."""
    try:
        names = get("boards")
    except (AttributeError, ValueError):  # argparse / pytest: --board was not given
        names = None
    if names:
        return list(names)
    return [get("board")] if get("board") else []


def farm_request(get: Callable[[str], object]):
    """:class:`~hil.farm.shards.FarmRequest` from the option values (either front-end)."""
    from hil.farm.shards import FarmRequest

    return FarmRequest(boards=board_names(get), parallel=get("parallel"), places=list(get("place") or []),
                       coordinator=get("coordinator"), reserve=get("reserve"))


def validation_request(get: Callable[[str], object], overrides: list[str], resume: bool = False,
                       progress: bool = True):
    from hil.report.gates import parse_gate_overrides
    from hil.validation import ValidationRequest

    run_dir, output_dir = get("run_dir"), get("output_dir")
    return ValidationRequest(board_options(get), Path(run_dir) if run_dir else None,
                             Path(output_dir) if output_dir else None, get("mode"), get("limit"), list(overrides),
                             parse_gate_overrides(get("gate")), resume, progress, per_layer=get("per_layer"),
                             farm=farm_request(get), model=_path(get("model")), config=_path(get("config")),
                             sweep=bool(get("sweep_threshold")))


def _path(value) -> Path | None:
    return Path(value) if value else None
