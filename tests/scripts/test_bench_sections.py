"""The ranking and ingestion sections of the harness (``--protocol ranking``/``ingest``):
run through ``python scripts/benchmark.py``'s entry point, merged without recomputing the
other sections, rendered from the JSON with verdicts computed from the numbers."""
from __future__ import annotations

import json

import bench_ingest
import pytest
from bench.cli import main
from bench.report import render_markdown
from bench.sections import merge_ranking


@pytest.fixture(scope="module")
def quick_ranking(shared_datasets, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results.md"
    assert main(["--quick", "--protocol", "ranking", "--out", str(out),
                 "--root", str(shared_datasets)]) == 0
    return out


def test_ranking_protocol_renders_tables_and_verdicts(quick_ranking):
    doc = json.loads(quick_ranking.with_suffix(".json").read_text())
    (d,) = doc["ranking"]["datasets"]
    assert d["dataset"] == "enron184" and "stacked-heuristics" in d["predictors"]
    text = quick_ranking.read_text()
    assert "## Ranking (one-vs-many, fixed negatives)" in text and "split" not in doc
    mrr = {p: r["all"]["mrr"] for p, r in d["predictors"].items()}
    single = max((v, p) for p, v in mrr.items() if p != "stacked-heuristics")
    (verdict,) = [x for x in text.splitlines() if x.startswith("**Verdict:**")]
    assert f"best single heuristic {single[1]} ({single[0]:.3f})" in verdict
    assert f"stacked-heuristics {mrr['stacked-heuristics']:.3f}" in verdict
    assert text == render_markdown(doc)                        # the page is the JSON's


def test_merge_keeps_other_sections_and_rows_of_the_same_negatives(quick_ranking, tmp_path,
                                                                     shared_datasets):
    doc = json.loads(quick_ranking.with_suffix(".json").read_text())
    new = doc["ranking"]
    old = json.loads(json.dumps(new))
    (od,) = old["datasets"]
    od["predictors"]["trained model"] = od["predictors"]["ewma"]       # same negatives: kept
    old["datasets"].append({**od, "dataset": "collegemsg", "sha256": "x"})  # not measured
    merged = merge_ranking(old, new)
    assert [d["dataset"] for d in merged["datasets"]] == ["enron184", "collegemsg"]
    assert "trained model" in merged["datasets"][0]["predictors"]
    other = json.loads(json.dumps(old))
    other["datasets"][0]["sha256"] = "different negatives"
    assert "trained model" not in merge_ranking(other, new)["datasets"][0]["predictors"]
    # --merge into a page with another section: it stays, the ranking is re-measured
    md = tmp_path / "results.md"
    backtest = {"settings": {"k": 1}, "runs": []}
    md.with_suffix(".json").write_text(json.dumps({**doc, "backtest": backtest,
                                                   "ranking": old}))
    assert main(["--quick", "--protocol", "ranking", "--out", str(md), "--merge",
                 "--root", str(shared_datasets)]) == 0
    got = json.loads(md.with_suffix(".json").read_text())
    assert got["backtest"] == backtest
    assert [d["dataset"] for d in got["ranking"]["datasets"]] == ["enron184", "collegemsg"]
    assert "trained model" in got["ranking"]["datasets"][0]["predictors"]
    assert "Trained models were ranked on enron184, collegemsg only" in md.read_text()


def test_ingest_section_renders_from_its_report():
    r = {"rows": 1000, "seconds": 0.5, "peak_mib": 300.0, "base_mib": 250.0, "snapshots": 3,
         "nodes": 10, "edges": 900, "dense_entries": 300}
    report = {"events": 1000, "nodes": 10, "csv_mib": 0.1, "repeat": 1, "repeat_large": 1,
              "machine": "test", "loadavg_before": 1.0, "loadavg_after": 2.0,
              "results": {"pandas": r, "load": r, "inspect": r, "plot": r}}
    text = bench_ingest.render(report)
    assert text.startswith("## Ingestion: speed and memory")
    assert "| 1,000 | 0.50 | 2,000 | 300 | 50 |" in text and "bitcoin_alpha" not in text
    doc = {"generated": "2026-01-01T00:00:00", "command": "c", "profile": "quick",
           "environment": {"device": "cpu", "torch": "t", "gcngan": "g", "python": "p",
                           "cpu": "c", "cpu_count": 2, "torch_threads": 1},
           "ingest": report}
    assert text.rstrip("\n") in render_markdown(doc)
