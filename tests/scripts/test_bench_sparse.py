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
    verdicts = [x for x in text.splitlines() if x.startswith("**Verdict")
                and not x.startswith("**Verdict (validation only)")]
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
    # runs that predate the diagnostics and the validation MRR: n/a, nothing decided
    assert "| enron184 | sparse model | 0 | n/a | n/a | n/a | n/a | n/a |" in text
    assert "*enron184:* n/a: the sparse model and the one without the adversarial" in text
    assert "| enron184 | n/a | not run | n/a (no validation MRR of the sparse model) |" in text


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
    assert "| whole windows | 100,000 | 1,000,000 | 1 | 200.00 | 50.00 | 5.00 | 5.00 | 6,144 | `abc` |" in text
    assert "**2.00x per doubling of E**, 1.00x per doubling per link" in text
    assert "read as the time of the whole epoch not met; read per link met." in text
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
    # validation negatives: the 3 targets before the test ones, drawn the same way
    assert prep.info["val_targets"] == [62, 64] and prep.val_negatives.is_file()
    val = generate_negatives(PairIndex(seq), [62, 63, 64], q=20, max_queries=30, seed=0)
    assert prep.info["val_sha256"] == hashlib.sha256(
        negatives_csv(val, seq.node_ids)).hexdigest()
    assert prep.info["val_queries"] == val.num_queries


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


# ----- diagnostics, validation MRR, the dense model and the choice of the default ----------
def _diag(predicted: int, f1: float, w1: float, ks: float, true: int = 100) -> dict:
    return {"predicted_links": predicted, "true_links": true, "link_ratio": predicted / true,
            "precision": f1, "recall": f1, "f1": f1, "w1": w1, "ks": ks}


def _measured(variant, seed, model, val, diag) -> dict:
    return {**_run(variant, seed, model, 0.2, 0.3), "val_mrr": val, "diagnostics": diag}


def _refused(seed: int, estimate: str = "19.1 GiB") -> dict:
    line = (f"not enough memory for N=1000 nodes: about {estimate} needed (...), 6.1 GiB of "
            f"CPU RAM free; ... --preset sparse")
    return bench_sparse.refused_record("dense", seed, line, commit="c", wall=2.0)


def _new_report() -> dict:
    enron = _dataset("enron184", [], 0.2, 0.3)
    enron["runs"] = ([_measured("sparse", s, 0.5, v, _diag(110 + 10 * s, 0.6, 0.2, 0.1))
                      for s, v in enumerate([0.5, 0.6, 0.7])]
                     + [_measured("no-adversarial", 0, 0.5, 0.55, _diag(300, 0.4, 0.5, 0.05))]
                     + [_measured("dense", s, 0.4, 0.65, _diag(90, 0.5, 0.3, 0.3))
                        for s in range(2)])
    twitter = _dataset("twitter_tennis_rg17", [], 0.2, 0.15)
    twitter["runs"] = [_measured("sparse", 0, 0.3, 0.3, _diag(100, 0.5, 0.1, 0.1)),
                       _refused(0), _refused(1)]
    return {**copy.deepcopy(REPORT), "datasets": [enron, twitter]}


def _split_row(dataset, method, seed, rmse, val_key, val) -> dict:
    return {"dataset": dataset, "method": method, "seed": seed, val_key: val,
            "metrics": {"rmse": rmse, "mae": rmse / 10, "kl": 0.1, "mlsd": 0.2,
                        "mismatch_rate": 0.01 if method == "sparse" else 0.02}}


SPLIT_ROWS = ([_split_row("mesh1", "default", s, 100.0, "val_rmse", 90.0) for s in range(3)]
              + [_split_row("mesh1", "sparse", s, 120.0, "val_mrr", 0.99) for s in range(3)]
              + [_split_row("mesh1", "mean", None, 130.0, "val_rmse", None)])


def test_adversarial_table_and_sentence_from_the_diagnostics():
    text = "\n".join(bench_sparse.render_adversarial(_new_report()))
    assert text.startswith("### What the adversarial term does")
    # sparse: predicted 110, 120, 130 of 100 true -> mean 120 / 100, ratio 1.2
    assert "| enron184 | sparse model | 3 | 120 / 100 | 1.20 | 0.600 | 0.200 | 0.100 |" in text
    assert "|  | no adversarial term (`adv_weight=0`) | 1 | 300 / 100 | 3.00 | 0.400 | 0.500 | " \
           "0.050 |" in text
    assert "|  | dense model (`--preset dense`) | 2 | 90 / 100 | 0.90 |" in text
    assert ("*enron184:* the sparse model (with the adversarial term) is closer to the truth "
            "(with the term closer on link count, F1, W1; without it closer on KS); it "
            "predicts 1.20x the true links with the term, 3.00x without.") in text
    assert "*twitter_tennis_rg17:* n/a" in text          # no run without the term


def test_closer_to_the_truth_per_diagnostic():
    assert bench_sparse._closer("link_ratio", 0.8, 1.3) == 1       # |log .8| < |log 1.3|
    assert bench_sparse._closer("link_ratio", 2.0, 0.5) == 0       # as far on a log scale
    assert bench_sparse._closer("link_ratio", 0.0, 3.0) == 1       # |0 - 1| < |3 - 1|
    assert bench_sparse._closer("f1", 0.5, 0.4) == 1 and bench_sparse._closer("w1", 0.5, 0.4) == -1
    assert bench_sparse._closer("ks", None, 0.4) == 0
    assert bench_sparse._closer("w1", 0.8915016, 0.8915018) == 0   # float noise: a tie


def test_choice_of_the_default_on_validation_with_refusals_and_the_mesh_datasets():
    text = "\n".join(bench_sparse.render_choice(_new_report(), SPLIT_ROWS))
    assert text.startswith("### Choosing the default preset (validation only)")
    # enron184: sparse 0.5/0.6/0.7 -> 0.600 ± 0.100; dense 0.65 twice -> dense wins
    assert "| enron184 | 0.600 ± 0.100 (3 seeds) | 0.650 ± 0.000 (2 seeds) | dense |" in text
    assert ("| twitter_tennis_rg17 | 0.300 (1 seed) | refused: about 19.1 GiB needed "
            "(GCNGAN_MEMORY_LIMIT=8G) | sparse (dense refused) |") in text
    assert ("| mesh1 (split protocol) | not comparable (val MRR 0.990) | not comparable (val "
            "RMSE 90.000) | dense (counted for it) |") in text
    assert "ucsb-meshnet-1005" not in text                        # no rows: not counted
    # dense better on rmse, mae (lower), equal kl, mlsd, worse mismatch: 2 of 5
    assert "the dense model is better on mesh1: 2 of 5 metrics." in text
    assert ("**Verdict (validation only):** the dense model (`dense`) wins on most datasets: "
            "2 of 3 (the sparse model on 1).") in text
    # without the mesh rows: 1 to 1, neither
    alone = "\n".join(bench_sparse.render_choice(_new_report(), None))
    assert ("neither model wins on most datasets: the sparse model on 1, the dense model on 1 "
            "of 2.") in alone
    # a dataset without validation MRR (runs that predate it): no majority -> not decided
    report = _new_report()
    report["datasets"].append(_dataset("collegemsg", [0.2], 0.1, 0.1))
    later = "\n".join(bench_sparse.render_choice(report, None))
    assert ("not decided yet: the sparse model wins on 1, the dense model on 1 of 3 datasets; "
            "no comparable validation MRR on collegemsg.") in later
    report["datasets"].append(_new_report()["datasets"][1])           # sparse wins again
    assert ("not decided yet: the sparse model wins on 2, the dense model on 1 of 4 datasets"
            in "\n".join(bench_sparse.render_choice(report, None)))      # 2 of 4: not most


def test_render_with_the_dense_model_refused_and_new_fields_merged_with_old_runs():
    old = copy.deepcopy(REPORT)                        # runs without the new fields
    new = _new_report()
    new["settings"] = {**SETTINGS, "variants": ["sparse", "no-adversarial", "dense"]}
    merged = bench_sparse.merge(old, new)
    tw = next(d for d in merged["datasets"] if d["dataset"] == "twitter_tennis_rg17")
    assert sorted((r["variant"], r["seed"]) for r in tw["runs"]) == [
        ("dense", 0), ("dense", 1), ("sparse", 0), ("sparse", 1), ("sparse", 2)]
    summ = bench_sparse.summarize(tw)
    assert "predictors" not in summ["dense"] and summ["dense"]["seeds"] == [0, 1]
    assert [r["estimate"] for r in summ["dense"]["refused"]] == ["19.1 GiB", "19.1 GiB"]
    assert summ["sparse"]["val_mrr"][2] == 1             # seeds 1, 2 predate val_mrr
    text = bench_sparse.render(merged, split=SPLIT_ROWS)
    assert ("|  |  |  | dense model (`--preset dense`) | 0 | refused: about 19.1 GiB needed "
            "(GCNGAN_MEMORY_LIMIT=8G) |") in text
    assert "### What the adversarial term does" in text
    assert "### Choosing the default preset (validation only)" in text
    assert "under GCNGAN_MEMORY_LIMIT=8G" in text
    page = "\n".join(render_sparse(merged, split=SPLIT_ROWS))
    assert "| mesh1 (split protocol) |" in page
    assert bench_sparse.PROGRESS.fullmatch(bench_sparse.progress_line("x", _refused(0))) is None
    assert "refused: not enough memory" in bench_sparse.progress_line("x", _refused(0))


def test_dense_variant_records_a_memory_refusal_and_nothing_else(monkeypatch, tmp_path):
    calls = []

    def fake(args, *, env=None, **kw):
        calls.append((args, env))
        raise bench_sparse.GcnganFailed("failed", 2, _refused(0)["refused"])

    monkeypatch.setattr(bench_sparse, "gcngan_process", fake)
    prep = bench_sparse.Prepared("enron184", tmp_path / "d.csv", ["--window", "10"], 5,
                                 tmp_path / "n.csv", {"sha256": "s"}, tmp_path / "v.csv")
    r = bench_sparse.train_and_rank(prep, tmp_path, variant="dense", seed=1, commit="c")
    args, env = calls[0]
    assert args[args.index("--preset") + 1] == bench_sparse.DENSE_PRESET
    assert env == {"GCNGAN_MEMORY_LIMIT": bench_sparse.DENSE_MEMORY_LIMIT}
    assert r["refused"].startswith("not enough memory") and r["estimate"] == "19.1 GiB"
    assert (r["variant"], r["seed"], r["preset"]) == ("dense", 1, bench_sparse.DENSE_PRESET)
    with pytest.raises(bench_sparse.GcnganFailed):      # the sparse model is never excused
        bench_sparse.train_and_rank(prep, tmp_path, variant="sparse", seed=0)
    assert calls[-1][1] is None and "sparse" in calls[-1][0]

    view = ("gcngan: error: c.csv: 194 snapshots x 1899 x 1899 nodes is too large for dense "
            "snapshots (at most 268,435,456 entries); keep the 1176 most active nodes with "
            "--top-k 1176 or use a coarser --granularity")
    monkeypatch.setattr(bench_sparse, "gcngan_process", lambda args, **kw: (_ for _ in ()).throw(
        bench_sparse.GcnganFailed("failed", 2, view)))
    r = bench_sparse.train_and_rank(prep, tmp_path, variant="dense", seed=0)
    assert r["estimate"] == "2.6 GiB" and r["refused"].startswith("c.csv: 194 snapshots")
    assert r["summary"] == ("194 x 1899 x 1899 dense snapshots (2.6 GiB of float32) exceed "
                            "the dense view's 268,435,456 entries")

    def other(args, **kw):
        raise bench_sparse.GcnganFailed("failed", 2, "gcngan: error: bad.csv:3: bad value")

    monkeypatch.setattr(bench_sparse, "gcngan_process", other)
    with pytest.raises(bench_sparse.GcnganFailed):      # other bad input still fails
        bench_sparse.train_and_rank(prep, tmp_path, variant="dense", seed=0)


def test_rank_run_records_validation_mrr_and_diagnostics(monkeypatch, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "log.csv").write_text("epoch,train_seconds,val_seconds,val_rmse\n1,2.0,0.5,0.1\n")
    (run / "metrics.json").write_text(json.dumps({"epochs": 1, "best_epoch": 0}))
    diag = {**_diag(7, 0.5, 0.25, 0.125), "per_target": {"21": [7, 100]}}
    seen = []

    def fake(args, **kw):
        seen.append(list(map(str, args)))
        if "val" in args:
            return (json.dumps({"negatives": {"sha256": "vs"}, "queries": 40,
                                "predictors": {"model": {"all": {"mrr": 0.75}}},
                                "diagnostics": {"model": diag}}), 1.0, 100.0, 0.5)
        row = {"all": {"mrr": 0.5}, "new": {"mrr": 0.25}, "repeated": {"mrr": None}}
        return (json.dumps({"negatives": {"sha256": "s"}, "predictors": {"model": row},
                            "diagnostics": {"model": diag}}), 2.0, 100.0, 1.0)

    monkeypatch.setattr(bench_sparse, "gcngan_process", fake)
    prep = bench_sparse.Prepared("enron184", tmp_path / "d.csv", [], 5, tmp_path / "n.csv",
                                 {"sha256": "s", "val_sha256": "vs"}, tmp_path / "v.csv")
    r = bench_sparse.rank_run(prep, run, tmp_path, variant="dense", seed=0, threads=1,
                              code=None, commit="c", train={"train_wall_seconds": 3.0,
                                                            "train_cpu_seconds": 2.0,
                                                            "peak_rss_mib_train": 9.0})
    test_args, val_args = seen
    assert "--split" not in test_args and str(tmp_path / "n.csv") in test_args
    assert val_args[val_args.index("--split") + 1] == "val"
    assert str(tmp_path / "v.csv") in val_args and "none" in val_args
    assert r["val_mrr"] == 0.75 and r["val_queries"] == 40 and r["val_mrr_per_epoch"] is None
    assert r["diagnostics"] == {k: diag[k] for k in bench_sparse.DIAGNOSTICS}
    assert r["eval_wall_seconds"] == 3.0 and r["preset"] == bench_sparse.DENSE_PRESET
    assert r["predictors"]["model"] == {"mrr": 0.5, "mrr_new": 0.25, "mrr_repeated": None}
    prep.info["val_sha256"] = "other"
    with pytest.raises(RuntimeError, match="other validation negatives"):
        bench_sparse.rank_run(prep, run, tmp_path, variant="dense", seed=0, threads=1,
                              code=None, commit="c", train={})


def test_sampled_against_whole_windows_on_validation():
    """Only datasets with both variants get a row; better/worse beyond the larger seed std,
    else the same; the verdict counts them and says what to do when sampling loses."""
    def runs(variant, vals, seconds):
        out = []
        for seed, v in enumerate(vals):
            r = _run(variant, seed, 0.5, 0.2, 0.3)
            out.append({**r, "val_mrr": v, "train_seconds_per_epoch": [5.0, seconds]})
        return out

    big = _dataset("wikipedia", [0.5], 0.2, 0.3)
    big["num_nodes"] = 9227
    big["runs"] = runs("sparse", [0.60, 0.62, 0.64], 1.0) + runs("whole-window",
                                                                 [0.61, 0.62, 0.63], 4.0)
    worse = copy.deepcopy(big)
    worse["dataset"] = "bitcoin_alpha"
    worse["runs"] = runs("sparse", [0.50, 0.50, 0.51], 1.0) + runs("whole-window",
                                                                   [0.56, 0.57, 0.56], 4.0)
    report = {**REPORT, "datasets": [big, worse, _dataset("enron184", [0.2], 0.2, 0.3)]}
    text = "\n".join(bench_sparse.render_subgraphs(report))
    assert text.startswith("### Sampled subgraphs against whole windows (validation only)")
    assert ("| wikipedia | 9,227 | 0.620 ± 0.020 (3 seeds) | 0.620 ± 0.010 (3 seeds) | "
            "+0.000 (same within seed noise) | 1.0 / 4.0 |") in text
    assert "| bitcoin_alpha | 9,227 | 0.503 ± 0.006 (3 seeds) |" in text
    assert "(whole windows better)" in text and "enron184" not in text
    assert ("within seed noise on 1 of 2 datasets, better on 0, worse on 1 — they cost "
            "validation MRR there") in text
    report["datasets"] = [big]
    assert "the preset keeps them" in "\n".join(bench_sparse.render_subgraphs(report))
    assert bench_sparse.render_subgraphs(REPORT) == []


def test_variants_against_the_preset_on_validation():
    """Each variant's validation MRR beside the preset's where both ran, on the seeds both
    ran (at least two; else all): beyond the larger seed std it is better or worse, else
    the same; one line per variant counts them."""
    def runs(variant, vals):
        return [{**_run(variant, seed, 0.5, 0.2, 0.3), "val_mrr": v}
                for seed, v in enumerate(vals)]

    a = _dataset("twitter_tennis_rg17", [0.5], 0.2, 0.3)
    a["runs"] = (runs("sparse", [0.60, 0.62, 0.64]) + runs("gcn-skip", [0.70, 0.71, 0.72])
                 + runs("no-gcn", [0.61]))
    b = _dataset("enron184", [0.5], 0.2, 0.3)
    b["runs"] = runs("sparse", [0.40, 0.41, 0.42]) + runs("gcn-skip", [0.30, 0.31, 0.32])
    c = _dataset("collegemsg", [0.5], 0.2, 0.3)    # the preset ran 3 more seeds than it
    c["runs"] = (runs("sparse", [0.60, 0.61, 0.62, 0.50, 0.50, 0.50])
                 + runs("gcn-skip", [0.61, 0.62, 0.63]))
    text = "\n".join(bench_sparse.render_variants({**REPORT, "datasets": [a, b, c]}))
    assert ("| skip connection (`gcn_skip=true`) | collegemsg | 0.610 ± 0.010 (3 seeds) | "
            "0.620 ± 0.010 (3 seeds) | +0.010 (same within seed noise) |") in text
    assert text.startswith("### The variants against the preset (validation only)")
    assert ("| skip connection (`gcn_skip=true`) | twitter_tennis_rg17 | 0.620 ± 0.020 "
            "(3 seeds) | 0.710 ± 0.010 (3 seeds) | +0.090 (variant better) |") in text
    assert "| enron184 | 0.410 ± 0.010 (3 seeds) | 0.310 ± 0.010 (3 seeds) | -0.100 (preset " \
           "better) |" in text
    assert ("| no GCN (`encoder=none`) | twitter_tennis_rg17 | 0.620 ± 0.020 (3 seeds) | "
            "0.610 (1 seed) | -0.010 (same within seed noise) |") in text
    assert ("- skip connection (`gcn_skip=true`): better than the preset beyond seed noise "
            "on 1 of 3 datasets, worse on 1, the same within noise on 1.") in text
    assert "no GCN (`encoder=none`): better than the preset beyond seed noise on 0 of 1" in text
    assert "no structure" not in text                      # not run: no row, no line
    no_val = copy.deepcopy(REPORT)                         # runs without a validation MRR
    assert bench_sparse.render_variants(no_val) == []


def test_a_variant_measured_on_an_earlier_preset_is_compared_with_that_preset():
    """When the preset changes, its former runs become a variant (``no-history``) and the
    variants measured on it carry ``base``: each is set beside its base's runs, labelled
    as measured there, in the variants table, the ranking table and the adversarial
    sentence; a variant run again on today's preset is compared with today's."""
    def runs(variant, vals, **extra):
        return [{**_run(variant, seed, 0.5, 0.2, 0.3), "val_mrr": v,
                 "diagnostics": {k: 1.0 for k in bench_sparse.DIAGNOSTICS}, **extra}
                for seed, v in enumerate(vals)]

    a = _dataset("twitter_tennis_rg17", [0.5], 0.2, 0.3)
    a["runs"] = (runs("sparse", [0.70, 0.71, 0.72]) + runs("no-history", [0.60, 0.61, 0.62])
                 + runs("gcn-skip", [0.61, 0.62, 0.63], base="no-history")
                 + runs("no-adversarial", [0.69, 0.70, 0.71]))
    report = {**REPORT, "datasets": [a]}
    text = "\n".join(bench_sparse.render_variants(report))
    later = "on the preset before `history_features` joined it"
    assert (f"| skip connection (`gcn_skip=true`), {later} | twitter_tennis_rg17 | "
            f"0.610 ± 0.010 (3 seeds) | 0.620 ± 0.010 (3 seeds) | +0.010 (same within seed "
            f"noise) |") in text
    assert ("| without the pair's links before the window among the features "
            "(`history_features=false`) | twitter_tennis_rg17 | 0.710 ± 0.010 (3 seeds) | "
            "0.610 ± 0.010 (3 seeds) | -0.100 (preset better) |") in text
    assert ("| no adversarial term (`adv_weight=0`) | twitter_tennis_rg17 | 0.710 ± 0.010 "
            "(3 seeds) | 0.700 ± 0.010 (3 seeds) | -0.010 (preset better) |") in text
    assert (f"- skip connection (`gcn_skip=true`), {later}: better than that preset beyond "
            f"seed noise on 0 of 1") in text
    table = bench_sparse.render(report)
    assert f"| skip connection (`gcn_skip=true`), {later} | 3 |" in table
    assert "| no adversarial term (`adv_weight=0`) | 3 |" in table
    a["runs"] += (runs("no-structure", [0.30, 0.31, 0.32])
                  + runs("no-structure-no-gcn", [0.35, 0.36, 0.37], base="no-history"))
    alone = "\n".join(bench_sparse.render_gcn_alone(report))
    assert f"Some of these runs were measured {later} and the others on today's" in alone
    summ = bench_sparse.summarize(a)
    assert summ["gcn-skip"]["base"] == "no-history" and summ["sparse"]["base"] == "sparse"
    both = bench_sparse.against_preset(a, "gcn-skip")
    assert both[0]["val_mrr"][0] == pytest.approx(0.61)          # its base: no-history
    a["runs"] += runs("gcn-skip", [0.5], base="sparse")[:1]       # one run on each preset
    with pytest.raises(ValueError, match="different presets"):
        bench_sparse.summarize(a)


def test_what_the_gcn_learns_on_its_own():
    """no-structure (with the GCN) against no-structure-no-gcn on validation, per dataset
    where both ran; the verdict counts with-the-GCN wins beyond the larger seed std."""
    def runs(variant, vals):
        return [{**_run(variant, seed, 0.5, 0.2, 0.3), "val_mrr": v}
                for seed, v in enumerate(vals)]

    a = _dataset("collegemsg", [0.5], 0.2, 0.3)
    a["runs"] = runs("no-structure", [0.30, 0.32, 0.34]) + runs("no-structure-no-gcn",
                                                                 [0.20, 0.21, 0.22])
    b = _dataset("wikipedia", [0.5], 0.2, 0.3)
    b["runs"] = runs("no-structure", [0.40, 0.41, 0.42]) + runs("no-structure-no-gcn",
                                                                 [0.40, 0.42, 0.44])
    c = _dataset("enron184", [0.5], 0.2, 0.3)                          # no pair: no row
    text = "\n".join(bench_sparse.render_gcn_alone({**REPORT, "datasets": [a, b, c]}))
    assert text.startswith("### What the GCN learns on its own (validation only)")
    assert ("| collegemsg | 0.320 ± 0.020 (3 seeds) | 0.210 ± 0.010 (3 seeds) | +0.110 "
            "(with the GCN better) |") in text
    assert "| wikipedia | 0.410 ± 0.010 (3 seeds) | 0.420 ± 0.020 (3 seeds) | -0.010 (same " \
           "within seed noise) |" in text and "enron184" not in text
    assert ("the GCN is better beyond seed noise on 1 of 2 datasets, worse on 0, the same "
            "within noise on 1.") in text
    assert bench_sparse.render_gcn_alone(REPORT) == []


def test_uneven_ablation_seeds_are_said():
    report = copy.deepcopy(REPORT)                   # enron184: no-adversarial seed 0 only
    assert not bench_sparse._uneven_ablations(report)
    report["datasets"][1]["runs"] += [_run("no-adversarial", s, 0.1, 0.2, 0.15)
                                      for s in (0, 1)]
    assert bench_sparse._uneven_ablations(report)
    assert "(not all on every dataset: the *seeds* column counts each row's runs)" in \
        bench_sparse.render(report)


def test_rank_run_also_ranks_the_destination_negatives(monkeypatch, tmp_path):
    """With destination negatives prepared, every predictor is ranked on them too and the
    record keeps them apart (``destination_predictors``); another file's sha256 fails."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "log.csv").write_text("epoch,train_seconds,val_seconds,val_mrr\n1,2.0,0.5,0.4\n")
    (run / "metrics.json").write_text(json.dumps({"epochs": 1, "best_epoch": 1}))
    seen = []

    def fake(args, **kw):
        args = list(map(str, args))
        seen.append(args)
        neg = args[args.index("--negatives") + 1]
        mrr, sha = {"n.csv": (0.5, "s"), "v.csv": (0.6, "vs"), "d.csv": (0.3, "ds")}[
            neg.rsplit("/", 1)[-1]]
        row = {"all": {"mrr": mrr}, "new": {"mrr": mrr / 2}, "repeated": {"mrr": mrr * 2}}
        return (json.dumps({"negatives": {"sha256": sha}, "queries": 5,
                            "predictors": {"model": row, "ewma": row}}), 1.0, 10.0, 1.0)

    monkeypatch.setattr(bench_sparse, "gcngan_process", fake)
    info = {"sha256": "s", "val_sha256": "vs", "destination_sha256": "ds"}
    prep = bench_sparse.Prepared("enron184", tmp_path / "x.csv", [], 5, tmp_path / "n.csv",
                                 info, tmp_path / "v.csv", tmp_path / "d.csv")
    r = bench_sparse.rank_run(prep, run, tmp_path, variant="sparse", seed=0, threads=1,
                              code=None, commit="c", train={})
    assert len(seen) == 3 and "--split" not in seen[2]
    assert r["predictors"]["model"]["mrr"] == 0.5 and r["val_mrr"] == 0.6
    assert r["destination_predictors"]["model"] == {"mrr": 0.3, "mrr_new": 0.15,
                                                    "mrr_repeated": 0.6}
    assert r["eval_wall_seconds"] == 3.0
    info["destination_sha256"] = "other"
    with pytest.raises(RuntimeError, match="other destination negatives"):
        bench_sparse.rank_run(prep, run, tmp_path, variant="sparse", seed=0, threads=1,
                              code=None, commit="c", train={})


def test_destination_negatives_table_and_verdicts():
    """Runs ranked on destination negatives get their own table, verdicts and count; runs
    that predate them are left out; no such run -> no section."""
    report = copy.deepcopy(REPORT)
    assert "On destination negatives" not in bench_sparse.render(report)
    enron = report["datasets"][0]
    for r, m in zip(enron["runs"], (0.1, 0.2, 0.3, 0.05)):      # 3 sparse + 1 ablation
        r["destination_predictors"] = {
            "model": {"mrr": m, "mrr_new": m / 2, "mrr_repeated": m},
            "ewma": {"mrr": 0.15, "mrr_new": 0.1, "mrr_repeated": 0.2},
            "common-neighbours": {"mrr": 0.1, "mrr_new": 0.1, "mrr_repeated": 0.1},
            "stacked-heuristics": {"mrr": 0.25, "mrr_new": 0.1, "mrr_repeated": 0.3}}
    del enron["runs"][2]["destination_predictors"]             # a run from before
    enron["destination_queries"] = 99
    text = bench_sparse.render(report)
    assert "### On destination negatives (TGB's random draw)" in text
    assert "| enron184 | 99 | sparse model | 2 | 0.150 ± 0.071 | 0.075 ± 0.035 | " \
           "0.150 ± 0.071 |" in text
    assert "|  |  | no adversarial term (`adv_weight=0`) | 1 | 0.050 |" in text
    assert "|  |  | ewma (best heuristic) |  | 0.150 | 0.100 | 0.200 |" in text
    assert ("**On destination negatives (enron184):** sparse model MRR 0.150 ± 0.071 (mean of "
            "2 seeds) meets the best single heuristic ewma (0.150, +0.000, +0.0%); misses "
            "stacked-heuristics (0.250, -0.100, -40.0%).") in text
    assert "is >= the best single heuristic's on 1 of 1 datasets and >= " \
           "stacked-heuristics' on 0 of 1." in text


def test_rebase_preset_turns_the_preset_runs_into_the_variant_they_now_are(tmp_path):
    """--rebase-preset no-history: the preset's runs become no-history's (its switch in
    ``sets``), the other variants' runs get base no-history, the dense model's none; a
    second rebase onto the same variant is refused; the document is rewritten in place."""
    report = copy.deepcopy(REPORT)
    report["datasets"][0]["runs"].append(_run("dense", 0, 0.1, 0.2, 0.3))
    out = bench_sparse.rebase_preset(report, "no-history")
    runs = out["datasets"][0]["runs"]
    assert [r["variant"] for r in runs] == ["no-history"] * 3 + ["no-adversarial", "dense"]
    assert runs[0]["sets"] == ["history_features=false"]
    assert [r.get("base") for r in runs] == [None] * 3 + ["no-history", None]
    assert report["datasets"][0]["runs"][0]["variant"] == "sparse"       # not in place
    assert "no-history" in out["settings"]["variants"]
    with pytest.raises(ValueError, match="has runs already"):
        bench_sparse.rebase_preset(out, "no-history")
    with pytest.raises(ValueError, match="no earlier preset"):
        bench_sparse.rebase_preset(report, "no-gcn")
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"command": "first", "sparse": {**report, "cost": {"x": 1}}}))
    assert bench_sparse.main(["--rebase-preset", "no-history", "--results", str(path)]) == 0
    doc = json.loads(path.read_text())
    assert doc["sparse"]["cost"] == {"x": 1}
    assert doc["sparse"]["datasets"][1]["runs"][0]["variant"] == "no-history"
    assert doc["command"].splitlines() == [
        "first", f"python scripts/bench_sparse.py --rebase-preset no-history --results {path}"]
