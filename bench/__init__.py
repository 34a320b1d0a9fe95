"""Benchmark harness: a production-like gunicorn, a loopback load generator, baselines, a report.

Run it with `.venv/bin/python -m bench.run` (see bench/README.md).
"""
