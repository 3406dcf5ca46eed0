"""Benchmarks for the budgets of design §6. `python -m bench` (or `make bench`) runs them all."""
