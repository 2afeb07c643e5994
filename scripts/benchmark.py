#!/usr/bin/env python
"""Benchmark recipe: ``python scripts/benchmark.py [--quick] [options]``.

A thin wrapper of ``gcngan benchmark`` (see ``gcngan benchmark --help``): the full run writes
``docs/results.md`` and ``docs/results.json``; ``--quick`` (a few minutes) writes to
``runs/benchmark-quick/`` unless ``--out`` is given.
"""
import sys

from gcngan.cli import main

if __name__ == "__main__":
    sys.exit(main(["benchmark", *sys.argv[1:]]))
