"""The libFuzzer harness of the firmware protocol (fuzz_protocol.c) and its runner (run_fuzz.py)."""
