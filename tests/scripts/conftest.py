"""Tests of the research code under ``scripts/`` (the ``bench`` package): put ``scripts/``
on ``sys.path`` as ``python scripts/benchmark.py`` does."""
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))
