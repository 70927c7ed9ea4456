"""Per-layer validation finds a real fault: the firmware built with a planted off-by-one in one op's
requantized outputs (-DTOFHIL_TEST_FAULT_OP=i, a test-only define of the model templates) must be named as the
first differing layer by the report, on the host board and on the emulated board (QEMU); the same firmware
without the define matches BUILTIN_REF on every layer."""
from __future__ import annotations

import shutil

import pytest

from hil.runner import BoardOptions, BoardSession
from hil.validation import ValidationRequest, run_validation
from tests.conftest import require
from tofhil.folders import RunFolder
from tofhil.per_layer_selection import parse_per_layer

# the conv fault may leave every final output of the small model unchanged (saturated softmax): the first 6
# frames are compared, not only the differing ones, which is what the per-layer view is for
CASES = [("host", 3, "FULLY_CONNECTED", "differing"), ("qemu-stm32f405", 0, "CONV_2D", "6"),
         ("host", None, None, "all")]


@pytest.mark.parametrize("board, fault_op, opcode, frames", CASES, ids=["host-fc", "qemu-conv", "host-no-fault"])
def test_report_names_the_planted_faulty_layer_first(board, fault_op, opcode, frames, tiny_runs, tmp_path):
    if board.startswith("qemu"):
        require(shutil.which("qemu-system-arm") is not None, "qemu-system-arm is not installed")
    run = RunFolder.open(tiny_runs[0])
    options = BoardOptions(board, timeout_s=5.0)
    variables = {"EXTRA_CFLAGS": f"-DTOFHIL_TEST_FAULT_OP={fault_op}"} if fault_op is not None else {}
    session = BoardSession(options, run, tmp_path / "board", build_variables=variables)
    request = ValidationRequest(options, run.path, tmp_path / "out", mode="tensor", limit=12, progress=False,
                                per_layer=parse_per_layer(frames))
    try:
        outcome = run_validation(request, session.open())
    finally:
        session.close()
    section = outcome.report.per_layer
    first = section.first_difference
    if fault_op is None:
        assert first is None and section.all_layers_exact
        assert section.frames == outcome.report.frames.received > 0  # "all": every streamed frame
        assert outcome.report.agreement.exact_match.rate == 1.0
        return
    assert section.frames > 0, "the planted fault changed no output"
    assert (first.layer, first.opcode) == (fault_op, opcode)
    assert first.max_abs_diff >= 1 and first.elements_differing_share > 0
    assert all(row.exact_frames == row.frames for row in section.layers[:fault_op])
    assert f"FIRST DIFFERING LAYER {fault_op} {opcode}" in outcome.summary
    assert (outcome.output_dir / "per_layer_profile.png").is_file()
