"""The generated softmax's exp table (training/export/softmax_table.py) is the C kernel's arithmetic: every
entry equals tofhil_softmax_exp, and the table's outputs (exps past its end taken as 0) equal the generic
tofhil_softmax_s8's for every difference a row can hold, at scales from a slow to a fast decay."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tofhil.paths import templates_dir
from training.export import qmath
from training.export.lowering import KernelOp
from training.export.softmax_table import MAX_TABLE_ENTRIES, NEGLIGIBLE_EXP, exp_of_diff, exp_table

RUNTIME = templates_dir() / "runtime"
SCALES = (0.02, 0.0763, 0.125, 0.3, 1.0)   # 0.0763: the shipped model's softmax input scale
DEPTH = 8

PROGRAM = r"""
#include <stdio.h>
#include "tofhil_kernels.h"
#include "cases.h"

int main(void)
{
    int32_t exps[DEPTH], scratch[DEPTH];
    int8_t generic[DEPTH], tabled[DEPTH];
    unsigned s, r, c, mismatches = 0;
    int d;
    for (s = 0; s < SCALES; ++s) {
        const tofhil_softmax_t p = {scratch, 1, DEPTH, multipliers[s], shifts[s], diff_mins[s]};
        for (d = 0; d >= -255; --d) {   /* every entry of the full table */
            printf("%ld\n", (long)(d >= diff_mins[s] ? tofhil_softmax_exp(d, multipliers[s], shifts[s]) : 0));
        }
        for (r = 0; r < ROWS; ++r) {
            int32_t max_in_row = -128;
            tofhil_softmax_s8(&p, rows[r], generic);
            for (c = 0; c < DEPTH; ++c) {
                max_in_row = rows[r][c] > max_in_row ? rows[r][c] : max_in_row;
            }
            for (c = 0; c < DEPTH; ++c) {
                const int32_t k = max_in_row - rows[r][c];
                exps[c] = k < lengths[s] ? tables[s][k] : 0;
            }
            tofhil_softmax_outputs(exps, DEPTH, tabled);
            for (c = 0; c < DEPTH; ++c) {
                mismatches += generic[c] != tabled[c];
            }
        }
    }
    printf("mismatches %u\n", mismatches);
    return 0;
}
"""


def _softmax_op(scale: float) -> KernelOp:
    multiplier, shift, diff_min = qmath.softmax_params(1.0, scale)
    return KernelOp(0, "SOFTMAX", "softmax", (0,), 1, {"rows": 1, "depth": DEPTH, "input_multiplier": multiplier,
                                                        "input_left_shift": shift, "diff_min": diff_min})


def _rows() -> np.ndarray:
    """Rows whose differences cover 0..255 (a maximum of 127 against every value) and random ones."""
    rng = np.random.default_rng(26)
    values = np.arange(-128, 128)
    sweep = np.full((len(values), DEPTH), 127, np.int64)
    sweep[:, 1:] = values[:, None]
    sweep[:, 2] = np.roll(values, 7)[:, None][:, 0]
    return np.concatenate([sweep, rng.integers(-128, 128, (2000, DEPTH)),
                           rng.integers(100, 128, (500, DEPTH))]).astype(np.int8)


def test_the_table_is_the_c_kernels_exp_and_gives_the_generic_outputs(tmp_path, host_cc):
    ops = [_softmax_op(scale) for scale in SCALES]
    # the test's tables keep every entry (no length cap): the arithmetic is what is checked here
    tables = [[exp_of_diff(-k, op.fields["input_multiplier"], op.fields["input_left_shift"]) for k in range(256)]
              for op in ops]
    lengths = [next((k for k, v in enumerate(t) if v < NEGLIGIBLE_EXP or -k < op.fields["diff_min"]), 256)
               for t, op in zip(tables, ops)]
    rows = _rows()
    header = [f"#define SCALES {len(ops)}u", f"#define ROWS {len(rows)}u", f"#define DEPTH {DEPTH}u",
              "static const int32_t multipliers[] = {%s};" % ", ".join(str(o.fields["input_multiplier"]) for o in ops),
              "static const int32_t shifts[] = {%s};" % ", ".join(str(o.fields["input_left_shift"]) for o in ops),
              "static const int32_t diff_mins[] = {%s};" % ", ".join(str(o.fields["diff_min"]) for o in ops),
              "static const int32_t lengths[] = {%s};" % ", ".join(map(str, lengths)),
              "static const int32_t tables[][256] = {%s};" % ", ".join("{" + ", ".join(map(str, t)) + "}"
                                                                        for t in tables),
              "static const int8_t rows[][DEPTH] = {%s};" % ", ".join("{" + ", ".join(map(str, r)) + "}"
                                                                       for r in rows)]
    (tmp_path / "cases.h").write_text("\n".join(header) + "\n")
    (tmp_path / "main.c").write_text(PROGRAM)
    subprocess.run([host_cc, "-std=c99", "-O1", "-Wall", "-Werror", "-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all", f"-I{RUNTIME}", f"-I{tmp_path}", str(tmp_path / "main.c"),
                    str(RUNTIME / "tofhil_kernels.c"), "-o", str(tmp_path / "check")], check=True)
    lines = subprocess.run([str(tmp_path / "check")], check=True, capture_output=True, text=True).stdout.split()
    c_exps = np.array(lines[:-2], np.int64).reshape(len(ops), 256)
    for op, table, c_row in zip(ops, tables, c_exps):
        reachable = np.arange(256) <= -op.fields["diff_min"]
        np.testing.assert_array_equal(np.where(reachable, table, 0), c_row)
    assert lines[-2:] == ["mismatches", "0"]
    # the decays tried give tables shorter, equal to and longer than the generated code's cap
    assert min(lengths) < MAX_TABLE_ENTRIES < max(lengths)


@pytest.mark.parametrize("scale, generated", [(0.0763, True), (0.02, False)])
def test_the_exporter_tables_only_what_fits_the_cap(scale, generated):
    table = exp_table(_softmax_op(scale))
    assert (table is not None) == generated
    if generated:
        assert len(table) <= MAX_TABLE_ENTRIES and table.min() >= NEGLIGIBLE_EXP and table[0] == 2**31 - 1
