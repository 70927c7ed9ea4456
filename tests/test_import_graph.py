"""The packages depend in one direction: ``tofhil`` (TF-free core) <- ``training`` and ``hil``; ``hil`` never
imports ``training`` (it runs ``python -m training export`` / ``hil-inputs`` as steps and reads their folders).
Inside them, no modules import each other, directly or round a longer loop (issue 27).

Every import statement counts, the lazy ones inside functions too: an AST walk, no import side effects.
"""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# package -> the packages of ours it may import (besides itself); firmware_templates is C data (package data)
ALLOWED = {"tofhil": {"firmware_templates"}, "training": {"tofhil", "firmware_templates"},
           "hil": {"tofhil", "firmware_templates"}}
OURS = ("tofhil", "training", "hil", "firmware_templates", "tests", "bench")


def imported_packages(source: str) -> set[tuple[str, int]]:
    """(top-level package, line) of every absolute import in a module's source."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update((alias.name.split(".")[0], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module.split(".")[0], node.lineno))
    return found


def forbidden_imports(root: Path) -> list[str]:
    """``path:line: package imports other`` for every import that goes against :data:`ALLOWED`."""
    problems = []
    for package, allowed in ALLOWED.items():
        for path in sorted((root / package).rglob("*.py")):
            for imported, line in sorted(imported_packages(path.read_text(encoding="utf-8"))):
                if imported in OURS and imported != package and imported not in allowed:
                    problems.append(f"{path.relative_to(root)}:{line}: {package} imports {imported}")
    return problems


def test_packages_import_in_one_direction():
    assert forbidden_imports(REPO) == []


def test_the_check_sees_lazy_imports(tmp_path):
    (tmp_path / "hil").mkdir()
    (tmp_path / "hil" / "late.py").write_text("def f():\n    from training.config import load_config\n")
    (tmp_path / "tofhil").mkdir()
    (tmp_path / "tofhil" / "up.py").write_text("import hil.errors\n")
    (tmp_path / "training").mkdir()
    assert sorted(forbidden_imports(tmp_path)) == ["hil/late.py:2: hil imports training",
                                                  "tofhil/up.py:1: tofhil imports hil"]


def module_imports(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (the most specific module file an import names; a package's
    ``__init__`` when the name is one of its attributes)."""
    files = {}
    for package in ALLOWED:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path

    def resolve(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in files.items():
        names = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                origin = node.module if node.level == 0 else ".".join(
                    base[:len(base) - node.level + 1] + ([node.module] if node.module else []))
                names += [f"{origin}.{alias.name}" for alias in node.names]
        graph[module] = {target for target in map(resolve, names) if target and target != module}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return cycles


def test_no_modules_import_each_other():
    assert import_cycles(module_imports(REPO)) == []


def test_the_cycle_check_sees_a_pair_a_loop_and_type_checking_imports(tmp_path):
    (tmp_path / "hil" / "report").mkdir(parents=True)
    (tmp_path / "hil" / "__init__.py").write_text("")
    (tmp_path / "hil" / "report" / "__init__.py").write_text("from hil.report.a import A\n")
    (tmp_path / "hil" / "report" / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                                      "    from hil.report.b import B\n")
    (tmp_path / "hil" / "report" / "b.py").write_text("def f():\n    from .a import A\n")
    (tmp_path / "tofhil").mkdir()
    (tmp_path / "tofhil" / "x.py").write_text("import tofhil.y\n")
    (tmp_path / "tofhil" / "y.py").write_text("from tofhil import z\n")
    (tmp_path / "tofhil" / "z.py").write_text("from tofhil.x import X\n")
    (tmp_path / "tofhil" / "free.py").write_text("from tofhil.x import X\n")
    (tmp_path / "training").mkdir()
    assert sorted(import_cycles(module_imports(tmp_path))) == [["hil.report.a", "hil.report.b"],
                                                       ["tofhil.x", "tofhil.y", "tofhil.z"]]
