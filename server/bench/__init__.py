"""Benchmark commands (`arabesque bench ...`): measurements, not tests."""
