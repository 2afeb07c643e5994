"""The ranking, ingestion and sparse-model sections of the benchmark (issues 14 and 15): the
harness runs ``scripts/bench_ranking.py``'s, ``scripts/bench_ingest.py``'s and
``scripts/bench_sparse.py``'s measurements (``python scripts/benchmark.py --protocol
ranking`` / ``ingest`` / ``sparse``), keeps their reports in the JSON beside
``docs/results.md`` (keys ``ranking``, ``ingest`` and ``sparse``) and renders them
with those scripts' own renderers, so the page and the scripts never disagree.

The scripts live beside the ``bench`` package (``scripts/``, on ``sys.path`` as
``python scripts/benchmark.py`` puts it).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

#: ranking settings per profile: the four datasets of issue 14 and the two more of issue 15
#: (test = last 10 targets, 5 for Enron; window 10; q = 100; 1000 queries per target), or
#: one small dataset
RANKING = {"full": {"datasets": ("twitter_tennis_rg17", "bitcoin_alpha", "collegemsg",
                                 "enron184", "wikipedia", "email_eu_core_temporal"),
                    "max_queries": 1000},
           "quick": {"datasets": ("enron184",), "max_queries": 200}}
#: ingestion settings per profile: the synthetic stream's size
#: sparse-model settings per profile (scripts/bench_sparse.py's defaults: 3 epochs, one
#: thread, the ranking negatives), or one small dataset and one epoch
SPARSE = {"full": {"datasets": ("twitter_tennis_rg17", "enron184"), "epochs": 3,
                   "max_queries": 1000, "threads": 1},
          "quick": {"datasets": ("enron184",), "epochs": 1, "max_queries": 200, "threads": 1}}
INGEST = {"full": {"events": 10_000_000, "nodes": 100_000},
          "quick": {"events": 200_000, "nodes": 10_000}}


def run_ranking(profile: str, *, root: str | Path,
                progress: Optional[Callable[[str], None]] = None) -> dict:
    """:func:`bench_ranking.run_report` with the profile's settings (every pair predictor,
    ``stacked-heuristics`` fitted on the training targets)."""
    import bench_ranking

    s = RANKING.get(profile, RANKING["full"])
    return bench_ranking.run_report(list(s["datasets"]), Path(root),
                                    max_queries=s["max_queries"], progress=progress)


def run_ingest(profile: str, *, progress: Optional[Callable[[str], None]] = None) -> dict:
    """:func:`bench_ingest.run_ingest` with the profile's stream size."""
    import bench_ingest

    return bench_ingest.run_ingest(**INGEST.get(profile, INGEST["full"]), progress=progress)


def run_sparse(profile: str, *, root: str | Path,
               progress: Optional[Callable[[str], None]] = None) -> dict:
    """:func:`bench_sparse.run_report` with the profile's settings."""
    import bench_sparse

    s = dict(SPARSE.get(profile, SPARSE["full"]))
    return bench_sparse.run_report(list(s.pop("datasets")), Path(root), **s,
                                   progress=progress)


def merge_ranking(old: Optional[dict], new: dict) -> dict:
    """``new`` over ``old`` per dataset; a dataset's rows that ``new`` did not measure (e.g.
    a trained model ranked by ``bench_ranking.py --model-epochs``) are kept when both ranked
    the same candidates (equal negatives sha256), else dropped."""
    if not old:
        return new
    olds = {d["dataset"]: d for d in old.get("datasets", [])}
    datasets = []
    for d in new["datasets"]:
        o = olds.pop(d["dataset"], None)
        if o is not None and o.get("sha256") == d.get("sha256"):
            kept = {p: r for p, r in o["predictors"].items() if p not in d["predictors"]}
            if kept:
                from gcngan.ranking import best_predictors

                d = {**d, "predictors": {**d["predictors"], **kept}}
                d["best"] = best_predictors(d["predictors"])
                secs = dict(d.get("seconds", {}))
                secs["predictors"] = {**o.get("seconds", {}).get("predictors", {}),
                                      **secs.get("predictors", {})}
                d["seconds"] = secs
        datasets.append(d)
    datasets += list(olds.values())                   # datasets this run did not measure
    return {**new, "datasets": datasets}


def render_ranking(report: dict) -> list[str]:
    """The ranking section's Markdown lines."""
    import bench_ranking

    return bench_ranking.render(report, command="python scripts/benchmark.py --protocol "
                                                "ranking").rstrip("\n").splitlines() + [""]


def render_ingest(report: dict) -> list[str]:
    """The ingestion section's Markdown lines."""
    import bench_ingest

    return bench_ingest.render(report).rstrip("\n").splitlines() + [""]


def render_sparse(report: dict) -> list[str]:
    """The sparse model's section's Markdown lines."""
    import bench_sparse

    return bench_sparse.render(report, command="python scripts/benchmark.py --protocol "
                                               "sparse").rstrip("\n").splitlines() + [""]


__all__ = ["INGEST", "RANKING", "SPARSE", "merge_ranking", "render_ingest", "render_ranking",
           "render_sparse", "run_ingest", "run_ranking", "run_sparse"]
