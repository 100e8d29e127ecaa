"""Benchmarks of scripts/bench.py, one module per importer."""
