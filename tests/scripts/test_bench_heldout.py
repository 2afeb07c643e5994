"""The held-out-future benchmark (scripts/bench_heldout.py): the cut in time, the queries
and their negatives, the MRR by horizon, and the section it renders and merges."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bench_heldout
from bench.harness import merge_documents


def _events(n: int = 400, nodes: int = 30, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"timestamp": rng.permutation(np.arange(n)) * 60 + 10**9,
                         "src": rng.integers(0, nodes, n), "dst": rng.integers(0, nodes, n),
                         "weight": 1})


def test_an_event_stream_is_cut_after_its_first_share_of_events_in_time():
    df = _events()
    past, future, col, kind = bench_heldout.split_past_future(df, 0.85)
    assert (col, kind) == ("timestamp", "events")
    assert len(past) == 340 and len(future) == 60
    assert past["timestamp"].max() < future["timestamp"].min()


def test_queries_rank_a_future_link_against_historical_and_uniform_negatives():
    past, future, col, _ = bench_heldout.split_past_future(_events(), 0.85)
    pairs = bench_heldout.draw_queries(past, future, col, max_queries=25, negatives=8)
    nodes = set(past["src"]) | set(past["dst"])
    history = past.groupby("src")["dst"].apply(set).to_dict()
    assert pairs["query"].nunique() == 25 and int(pairs["label"].sum()) == 25
    for _, q in pairs.groupby("query"):
        assert bool(q["label"].iloc[0]) and not q["label"].iloc[1:].any()
        u, v = q["src"].iloc[0], q["dst"].iloc[0]
        negs = q["dst"].iloc[1:].to_numpy()
        assert (q["src"] == u).all() and q[col].nunique() == 1
        assert len(negs) == 8 and len(set(negs)) == 8 and u not in negs and v not in negs
        assert {u, v} <= nodes and set(negs) <= nodes
        hist = history.get(u, set()) - {u, v}
        assert sum(w in hist for w in negs[:4]) == min(4, len(hist))
        assert ((future["src"] == u) & (future["dst"] == v)).any()
    again = bench_heldout.draw_queries(past, future, col, max_queries=25, negatives=8)
    pd.testing.assert_frame_equal(pairs, again)                       # seeded


def test_mrr_is_split_by_how_far_past_the_data_a_query_lies():
    ranks = np.array([1.0, 2.0, 1.0, 4.0, 5.0])
    ahead = np.array([-1, 0, 1, 9, 10])
    got = bench_heldout.horizon_mrr(ranks, ahead)
    assert got["all"] == pytest.approx(np.mean(1 / ranks))
    assert got["next"] == pytest.approx(0.75) and got["10+ later"] == pytest.approx(0.2)
    assert got["1-9 later"] == pytest.approx((1 + 0.25) / 2)
    assert bench_heldout.horizon_mrr(np.array([1.0]), np.array([0]))["10+ later"] is None


def _record(name: str, model: float, stacked: float, commit: str = "abc") -> dict:
    none = {"next": None, "1-9 later": None, "10+ later": None}
    return {"dataset": name, "queries": 10, "horizon_queries": {"next": 10, "1-9 later": 0,
                                                                "10+ later": 0},
            "granularity": "1d", "train_wall_seconds": 5.0, "train_peak_rss_mib": 600.0,
            "commit": commit,
            "predictors": {"model": {"all": model, **none},
                           "stacked-heuristics": {"all": stacked, **none},
                           "ewma": {"all": 0.2, **none}, "edgebank-inf": {"all": 0.1, **none}}}


def _report(*records) -> dict:
    return {"date": "2026-12-06", "commit": "abc", "wall_seconds": 60.0,
            "settings": {"train_share": 0.85, "max_queries": 10, "negatives": 20,
                         "threads": 1, "baselines": []},
            "datasets": list(records)}


def test_the_section_states_each_files_verdict_from_the_numbers():
    text = "\n".join(bench_heldout.render(_report(_record("collegemsg", 0.5, 0.4),
                                                  _record("enron184", 0.3, 0.35))))
    assert "## Held-out future through the command line" in text
    assert "| collegemsg | 10 (10 / 0 / 0) | 1d | **sparse model (default preset)** | 0.500 |" \
        in text
    assert "| ewma (best heuristic) | 0.200 |" in text
    assert "on 1 of 2 files" in text
    assert "- enron184: model 0.300 against the best single heuristic ewma 0.200 (ahead, " \
           "+0.100) and stacked-heuristics 0.350 (behind, -0.050)" in text


def test_a_partial_run_replaces_only_its_files():
    old = {"generated": "a", "profile": "full", "command": "x", "environment": {},
           "heldout": _report(_record("collegemsg", 0.5, 0.4), _record("enron184", 0.3, 0.35))}
    new = {"generated": "b", "profile": "full", "command": "y", "environment": {},
           "heldout": _report(_record("enron184", 0.6, 0.35, commit="new"))}
    merged = merge_documents(old, new)["heldout"]
    assert [(r["dataset"], r["commit"]) for r in merged["datasets"]] == \
        [("collegemsg", "abc"), ("enron184", "new")]
    assert merged["wall_seconds"] == 120.0


def test_a_variant_is_a_row_beside_the_run_with_no_flags():
    """Records of a ``--set`` variant merge beside the no-flag record of the same file (not
    over it) and render as their own model row and verdict clause; the count of files
    where the model leads is the no-flag model's."""
    base = _report(_record("collegemsg", 0.31, 0.33), _record("enron184", 0.36, 0.35))
    variant = {**_record("collegemsg", 0.44, 0.0, commit="new"), "variant": "max_horizon=15"}
    variant["predictors"] = {"model": variant["predictors"]["model"]}
    old = {"generated": "a", "profile": "full", "command": "x", "environment": {},
           "heldout": base}
    new = {"generated": "b", "profile": "full", "command": "y", "environment": {},
           "heldout": _report(variant)}
    merged = merge_documents(old, new)["heldout"]
    assert [(r["dataset"], r.get("variant", "")) for r in merged["datasets"]] == \
        [("collegemsg", ""), ("collegemsg", "max_horizon=15"), ("enron184", "")]
    text = "\n".join(bench_heldout.render(merged))
    assert "|  |  |  | sparse model with `--set max_horizon=15` | 0.440 |" in text
    assert "With `--set max_horizon=15`: 0.440 (ahead, +0.130 against the default; ahead, " \
           "+0.110 against stacked-heuristics)." in text
    assert "on 1 of 2 files" in text


def test_rebase_default_names_what_the_earlier_default_trained(tmp_path):
    """--rebase-default history_features=false: the records with no flags become that
    variant's and each variant's settings start with it; merged with a new run with no
    flags, both render, the earlier one as a variant row; a second rebase is refused; the
    document is rewritten in place."""
    import json

    h15 = {**_record("collegemsg", 0.44, 0.0), "variant": "max_horizon=15"}
    report = _report({**_record("collegemsg", 0.31, 0.33), "variant": ""}, h15)
    out = bench_heldout.rebase_default(report, "history_features=false")
    assert [r["variant"] for r in out["datasets"]] == [
        "history_features=false", "history_features=false max_horizon=15"]
    assert report["datasets"][0]["variant"] == ""                      # not in place
    with pytest.raises(ValueError, match="exist already"):
        bench_heldout.rebase_default(out, "history_features=false")
    new = _report({**_record("collegemsg", 0.50, 0.33, commit="new"), "variant": ""})
    merged = merge_documents(
        {"generated": "a", "profile": "full", "command": "x", "environment": {},
         "heldout": out},
        {"generated": "b", "profile": "full", "command": "y", "environment": {},
         "heldout": new})["heldout"]
    text = "\n".join(bench_heldout.render(merged))
    assert "| **sparse model (default preset)** | 0.500 |" in text
    assert "With `--set history_features=false`: 0.310 (behind, -0.190 against the " \
           "default" in text
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"command": "first", "heldout": report}))
    assert bench_heldout.main(["--rebase-default", "history_features=false",
                               "--results", str(path)]) == 0
    doc = json.loads(path.read_text())
    assert doc["heldout"]["datasets"][0]["variant"] == "history_features=false"
    assert doc["command"].splitlines()[-1].startswith(
        "python scripts/bench_heldout.py --rebase-default history_features=false")
