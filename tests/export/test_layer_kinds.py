"""The layer-kind table agrees with the C runtime and the model template: each kind's struct and kernel are
declared in tofhil_kernels.h, the template writes every call from the table (no branch per kind), and each
kind's call, rendered, is the kernel of its row."""
from __future__ import annotations

import re

import jinja2

from tofhil.paths import templates_dir
from training.export.layer_kinds import CALL_STYLES, LAYER_KINDS, layer_kinds_context

HEADER = (templates_dir() / "runtime" / "tofhil_kernels.h").read_text()
TEMPLATE = (templates_dir() / "model" / "tofhil_model.c.j2").read_text()


def test_every_kind_has_its_struct_and_kernel_in_the_runtime():
    for row in LAYER_KINDS.values():
        assert re.search(rf"\b{row.function}\s*\(", HEADER), row.function
        if row.struct:
            assert re.search(rf"}}\s*{row.struct}\s*;", HEADER), row.struct
        assert row.call in CALL_STYLES, row
        assert (row.struct is None) == (row.call != "struct"), row


def test_the_template_has_no_branch_per_kind_and_handles_every_call_style():
    assert not re.findall(r'op\.kind == "(\w+)"', TEMPLATE)
    assert not any(row.function in TEMPLATE for row in LAYER_KINDS.values())
    assert set(re.findall(r'row\.call == "(\w+)"', TEMPLATE)) == set(CALL_STYLES)


def _render_call(kind: str) -> str:
    """The op_call macro of the template for one op of ``kind`` (tensors at made-up offsets)."""
    source = TEMPLATE[TEMPLATE.index("{% macro buffer"):TEMPLATE.index("{%- endmacro %}", TEMPLATE.index("{% macro buffer")) + 15]
    source += TEMPLATE[TEMPLATE.index("{% macro op_call"):TEMPLATE.index("{%- endmacro %}", TEMPLATE.index("{% macro op_call")) + 15]
    tensor = {"outside": False, "ctype": "int8_t", "offset": 0}
    op = {"name": f"tofhil_op0_{kind}", "kind": kind, "spec": None, "inputs": [tensor, {**tensor, "offset": 16}],
          "output": {**tensor, "offset": 32}, "fields": {"size": 8, "scale": "1.0f", "zero_point": 0}}
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(source + "{{ op_call(op) }}").render(op=op, layer_kinds=layer_kinds_context())


def test_each_kind_renders_the_call_of_its_row():
    for kind, row in LAYER_KINDS.items():
        call = _render_call(kind)
        assert f"{row.function}(" in call, (kind, call)
        others = [r.function for r in LAYER_KINDS.values() if r.function != row.function]
        assert not any(f"{name}(" in call for name in others), (kind, call)
        if row.call == "struct":
            assert f"&tofhil_op0_{kind}," in call
