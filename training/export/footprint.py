"""Flash and RAM of the generated library on a Cortex-M target, from the linked ELF.

The library is built with ``c_build.DEFAULT_OPT`` and linked with ``--gc-sections`` from its entry
points (inference and preprocessing), so the numbers are what a firmware that
calls them pays: weights and parameters (``tofhil_op*`` constants), code
(runtime, generated code and the libgcc/newlib helpers it pulls in), the static
arena, and the deepest call chain's stack from GCC's ``-fcallgraph-info=su``.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from tofhil import elf_size
from tofhil.board_spec import BoardSpec
from tofhil.boards import board_choices, load_board
from tofhil.c_flags import DEFAULT_OPT
from tofhil.errors import ToolError
from training.errors import ExportError
from training.export.c_build import build_cortex_m4, find_tool, run_tool

# the same section lists measure the library here and the whole firmware in tofhil.firmware
FLASH_SECTIONS = elf_size.FLASH_SECTIONS
RAM_SECTIONS = elf_size.RAM_SECTIONS
# libgcc soft-double helpers and newlib's memcpy carry no stack data; each pushes at most
# eight registers, so one such leaf call is covered by this allowance
HELPER_STACK_ALLOWANCE = 32
_NODE = re.compile(r'node: \{ title: "([^"]+)" label: "[^\\"]*(?:\\n[^\\"]*)*?\\n(\d+) bytes \((\w+)')
_ANY_NODE = re.compile(r'node: \{ title: "([^"]+)"')
_EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')


@dataclass(frozen=True)
class Footprint:
    board: str
    cpu: str
    flags: tuple[str, ...]
    sections: dict
    weights_bytes: int  # tofhil_op* constant arrays and parameter structs
    code_bytes: int  # every other flash byte: runtime, generated code, libgcc/newlib helpers
    flash_bytes: int
    arena_bytes: int
    static_ram_bytes: int  # .data + .bss (the arena and any runtime statics)
    stack_bytes: dict  # entry point -> deepest call-chain stack
    stack_not_counted: tuple[str, ...]  # callees without stack information (libgcc/newlib)
    stack_allowance_bytes: int  # added for those callees
    ram_bytes: int  # static RAM + the deepest entry point's stack + allowance

    def to_dict(self) -> dict:
        data = asdict(self)
        data["flash_kib"] = round(self.flash_bytes / 1024, 2)
        data["ram_kib"] = round(self.ram_bytes / 1024, 2)
        return data


def board_spec(name: str) -> BoardSpec:
    """The board description of configs/boards/<name>.yaml, its errors as ExportError."""
    try:
        return load_board(name)
    except ToolError as exc:
        raise ExportError(f"--board / export.board: {exc}") from exc


def footprint_boards() -> tuple[str, ...]:
    """Every board name the exporter accepts (configs/boards/*.yaml and aliases)."""
    return board_choices()


def section_sizes(elf: Path) -> dict[str, int]:
    return elf_size.parse_section_sizes(run_tool([find_tool("arm-none-eabi-size"), "-A", str(elf)]))


def symbol_sizes(elf: Path) -> list[tuple[str, str, int]]:
    """(name, nm type, size) of every sized symbol."""
    output = run_tool([find_tool("arm-none-eabi-nm"), "-S", str(elf)])
    symbols = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 4:
            symbols.append((parts[3], parts[2], int(parts[1], 16)))
    return symbols


def parse_callgraph(files) -> tuple[dict[str, int], dict[str, set[str]], set[str]]:
    """Stack bytes per function, call edges, and callees without stack data, from ``.ci`` files."""
    stack, edges, seen = {}, {}, set()
    for path in files:
        text = Path(path).read_text()
        for title, size, _kind in _NODE.findall(text):
            stack[title] = int(size)
        seen.update(_ANY_NODE.findall(text))
        for source, target in _EDGE.findall(text):
            edges.setdefault(source, set()).add(target)
    return stack, edges, seen - set(stack)


def max_stack(entry: str, stack: dict[str, int], edges: dict[str, set[str]]) -> int:
    def depth(function: str, path: frozenset) -> int:
        if function in path:
            raise ValueError(f"recursion through {function}: stack depth is unbounded")
        callees = edges.get(function, ())
        deepest = max((depth(callee, path | {function}) for callee in callees), default=0)
        return stack.get(function, 0) + deepest

    return depth(entry, frozenset())


def _reachable(entry: str, edges: dict[str, set[str]]) -> set[str]:
    seen, todo = set(), [entry]
    while todo:
        function = todo.pop()
        if function not in seen:
            seen.add(function)
            todo.extend(edges.get(function, ()))
    return seen


def measure_footprint(library_dir: Path, build_dir: Path, arena_bytes: int, with_preprocessing: bool,
                      board: str = "nucleo-f401re") -> Footprint:
    spec = board_spec(board)
    if not spec.is_arm:
        raise ExportError(f"board {spec.name}: the footprint is measured on a Cortex-M board, not on {spec.kind}")
    entries = ("tofhil_model_run",) + (("tofhil_preprocess",) if with_preprocessing else ())
    build = build_cortex_m4(library_dir, build_dir, entries, spec.cpu_flags)
    sections = section_sizes(build.elf)
    flash = elf_size.flash_bytes(sections)
    weights = sum(size for name, kind, size in symbol_sizes(build.elf)
                  if name.startswith("tofhil_op") and kind in "rR")
    static_ram = elf_size.ram_bytes(sections)
    stack, edges, unknown = parse_callgraph(build.callgraph_files)
    stacks = {entry: max_stack(entry, stack, edges) for entry in entries}
    not_counted = sorted(unknown & set().union(*(_reachable(e, edges) for e in entries)))
    allowance = HELPER_STACK_ALLOWANCE if not_counted else 0
    return Footprint(spec.name, spec.cpu, spec.cpu_flags + (DEFAULT_OPT,), sections, weights, flash - weights,
                     flash, arena_bytes, static_ram, stacks, tuple(not_counted), allowance,
                     static_ram + max(stacks.values()) + allowance)
