"""scripts/bench_ingest.py: the synthetic stream it writes and one fresh-process measurement."""
from __future__ import annotations

import bench_ingest
import pandas as pd
import pytest


@pytest.mark.slow                          # a fresh Python process imports torch and pandas
def test_stream_and_one_measurement(tmp_path):
    path = tmp_path / "s.csv"
    bench_ingest.make_stream(path, events=3000, nodes=1000, seed=1)
    frame = pd.read_csv(path)
    assert list(frame.columns) == ["timestamp", "src", "dst", "weight"] and len(frame) == 3000
    assert frame["timestamp"].is_monotonic_increasing
    assert pd.concat([frame["src"], frame["dst"]]).nunique() == 1000     # every node used
    res = bench_ingest.measure("load", path, "granularity=1d")
    assert res["rows"] == 3000 and res["nodes"] == 1000 and res["snapshots"] == 365
    assert res["seconds"] > 0 and res["peak_mib"] >= res["base_mib"] > 0
    row = bench_ingest._row("s", "load", res)
    assert row.startswith("| s | load | 3,000 | ") and row.count("|") == 8
