"""The ranking, ingestion and sparse-model sections of the benchmark (issues 14 and 15): the
harness runs ``scripts/bench_ranking.py``'s, ``scripts/bench_ingest.py``'s and
``scripts/bench_sparse.py``'s measurements (``python scripts/benchmark.py --protocol
ranking`` / ``ingest`` / ``sparse``; ``sparse-cost`` runs ``scripts/bench_sparse_cost.py``),
keeps their reports in the JSON beside ``docs/results.md`` (keys ``ranking``, ``ingest``
and ``sparse``, the cost under ``sparse.cost``) and renders them
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
#: sparse-model settings per profile (issue 15): the six ranking datasets, the preset's
#: epochs and early stopping, 3 seeds for the models (sparse and dense: the dense one where
#: it fits ``bench_sparse.DENSE_MEMORY_LIMIT``) and 1 for each ablation, one thread, the
#: ranking negatives; or one small dataset, one seed and one epoch
SPARSE = {"full": {"datasets": ("twitter_tennis_rg17", "bitcoin_alpha", "collegemsg",
                                "enron184", "wikipedia", "email_eu_core_temporal"),
                   "variants": ("sparse", "no-gcn", "no-structure", "no-adversarial",
                                "whole-window", "dense"),
                   "seeds": (0, 1, 2), "ablation_seeds": (0,), "epochs": None,
                   "max_queries": 1000, "threads": 1},
          "quick": {"datasets": ("enron184",), "variants": ("sparse",), "seeds": (0,),
                    "ablation_seeds": (0,), "epochs": 1, "max_queries": 200, "threads": 1}}
#: sparse-model cost settings per profile (scripts/bench_sparse_cost.py): synthetic N,
#: training targets per epoch, epochs, the Twitter dense-against-sparse sizes
SPARSE_COST = {"full": {"sizes": (1000, 10000, 100000), "train_targets": 4, "epochs": 6,
                        "largest_epochs": 3, "twitter_topk": (100, 200, 400),
                        "subgraph_nodes": (None, 0), "negative_pools": (1000,),
                        "source_query_pools": (500,)},
               "quick": {"sizes": (300, 600), "train_targets": 2, "epochs": 1,
                         "largest_epochs": 1, "twitter_topk": ()}}
#: data-parallel settings per profile (issue 16, scripts/bench_ddp.py): cases, epochs
DDP = {"full": {"cases": ("mesh1-dense", "enron184-sparse"), "epochs": 2},
       "quick": {"cases": ("synthetic-dense",), "epochs": 2}}
#: held-out future settings per profile (scripts/bench_heldout.py): files, queries per file
HELDOUT = {"full": {"datasets": ("collegemsg", "bitcoin_alpha", "wikipedia",
                                 "email_eu_core_temporal", "enron184", "twitter_tennis_rg17",
                                 "contact_haggle_elstmd"), "max_queries": 1000},
           "quick": {"datasets": ("enron184",), "max_queries": 100}}
#: ingestion settings per profile: the synthetic stream's size
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
               progress: Optional[Callable[[str], None]] = None,
               options: Optional[dict] = None) -> dict:
    """:func:`bench_sparse.run_report` with the profile's settings; ``options`` (from the
    command line: ``datasets``, ``variants``, ``seeds``, ``commit``) replace the profile's
    where not ``None`` (``seeds`` then applies to the ablations too)."""
    import bench_sparse

    s = dict(SPARSE.get(profile, SPARSE["full"]))
    opts = {k: v for k, v in (options or {}).items() if v is not None}
    if "seeds" in opts:
        opts["ablation_seeds"] = opts["seeds"]
    s.update(opts)
    return bench_sparse.run_report(list(s.pop("datasets")), Path(root), **s,
                                   progress=progress)


def run_sparse_cost(profile: str, *, root: str | Path,
                    progress: Optional[Callable[[str], None]] = None) -> dict:
    """:func:`bench_sparse_cost.run_cost` with the profile's settings."""
    import bench_sparse_cost

    return bench_sparse_cost.run_cost(**SPARSE_COST.get(profile, SPARSE_COST["full"]),
                                      root=Path(root), progress=progress)


def merge_sparse(old: Optional[dict], new: dict) -> dict:
    """The sparse section of ``new`` over ``old``'s: quality runs merged run by run
    (:func:`bench_sparse.merge`), the cost report (key ``cost``) row by row
    (:func:`bench_sparse_cost.merge_cost`); either part is kept when ``new`` lacks it."""
    import bench_sparse
    import bench_sparse_cost

    old = dict(old or {})
    new = dict(new)
    cost = bench_sparse_cost.merge_cost(old.pop("cost", None), new["cost"]) \
        if new.get("cost") else old.pop("cost", None)
    old.pop("cost", None)
    new.pop("cost", None)
    if "datasets" not in new:
        out = old
    elif "datasets" not in old:
        out = new
    else:
        out = bench_sparse.merge(old, new)
    return {**out, **({"cost": cost} if cost else {})}


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


def run_ddp(profile: str, *, root: str | Path,
            progress: Optional[Callable[[str], None]] = None) -> dict:
    """:func:`bench_ddp.run_report` (issue 16): 1 and 2 processes on the profile's cases
    (:data:`DDP`)."""
    import bench_ddp

    s = DDP.get(profile, DDP["full"])
    return bench_ddp.run_report(list(s["cases"]), Path(root), epochs=s["epochs"],
                                progress=progress)


def render_ddp(report: dict) -> list[str]:
    """The "Going wider" section's Markdown lines (:func:`bench_ddp.render`)."""
    import bench_ddp

    return bench_ddp.render(report, command="python scripts/benchmark.py --protocol "
                                            "ddp").rstrip("\n").splitlines() + [""]


def run_heldout(profile: str, *, root: str | Path,
                progress: Optional[Callable[[str], None]] = None) -> dict:
    """:func:`bench_heldout.run_report` on the profile's files (:data:`HELDOUT`)."""
    import bench_heldout

    s = HELDOUT.get(profile, HELDOUT["full"])
    return bench_heldout.run_report(list(s["datasets"]), Path(root),
                                    max_queries=s["max_queries"], progress=progress)


def render_heldout(report: dict) -> list[str]:
    """The "Held-out future through the command line" section's Markdown lines."""
    import bench_heldout

    return bench_heldout.render(report)


def render_ranking(report: dict) -> list[str]:
    """The ranking section's Markdown lines."""
    import bench_ranking

    return bench_ranking.render(report, command="python scripts/benchmark.py --protocol "
                                                "ranking").rstrip("\n").splitlines() + [""]


def render_ingest(report: dict) -> list[str]:
    """The ingestion section's Markdown lines."""
    import bench_ingest

    return bench_ingest.render(report).rstrip("\n").splitlines() + [""]


def render_sparse(report: dict, split: Optional[list] = None) -> list[str]:
    """The sparse model's section's Markdown lines: the quality table, what the adversarial
    term does and the choice of the default preset (when measured; ``split``: the split
    protocol's rows, ``doc["split"]``, for the mesh datasets of that choice), and the cost
    tables (key ``cost``, when measured)."""
    import bench_sparse
    import bench_sparse_cost

    if "datasets" in report:
        lines = bench_sparse.render(report, command="python scripts/benchmark.py --protocol "
                                                    "sparse", split=split
                                    ).rstrip("\n").splitlines() + [""]
    else:
        lines = ["## Sparse GCN-GAN on the ranking protocol", "",
                 "The quality table has not been measured yet (`python scripts/benchmark.py "
                 "--protocol sparse`).", ""]
    if report.get("cost"):
        lines += bench_sparse_cost.render(report["cost"])
    return lines


__all__ = ["DDP", "run_ddp", "render_ddp", "HELDOUT", "run_heldout", "render_heldout",
           "INGEST", "RANKING", "SPARSE", "SPARSE_COST", "merge_ranking", "merge_sparse",
           "render_ingest", "render_ranking", "render_sparse", "run_ingest", "run_ranking",
           "run_sparse", "run_sparse_cost"]
