"""No module reads the HIL report by string key outside the one module that (de)serializes it (issue 27).

The report is :class:`hil.report.report_type.HilReport`; readers use its attributes. This test reads every line
of ``hil/`` (the HIL suite ``hil/suite`` included), ``training/`` and ``bench/`` for a subscript or ``.get`` with
a string on a name the report goes by (``report``, ``rep``, ``hil_report``, ``clean_report``, and
``x.report``), directly or down an attribute chain: ``report["x"]``, ``report.get("x")``, ``report["a"]["b"]``,
``outcome.report["x"]``, ``report.latency["inference"]``. Other documents keep other names (the export's
``model_report``, training's ``evaluation``), so they are not taken for the HIL report.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TREES = ("hil", "training", "bench")
SERIALIZER = Path("hil/report/report_file.py")
REPORT_NAMES = ("report", "rep", "hil_report", "clean_report")
# a report name (alone or as an attribute), any attribute chain, then ["..."] / ['...'] / .get("...")
KEY_READ = re.compile(r"(?<![\w])(?:\w+\.)*(?:%s)(?:\.\w+)*\s*(?:\[\s*[rbf]?['\"]|\.get\(\s*[rbf]?['\"])"
                      % "|".join(REPORT_NAMES))


def key_reads(root: Path = REPO) -> list[str]:
    """``file:line: text`` of every string-key read on a report name outside the serializer."""
    found = []
    for tree in TREES:
        for path in sorted((root / tree).rglob("*.py")):
            relative = path.relative_to(root)
            if relative == SERIALIZER:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if KEY_READ.search(code):
                    found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_no_module_reads_the_report_by_string_key():
    found = key_reads()
    assert not found, ("read the HIL report's attributes (hil/report/report_type.py), not its keys; only "
                       f"{SERIALIZER} reads keys:\n" + "\n".join(found))


@pytest.mark.parametrize("line", [
    'value = report["accuracy"]',
    "value = report['accuracy']['device']",
    'value = report.get("shown")',
    'value = rep["frames"]',
    'value = hil_report.get("board")',
    'value = outcome.report["per_layer"]',
    'value = made.report.latency["inference"]',
    'value = report .get( "x")',
    'clean_report["frames"]["received"]',
])
def test_the_pattern_catches_every_form(line):
    assert KEY_READ.search(line), line


@pytest.mark.parametrize("line", [
    "value = report.accuracy.device.ci95",
    'value = model_report["model"]',
    'value = evaluation["metrics"]',
    'value = report_path.name',
    'value = reports[0]',
    'value = device.per_class["Fist"]',  # a mapping by class name inside the report: not a key of its shape
    'value = r["index"]',  # a results.jsonl record
])
def test_the_pattern_leaves_other_names_alone(line):
    assert not KEY_READ.search(line), line


def test_a_planted_key_read_is_named_by_file_and_line(tmp_path):
    (tmp_path / "hil" / "report").mkdir(parents=True)
    (tmp_path / "training").mkdir()
    (tmp_path / "bench").mkdir()
    (tmp_path / "hil" / "reader.py").write_text('x = 1\ny = report["board"]\n')
    (tmp_path / "hil" / "report" / "report_file.py").write_text('y = content["board"]\nz = report["board"]\n')
    assert key_reads(tmp_path) == ['hil/reader.py:2: y = report["board"]']
