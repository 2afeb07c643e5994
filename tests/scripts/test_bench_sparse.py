"""The sparse model's section (``--protocol sparse`` / ``sparse-cost``): rendered from small
fake reports (no training), mean ± std over seeds, verdicts and the targets' count computed
from the numbers, merged run by run without touching other sections; one quick end-to-end
run through ``python scripts/benchmark.py``'s entry point (slow)."""
from __future__ import annotations

import copy
import json

import bench_sparse
import bench_sparse_cost
import pytest
from bench.harness import merge_documents
from bench.report import render_markdown
from bench.sections import merge_sparse, render_sparse


def _run(variant: str, seed: int, model: float, best: float, stacked: float) -> dict:
    def row(v):
        return {"mrr": v, "mrr_new": v / 2, "mrr_repeated": v * 2}

    return {"variant": variant, "seed": seed, "sets": bench_sparse.VARIANTS[variant],
            "epochs": 4, "best_epoch": 2, "train_seconds_per_epoch": [3.0, 1.0, 1.0, 1.0],
            "val_seconds_per_epoch": [0.1] * 4, "val_mrr_per_epoch": [0.1] * 4,
            "train_wall_seconds": 9.0, "eval_wall_seconds": 1.0,
            "peak_rss_mib_train": 300.0 + seed, "peak_rss_mib_eval": 200.0,
            "predictors": {"model": row(model), "common-neighbours": row(best),
                           "ewma": row(best / 2), "stacked-heuristics": row(stacked)}}


def _dataset(name: str, models, best: float, stacked: float, sha: str = "x",
             ablation=None) -> dict:
    runs = [_run("sparse", s, m, best, stacked) for s, m in enumerate(models)]
    if ablation is not None:
        runs.append(_run("no-adversarial", 0, ablation, best, stacked))
    return {"dataset": name, "snapshots_made": "m", "num_nodes": 184, "num_snapshots": 26,
            "snapshots_used": 26, "targets": [21, 25], "queries": 123, "sha256": sha,
            "runs": runs, "wall_seconds": 10.0}


SETTINGS = {"epochs": None, "window": 10, "q": 100, "max_queries": 1000, "negatives_seed": 0,
            "seeds": [0, 1, 2], "ablation_seeds": [0], "threads": 1,
            "variants": ["sparse", "no-adversarial"]}
REPORT = {"date": "2026-01-01", "commit": "abcdef0123456789", "wall_seconds": 600.0,
          "settings": SETTINGS,
          "datasets": [_dataset("enron184", [0.2, 0.25, 0.3], 0.2, 0.3, ablation=0.1),
                       _dataset("twitter_tennis_rg17", [0.1, 0.1, 0.1], 0.2, 0.15)]}


def test_render_mean_std_rows_verdicts_and_target_count():
    text = "\n".join(render_sparse(REPORT))
    assert text.startswith("## Sparse GCN-GAN on the ranking protocol")
    assert ("| enron184 | 184 | 123 | sparse model | 3 | 0.250 ± 0.050 | 0.125 ± 0.025 | "
            "0.500 ± 0.100 | 4/4/4 (2/2/2) | 3.0 / 1.0 | 302 |") in text
    assert "| no adversarial term (`adv_weight=0`) | 1 | 0.100 | 0.050 | 0.200 |" in text
    assert "| common-neighbours (best heuristic) |  | 0.200 | 0.100 | 0.400 |" in text
    assert "| stacked-heuristics |  | 0.300 | 0.150 | 0.600 |" in text
    verdicts = [x for x in text.splitlines() if x.startswith("**Verdict")]
    assert verdicts == [                          # in the Ranking section's order
        "**Verdict (twitter_tennis_rg17):** sparse model MRR 0.100 ± 0.000 (mean of 3 seeds) "
        "misses the best single heuristic common-neighbours (0.200, -0.100, -50.0%); misses "
        "stacked-heuristics (0.150, -0.050, -33.3%).",
        "**Verdict (enron184):** sparse model MRR 0.250 ± 0.050 (mean of 3 seeds) meets the "
        "best single heuristic common-neighbours (0.200, +0.050, +25.0%); misses "
        "stacked-heuristics (0.300, -0.050, -16.7%)."]
    assert ("MRR >= the best single heuristic on 1 of 2 datasets (target: all, not met); "
            "MRR >= stacked-heuristics on 0 of 2") in text
    assert "Not measured: no GCN (`encoder=none`), no structure features" in text
    assert "No GPU was available" in text and "`abcdef0123`" in text
    assert "Seeds 0, 1, 2 for the sparse model, 0 for the ablations;" in text


def test_stacked_target_met_on_four_of_six():
    ds = [_dataset(f"d{i}", [0.5, 0.5, 0.5], 0.4, 0.45 if i < 4 else 0.6) for i in range(6)]
    text = bench_sparse.render({**REPORT, "datasets": ds})
    assert ("on 6 of 6 datasets (target: all, met); MRR >= stacked-heuristics on 4 of 6 "
            "(target: at least 4 of the six, met)") in text


def test_merge_run_by_run_same_negatives_only():
    old = copy.deepcopy(REPORT)
    new = {**copy.deepcopy(REPORT), "commit": "fedcba9876543210",
           "settings": {**SETTINGS, "variants": ["no-gcn"], "seeds": [1], "ablation_seeds": [1]},
           "datasets": [_dataset("enron184", [], 0.2, 0.3)]}
    new["datasets"][0]["runs"] = [_run("no-gcn", 1, 0.05, 0.2, 0.3),
                                  _run("sparse", 0, 0.9, 0.2, 0.3)]     # replaces seed 0
    out = bench_sparse.merge(old, new)
    enron = out["datasets"][0]
    got = sorted((r["variant"], r["seed"], r["predictors"]["model"]["mrr"])
                 for r in enron["runs"])
    assert got == [("no-adversarial", 0, 0.1), ("no-gcn", 1, 0.05), ("sparse", 0, 0.9),
                   ("sparse", 1, 0.25), ("sparse", 2, 0.3)]
    assert [d["dataset"] for d in out["datasets"]] == ["enron184", "twitter_tennis_rg17"]
    assert out["settings"]["variants"] == ["sparse", "no-gcn", "no-adversarial"]
    assert out["commits"] == ["abcdef0123456789", "fedcba9876543210"]
    other = copy.deepcopy(new)
    other["datasets"][0]["sha256"] = "other negatives"
    runs = bench_sparse.merge(old, other)["datasets"][0]["runs"]
    assert len(runs) == 2                                        # old runs dropped
    changed = {**copy.deepcopy(new), "settings": {**new["settings"], "epochs": 3}}
    assert [d["dataset"] for d in bench_sparse.merge(old, changed)["datasets"]] == ["enron184"]
    legacy = {"settings": {"epochs": 3}, "datasets": [{"dataset": "enron184", "model": {}}]}
    assert bench_sparse.merge(legacy, new) is new


COST = {"date": "2026-01-01", "commit": "abc", "wall_seconds": 120.0,
        "settings": {"sizes": [1000, 100000], "links_per_node": 10, "window": 10,
                     "train_targets": 4, "epochs": 2, "largest_epochs": 1, "threads": 1,
                     "twitter_topk": [200], "twitter_epochs": 1, "dense_memory_limit": "8G"},
        "synthetic": [
            {"num_nodes": 1000, "num_snapshots": 16, "links": 160000,
             "links_per_snapshot": 10000.0, "window": 10, "train_targets": 4, "epochs": 2,
             "train_seconds_per_epoch": [4.0, 2.0], "val_seconds_per_epoch": [0.1, 0.1],
             "peak_rss_mib_train": 600.0, "train_wall_seconds": 20.0, "synth_seconds": 3.0,
             "synth_peak_rss_mib": 300.0},
            {"num_nodes": 100000, "num_snapshots": 16, "links": 16000000,
             "links_per_snapshot": 1000000.0, "window": 10, "train_targets": 4, "epochs": 1,
             "train_seconds_per_epoch": [200.0], "val_seconds_per_epoch": [5.0],
             "peak_rss_mib_train": 6144.0, "train_wall_seconds": 300.0,
             "synth_seconds": 60.0, "synth_peak_rss_mib": 2000.0}],
        "twitter": [
            {"kind": "dense", "preset": "default", "num_nodes": 100, "epochs": 1,
             "train_windows": 97, "train_seconds_per_epoch": [7.5],
             "val_seconds_per_epoch": [1.0], "peak_rss_mib_train": 700.0,
             "train_wall_seconds": 20.0},
            {"kind": "dense", "preset": "default", "num_nodes": 200, "epochs": 1,
             "train_windows": 97, "train_seconds_per_epoch": [30.0],
             "val_seconds_per_epoch": [1.0], "peak_rss_mib_train": 1400.0,
             "train_wall_seconds": 40.0},
            {"kind": "sparse", "preset": "sparse", "num_nodes": 200, "epochs": 1,
             "train_windows": 97, "train_seconds_per_epoch": [3.0],
             "val_seconds_per_epoch": [1.0], "peak_rss_mib_train": 500.0,
             "train_wall_seconds": 10.0},
            {"kind": "dense", "preset": "default", "num_nodes": 400, "epochs": 1,
             "train_windows": 97, "error": "gcngan train x failed (exit 2): too large"},
            {"kind": "sparse", "preset": "sparse", "num_nodes": 1000, "epochs": 2,
             "train_windows": 97, "train_seconds_per_epoch": [2.0, 1.5],
             "val_seconds_per_epoch": [1.0, 1.0], "peak_rss_mib_train": 600.0,
             "train_wall_seconds": 20.0}]}
COST["growth"] = bench_sparse_cost.growth(COST["synthetic"])


def test_cost_growth_per_doubling_and_verdicts():
    (g,) = COST["growth"]
    # 2 s -> 200 s over 100x more links (6.64 doublings): 100 ** (1 / 6.644) = 2.0
    assert g["time_ratio"] == 100.0 and g["per_doubling"] == pytest.approx(2.0, abs=1e-3)
    assert g["per_link_per_doubling"] == pytest.approx(1.0, abs=1e-3)
    text = "\n".join(bench_sparse_cost.render(COST))
    assert "| 100,000 | 1,000,000 | 200.00 | 50.00 | 5.00 | 6,144 | 60.0 |" in text
    assert "2.00x per doubling of E, **1.00x per doubling per link**" in text
    assert ("read per link (an epoch reads every link of its windows, so its time cannot grow "
            "slower than E) met; read as the time of the whole epoch, not met.") in text
    assert "6.00 GiB peak RSS (target: one epoch in <= 8 GiB — met)" in text
    assert "| 200 | sparse (`sparse`) | 1 | 3.00 | 32.33 | 500 | 10.0x | `abc` |" in text
    assert "Failed: dense (`default`) at N = 400: gcngan train x failed" in text
    assert ("Sparse at all 1,000 nodes: 0.59 GiB peak RSS (target <= 1.5 GiB — met) and 1.50 "
            "s/epoch, 20.0x faster than the dense model at only 200 nodes") in text
    assert "met already at the smaller dense N" in text
    assert ("Extrapolated, not measured: a least-squares fit of the dense model's s/epoch "
            "over N = 100, 200 grows as N^2.00; at N = 1,000 it would give 750 s/epoch, 500x "
            "the sparse model's.") in text


ENV = {"device": "cpu", "torch": "t", "gcngan": "g", "python": "p", "cpu": "c",
       "cpu_count": 2, "torch_threads": 1}


def _doc(**sections) -> dict:
    return {"generated": "2026-01-01T00:00", "profile": "full", "command": "c",
            "environment": ENV, **sections}


def test_merge_sparse_keeps_the_part_not_measured_and_other_sections():
    old = _doc(ranking={"datasets": []}, ingest={"k": 1}, sparse=copy.deepcopy(REPORT))
    out = merge_documents(old, _doc(sparse={"cost": COST}))          # --protocol sparse-cost
    assert out["ingest"] == {"k": 1} and out["ranking"] == {"datasets": []}
    assert out["sparse"]["datasets"] == REPORT["datasets"] and out["sparse"]["cost"] == COST
    again = merge_documents(out, _doc(sparse=copy.deepcopy(REPORT)))  # --protocol sparse
    assert again["sparse"]["cost"] == COST
    assert len(again["sparse"]["datasets"][0]["runs"]) == 4
    only_cost = merge_sparse(None, {"cost": COST})
    text = "\n".join(render_sparse(only_cost))
    assert "quality table has not been measured yet" in text and "per doubling of E" in text
    page = render_markdown({**again, "ranking": None, "ingest": None})   # fakes: not rendered
    assert "## Sparse GCN-GAN on the ranking protocol" in page
    assert "### Memory and speed on Twitter mentions" in page


def test_prepare_cuts_email_eu_at_week_75_with_the_ranking_negatives(shared_datasets,
                                                                     tmp_path):
    import hashlib

    import bench_ranking

    from gcngan.config import DataConfig
    from gcngan.data import chronological_split, load_snapshots
    from gcngan.ranking import generate_negatives, negatives_csv
    from gcngan.structural import PairIndex

    name = "email_eu_core_temporal"
    prep = bench_sparse.prepare(name, shared_datasets, tmp_path, window=10, q=20,
                                max_queries=30, seed=0)
    assert prep.info["snapshots_used"] == 75 and prep.info["targets"] == [65, 74]
    assert prep.info["num_snapshots"] > 75 and prep.path != shared_datasets / "x"
    assert "--test" in prep.flags and prep.flags[prep.flags.index("--val") + 1] == "3"
    # the negatives are bench_ranking's (same targets, q, queries and seed -> same sha256)
    rel, fields, test, _ = bench_ranking.DATASETS[name]
    seq = load_snapshots(shared_datasets / rel, DataConfig(window=10, val=0, test=test,
                                                           **fields))
    targets = list(chronological_split(75, 10, 0, test).test)
    cands = generate_negatives(PairIndex(seq), targets, q=20, max_queries=30, seed=0)
    assert prep.info["sha256"] == hashlib.sha256(negatives_csv(cands, seq.node_ids)).hexdigest()
    cut = load_snapshots(prep.path, DataConfig(window=10, val=0, test=test, **fields))
    assert cut.num_snapshots == 75 and cut.num_nodes == seq.num_nodes


def test_committed_results_rank_the_ranking_sections_negatives():
    """docs/results.json: each dataset of the sparse table was ranked on the Ranking
    section's candidates (equal sha256)."""
    from pathlib import Path

    doc = json.loads((Path(bench_sparse.REPO) / "docs" / "results.json").read_text())
    sparse = (doc.get("sparse") or {}).get("datasets") or []
    ranking = {d["dataset"]: d["sha256"] for d in (doc.get("ranking") or {}).get("datasets", [])}
    for d in sparse:
        if "runs" in d and doc["sparse"]["settings"]["max_queries"] == 1000:
            assert d["sha256"] == ranking[d["dataset"]], d["dataset"]


@pytest.mark.slow
def test_quick_sparse_protocol_end_to_end(shared_datasets, tmp_path):
    from bench.cli import main

    out = tmp_path / "results.md"
    assert main(["--quick", "--protocol", "sparse", "--out", str(out), "--root",
                 str(shared_datasets)]) == 0
    doc = json.loads(out.with_suffix(".json").read_text())
    (d,) = doc["sparse"]["datasets"]
    (run,) = d["runs"]
    assert d["dataset"] == "enron184" and run["variant"] == "sparse" and run["epochs"] == 1
    assert len(run["train_seconds_per_epoch"]) == 1 and run["peak_rss_mib_train"] > 0
    assert {"model", "stacked-heuristics"} <= set(run["predictors"])
    text = out.read_text()
    assert "**Verdict (enron184):** sparse model MRR" in text and text == render_markdown(doc)


def test_render_names_the_model_commit_of_each_group():
    report = copy.deepcopy(REPORT)
    for d in report["datasets"]:
        for r in d["runs"]:
            r["commit"] = "1111111111aa" if r["variant"] == "sparse" else "2222222222bb"
    text = bench_sparse.render(report)
    assert ("model code (`gcngan/` of the commit) the sparse model: `1111111111`; the "
            "ablations: `2222222222`") in text


def test_progress_line_is_what_recover_reads():
    r = _run("no-gcn", 2, 0.4567, 0.2, 0.3)
    m = bench_sparse.PROGRESS.fullmatch(bench_sparse.progress_line("bitcoin_alpha", r))
    assert m.groups() == ("bitcoin_alpha", "no-gcn", "2", "0.457", "4", "2", "9", "1", "302")
