"""The typed HIL report (issue 27): a ``hil_report.json`` written before it (schema 1, tests/fixtures) is still read
by ``read_report``, ``hil compare`` and the ST comparison and renders the summary it rendered then; a report of
another schema is refused in one line; a section key without its field fails at the first build."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hil.cli import main
from hil.report.metrics import build_report
from hil.report.records import load_validation
from hil.report.report_file import (REPORT_SCHEMA, ReportFormatError, read_report, report_from_dict, report_json,
                                    report_to_dict)
from hil.report.report_type import HilReport
from hil.report.summary import summary_text
from hil.st_benchmark import our_figures
from tests.cli_runner import run_main
from tests.hil_unit.report_fixtures import hand_case, write_folder

SCHEMA1 = Path(__file__).resolve().parent / "fixtures" / "hil_report_schema1"


def schema1_content() -> dict:
    return json.loads((SCHEMA1 / "hil_report.json").read_text())


def test_a_schema1_report_is_read_typed():
    report = read_report(SCHEMA1)
    assert isinstance(report, HilReport) and report.schema == 1
    assert (report.board, report.board_kind, report.mode) == ("host", "host", "raw")
    assert (report.accuracy.device.correct, report.accuracy.device.total) == (38, 38)
    assert report.latency.inference.unit == "us" and report.latency.inference.stats.count == 38
    assert report.per_layer.layers[0].opcode == "CONV_2D" and report.per_layer.first_difference is None
    assert report.shown.per_class[0].class_name == "None" and report.shown.threshold_int8 == 102
    assert [p.filter_length for p in report.sweep.points][:3] == [0, 1, 2]
    assert report.classification.device.per_class["Fist"].support > 0
    # schema 1 wrote a numpy bool as the text "True": read as the bool it meant
    assert [g.passed for g in report.gates][:2] == [True, True]


def test_a_schema1_report_renders_the_summary_it_rendered_then():
    assert summary_text(read_report(SCHEMA1)) == (SCHEMA1 / "summary.txt").read_text()


def holds(new, old, where: str = "") -> list[str]:
    """Where ``new`` lacks or changed something of ``old`` (keys it adds are allowed: later sections)."""
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return [where]
        return [w for key, value in old.items()
                for w in ([f"{where}.{key} missing"] if key not in new else holds(new[key], value, f"{where}.{key}"))]
    if isinstance(old, list):
        if not isinstance(new, list) or len(new) != len(old):
            return [where]
        return [w for i, (a, b) in enumerate(zip(new, old)) for w in holds(a, b, f"{where}[{i}]")]
    return [] if new == old else [f"{where}: {old!r} -> {new!r}"]


def test_rewritten_a_schema1_report_keeps_every_key_and_value():
    old = schema1_content()
    new = json.loads(report_json(read_report(SCHEMA1)))
    assert [key for key in new if key in old] == list(old)  # the old keys in their order
    assert new["schema"] == REPORT_SCHEMA == 2
    old["schema"] = 2
    old["gates"][1]["passed"] = True  # the one flaw of schema 1, mended
    assert holds(new, old) == []


def test_schema2_has_gates_even_when_none_was_judged(tmp_path):
    report = build_report(load_validation(write_folder(tmp_path, hand_case())))
    content = report_to_dict(report)
    assert content["schema"] == 2 and content["gates"] is None
    (tmp_path / "hil_report.json").write_text(report_json(report))
    assert read_report(tmp_path) == report  # what is written is what is read


def test_hil_compare_reads_a_schema1_report(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(SCHEMA1, copy)
    result = run_main(main, ["compare", str(SCHEMA1), str(copy)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert ("A: hil_report.json (schema 1): on-device accuracy 100.00 % (90.82-100.00 %, 38 frames, validation "
            "split") in result.stdout
    assert "gates judged 2, failed: none" in result.stdout


def test_the_st_comparison_reads_a_schema1_report():
    figures, notes = our_figures.hil_figures(SCHEMA1 / "hil_report.json")
    assert figures["ms"] == (pytest.approx(3.5481578947368426e-3), "our host build (host)")
    assert figures["accuracy"] == (1.0, "our host build (host)")
    assert "firmware_flash_bytes" not in figures  # the host build is no firmware image
    assert any("95 % CI [90.82%, 100.00%] (38 frames)" in note for note in notes)


@pytest.mark.parametrize("schema", [3, 0, None, "2", True])
def test_hil_compare_refuses_another_schema_in_one_line(tmp_path, schema):
    folder = tmp_path / "newer"
    shutil.copytree(SCHEMA1, folder)
    content = schema1_content()
    content["schema"] = schema
    (folder / "hil_report.json").write_text(json.dumps(content))
    result = run_main(main, ["compare", str(SCHEMA1), str(folder)])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith(
        f"{folder / 'hil_report.json'}: HIL report schema {schema!r}; this version of tof-hil reads schemas 1, 2")


def test_a_section_key_without_its_field_fails_naming_it():
    content = schema1_content()
    content["boards"][0]["dead"] = True  # a builder that added a key but not its field in report_type.py
    with pytest.raises(ReportFormatError, match=r"report\.boards\[0\]\.dead: a key BoardRow does not have"):
        report_from_dict(content)


def test_a_missing_required_section_is_named(tmp_path):
    content = schema1_content()
    del content["agreement"]
    (tmp_path / "hil_report.json").write_text(json.dumps(content))
    with pytest.raises(ReportFormatError, match=r"hil_report.json: no 'agreement' \(HilReport needs it\)"):
        read_report(tmp_path)


def test_sections_added_to_schema1_by_hand_may_be_absent():
    """Schema 1 grew sections without a bump (boards, shown, sweep, calibration, ...): older files lack them."""
    content = schema1_content()
    for key in ("interrupts_removed", "link", "firmware", "per_layer", "boards", "shown", "sweep", "calibration",
                "gates"):
        del content[key]
    report = report_from_dict(content)
    assert report.boards == [] and report.shown is None and report.gates is None
    assert "output folder: /tmp/h27_v1" in summary_text(report)
