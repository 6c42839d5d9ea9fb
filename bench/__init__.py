"""Benchmarks and evaluation scripts (`python -m bench.<name>`); not part of the installed package."""
