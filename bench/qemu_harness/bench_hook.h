/* Declaration of the per-op timing hook the benchmark build passes as TOFHIL_OP_DONE. */
void bench_op_done(int index);
