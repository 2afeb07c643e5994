"""The sparse model's section (``--protocol sparse``): rendered from a small fake report
(no training), verdicts computed from the numbers, merged without touching other sections."""
from __future__ import annotations

from bench.harness import merge_documents
from bench.report import render_markdown
from bench.sections import render_sparse


def _dataset(name: str, model: float, best: float, stacked: float) -> dict:
    def row(v):
        return {"mrr": v, "mrr_new": v / 2, "mrr_repeated": v * 2}

    return {"dataset": name, "threads": 1, "num_nodes": 184, "num_snapshots": 40,
            "queries": 123, "sha256": "x", "epochs": 3, "best_epoch": 2,
            "train_seconds_per_epoch": [1.0, 2.0, 3.0], "val_seconds_per_epoch": [0.1] * 3,
            "val_mrr_per_epoch": [0.1] * 3, "train_wall_seconds": 9.0,
            "peak_rss_mib_train": 321.0, "model": row(model),
            "best_heuristic": "common-neighbours",
            "common-neighbours": row(best), "stacked-heuristics": row(stacked)}


REPORT = {"date": "2026-01-01",
          "settings": {"epochs": 3, "window": 10, "q": 100, "max_queries": 1000, "seed": 0,
                       "threads": 1},
          "datasets": [_dataset("enron184", 0.25, 0.2, 0.3),
                       _dataset("twitter_tennis_rg17", 0.1, 0.2, 0.15)]}


def test_render_table_verdicts_and_not_measured_line():
    text = "\n".join(render_sparse(REPORT))
    assert text.startswith("## Sparse GCN-GAN on the ranking protocol")
    assert "| enron184 | 184 | 40 | 123 | 3 (2) | 2.0 | 321 | sparse model | 0.250 |" in text
    verdicts = [x for x in text.splitlines() if x.startswith("**Verdict")]
    assert verdicts == [
        "**Verdict (enron184):** sparse model MRR 0.250 is above the best single heuristic "
        "common-neighbours (0.200, +0.050) and below stacked-heuristics (0.300, -0.050).",
        "**Verdict (twitter_tennis_rg17):** sparse model MRR 0.100 is below the best single "
        "heuristic common-neighbours (0.200, -0.100) and below stacked-heuristics "
        "(0.150, -0.050)."]
    assert "Not measured yet: the adversarial ablation" in text and "100k" in text


ENV = {"device": "cpu", "torch": "t", "gcngan": "g", "python": "p", "cpu": "c",
       "cpu_count": 2, "torch_threads": 1}


def test_merge_replaces_only_the_sparse_section():
    old = {"generated": "2026-01-01T00:00", "profile": "full", "command": "c",
           "environment": ENV, "ranking": {"datasets": []}, "ingest": {"k": 1}}
    new = {"generated": "2026-01-02T00:00", "profile": "full", "command": "d",
           "environment": ENV, "sparse": REPORT}
    out = merge_documents(old, new)
    assert out["ingest"] == {"k": 1} and out["ranking"] == {"datasets": []}
    assert out["sparse"] == REPORT
    text = render_markdown({**out, "ranking": None, "ingest": None})  # fakes: not rendered
    assert "## Sparse GCN-GAN on the ranking protocol" in text
