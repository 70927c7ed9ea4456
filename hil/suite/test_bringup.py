"""The board runs the run's firmware: handshake, identity, footprint, stack."""
from __future__ import annotations


def test_board_runs_the_runs_model(hil_board, record_property):
    hello, export = hil_board.client.hello, hil_board.export
    model_report = export.report()  # the export's model_report.json, not the HIL report
    model = model_report["model"]
    record_property("board", hello.board)
    record_property("firmware_version", hello.firmware_version)
    assert hello.model_sha256 == export.model_sha256(), "the client refuses a stale firmware; this must hold"
    assert hello.input_size == _size(model["input"]["shape"])
    assert hello.output_size == _size(model["output"]["shape"])
    assert hello.input_zero_point == model["input"]["zero_point"]
    assert hello.output_zero_point == model["output"]["zero_point"]
    assert abs(hello.input_scale - model["input"]["scale"]) <= 1e-6 * model["input"]["scale"]
    assert hello.has_preprocessing == (model_report.get("preprocessing") is not None)


def test_firmware_fits_the_board(hil_board, record_property):
    image, memory = hil_board.image, hil_board.spec.memory
    record_property("flash_bytes", image.flash_bytes)
    record_property("ram_bytes", image.ram_bytes)
    if hil_board.spec.kind == "host":  # no flash on Linux: the executable is what runs
        assert image.executable is not None and image.executable.is_file()
        return
    assert 0 < image.flash_bytes <= memory.flash.size_kib * 1024
    assert 0 < image.ram_bytes <= memory.ram.size_kib * 1024


def test_stack_high_water_mark_within_the_stack(hil_board, hil_outcome, record_property):
    stats = hil_board.client.stats()  # after a whole validation: the deepest the firmware went
    record_property("stack_used_bytes", stats.stack_used_bytes)
    if hil_board.spec.kind == "host":
        assert stats.stack_size_bytes >= 0
        return
    assert 0 < stats.stack_used_bytes < stats.stack_size_bytes


def _size(shape) -> int:
    size = 1
    for dim in shape:
        size *= int(dim)
    return size
