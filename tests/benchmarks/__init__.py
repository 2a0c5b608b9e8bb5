"""Tests of the benchmark harness in benchmarks/ (the parts that are pure functions)."""
