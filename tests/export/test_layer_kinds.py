"""The layer-kind table agrees with the C runtime and the model template: each kind's struct and kernel are
declared in tofhil_kernels.h, and the template calls exactly the kernels of the table."""
from __future__ import annotations

import re

from tofhil.paths import templates_dir
from training.export.layer_kinds import LAYER_KINDS

HEADER = (templates_dir() / "runtime" / "tofhil_kernels.h").read_text()
TEMPLATE = (templates_dir() / "model" / "tofhil_model.c.j2").read_text()


def test_every_kind_has_its_struct_and_kernel_in_the_runtime():
    for row in LAYER_KINDS.values():
        assert re.search(rf"\b{row.function}\s*\(", HEADER), row.function
        if row.struct:
            assert re.search(rf"}}\s*{row.struct}\s*;", HEADER), row.struct


def test_the_template_calls_the_kernel_of_each_kind_and_no_other():
    kinds = set(re.findall(r'op\.kind == "(\w+)"', TEMPLATE))
    assert kinds == set(LAYER_KINDS)
    for row in LAYER_KINDS.values():
        assert f"{row.function}(" in TEMPLATE, row.function

