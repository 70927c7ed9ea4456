"""The packages depend in one direction: ``tofhil`` (TF-free core) <- ``training`` and ``hil``; ``hil`` never
imports ``training`` (it runs ``python -m training export`` / ``hil-inputs`` as steps and reads their folders).

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
