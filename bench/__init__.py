"""Benchmarks: each prints one JSON line per figure, with its comparison measured in the same run."""
