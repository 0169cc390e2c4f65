"""Benchmarks run by `make bench`. Scripts to rerun, not timed assertions in tests."""
