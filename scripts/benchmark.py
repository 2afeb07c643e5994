#!/usr/bin/env python
"""Benchmark: ``python scripts/benchmark.py [--quick] [options]`` (``--help`` lists them).

The full run writes ``docs/results.md`` and ``docs/results.json``; ``--quick`` (a few
minutes) writes to ``runs/benchmark-quick/`` unless ``--out`` is given. The harness is the
``bench`` package beside this file (research code, not part of the installed ``gcngan``).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
