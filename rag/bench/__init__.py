"""Benchmarks: ``python -m rag.bench`` (see rag/bench/__main__.py)."""
