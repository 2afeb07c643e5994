"""Ranking protocol: ranks with half ties, Hits@k, new vs repeated, AUC/AP, weight errors,
negatives generation and the negatives file (round trip, sha256, validation)."""
from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pandas as pd
import pytest

from gcngan.config import DataConfig
from gcngan.data import load_snapshots
from gcngan.errors import InputError
from gcngan.ranking import (DensePredictor, ap_score, auc_score, evaluate_ranking,
                            forecasts_weights, format_link_diagnostics, format_ranking_table,
                            generate_negatives, link_diagnostics, query_ranks, rank_summary,
                            read_negatives, sha256_path, write_negatives)
from gcngan.data.snapshots import SnapshotSequence
from gcngan.structural import PairIndex, PairPredictor, WindowMeanPairs


def test_hand_computed_mrr_with_ties():
    # q0: pos .5 vs .9 (higher), .5 (tie), .1 -> rank 1 + 1 + 0.5 = 2.5
    # q1: pos .8 vs .8, .8 (two ties), .2      -> rank 1 + 0 + 1   = 2
    # q2: pos .3 vs .1, .2                     -> rank 1
    score = np.array([.5, .9, .5, .1, .8, .8, .8, .2, .3, .1, .2])
    query = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
    label = np.array([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0], dtype=bool)
    ranks = query_ranks(score, query, label)
    assert ranks.tolist() == [2.5, 2.0, 1.0]
    s = rank_summary(ranks)
    assert s["mrr"] == pytest.approx((1 / 2.5 + 1 / 2 + 1) / 3)
    assert (s["hits@1"], s["hits@3"], s["queries"]) == (pytest.approx(1 / 3), 1.0, 3)


def test_hits_at_10_counts_half_ties():
    """9 higher + 1 tie -> rank 10.5, not a hit at 10; 9 higher -> rank 10, a hit."""
    score = np.r_[0.5, np.full(9, 0.9), 0.5, 0.0, 0.5, np.full(9, 0.9), 0.1]
    query = np.r_[np.zeros(12, int), np.ones(11, int)]
    label = np.zeros(23, dtype=bool)
    label[[0, 12]] = True
    ranks = query_ranks(score, query, label)
    assert ranks.tolist() == [10.5, 10.0]
    assert rank_summary(ranks)["hits@10"] == 0.5


def test_rows_of_a_query_may_come_in_any_order():
    score = np.array([.9, .5, .1, .7])
    query = np.array([1, 0, 1, 0])
    label = np.array([False, False, True, True])
    assert query_ranks(score, query, label).tolist() == [1.0, 2.0]


def test_auc_and_ap_against_brute_force():
    rng = np.random.default_rng(0)
    score = rng.integers(0, 4, 40).astype(float)                    # many ties
    label = rng.random(40) < 0.3
    pos, neg = score[label], score[~label]
    pairs = [(p > n) + 0.5 * (p == n) for p, n in itertools.product(pos, neg)]
    assert auc_score(score, label) == pytest.approx(np.mean(pairs))
    ap = 0.0
    prev_recall = 0.0
    for thr in sorted(set(score), reverse=True):                    # one threshold per value
        sel = score >= thr
        recall = (sel & label).sum() / label.sum()
        ap += (recall - prev_recall) * (sel & label).sum() / sel.sum()
        prev_recall = recall
    assert ap_score(score, label) == pytest.approx(ap)
    assert np.isnan(auc_score(score, np.zeros(40, bool)))


@pytest.fixture
def small(write):
    """5 nodes, 6 snapshots, directed, weighted; link 0->1 in every snapshot, 0->2 only at
    t=5 (new there), 3->4 at t=1 and t=5 (repeated at t=5)."""
    rows = ["t,src,dst,weight"]
    for t in range(6):
        rows.append(f"{t},a,b,{t + 1}")
    rows += ["5,a,c,2", "1,d,e,3", "5,d,e,4", "0,e,d,1", "2,c,a,1"]
    path = write("small.csv", "\n".join(rows) + "\n")
    return load_snapshots(path, DataConfig(directed=True))


class Fixed(PairPredictor):
    """A predictor returning a given score/weight per (src, dst) of node ids."""

    def __init__(self, seq, table: dict) -> None:
        self.pos = {str(x): i for i, x in enumerate(seq.node_ids)}
        self.table = {(self.pos[s], self.pos[d]): v for (s, d), v in table.items()}

    def score_pairs(self, seq, t, src, dst, window, horizon=0):
        out = np.array([self.table.get((int(s), int(d)), (0.0, 0.0)) for s, d in zip(src, dst)])
        return out[:, 0], out[:, 1]


def test_score_tells_the_predictor_how_far_past_the_data_a_row_lies(small, write, tmp_path):
    """gcngan score (lenient): a row past the snapshot after the data is scored from the
    last window with horizon = t - T, capped at the predictor's max_horizon; inside the
    data, or for a predictor without a horizon (the heuristics), horizon 0."""
    from gcngan.ranking import score_pairs_file

    class Ahead(PairPredictor):
        max_horizon = 3

        def __init__(self):
            self.calls = []

        def score_pairs(self, seq, t, src, dst, window, horizon=0):
            self.calls.append((int(t), int(horizon), len(src)))
            return np.full(len(src), float(horizon)), np.zeros(len(src))

    pairs = write("pairs.csv", "t,src,dst\n3,a,b\n6,a,b\n7,a,b\n11,a,b\n8,a,c\n")
    ahead = Ahead()
    score_pairs_file(ahead, small, pairs, tmp_path / "out.csv", 2, strict=False)
    assert sorted(ahead.calls) == [(3, 0, 1), (6, 0, 1), (6, 1, 1), (6, 2, 1), (6, 3, 1)]
    assert pd.read_csv(tmp_path / "out.csv")["score"].tolist() == [0.0, 0.0, 1.0, 3.0, 2.0]
    score_pairs_file(WindowMeanPairs(), small, pairs, tmp_path / "mean.csv", 2, strict=False)
    mean = pd.read_csv(tmp_path / "mean.csv")["score"].tolist()
    assert mean[1] == mean[2] == mean[3] and WindowMeanPairs.max_horizon == 0


def test_new_vs_repeated_split_and_weight_errors(small):
    seq = small
    cands = generate_negatives(seq, [5], q=3, max_queries=100, seed=0)
    assert cands.num_queries == 3                                   # a->b, a->c, d->e at t=5
    truth = {("a", "b"): 6.0, ("a", "c"): 2.0, ("d", "e"): 4.0}
    # perfect scores for the repeated links, the new one ranked last
    pred = Fixed(seq, {("a", "b"): (1.0, 6.0), ("d", "e"): (1.0, 3.0), ("a", "c"): (-1.0, 0.0)})
    res = evaluate_ranking({"fixed": pred}, seq, cands, window=2)
    assert (res["queries"], res["new"], res["repeated"]) == (3, 1, 2)
    r = res["predictors"]["fixed"]
    assert r["repeated"]["mrr"] == 1.0
    assert r["new"]["mrr"] == pytest.approx(1 / 4)                  # 3 negatives score 0 > -1
    assert r["all"]["mrr"] == pytest.approx((1 + 1 + 0.25) / 3)
    # weight errors over every candidate row: positives off by 0, 1 (d->e) and 2 (a->c)
    n_rows = len(cands)
    assert r["rmse"] == pytest.approx(np.sqrt((1 + 4) / n_rows))
    assert r["mae"] == pytest.approx(3 / n_rows)
    assert res["weighted"] and set(truth) <= {(seq.node_ids[s], seq.node_ids[d])
                                              for s, d in zip(cands.src, cands.dst)}


def test_negatives_respect_the_rules(shared_file):
    seq = load_snapshots(shared_file("enron184/enron184.csv"), DataConfig())
    index = PairIndex(seq)
    T, n, q = seq.num_snapshots, seq.num_nodes, 20
    cands = generate_negatives(index, [T - 2, T - 1], q=q, max_queries=150, seed=0)
    again = generate_negatives(index, [T - 2, T - 1], q=q, max_queries=150, seed=0)
    assert np.array_equal(cands.dst, again.dst)                         # seeded
    for t in (T - 2, T - 1):
        assert len(np.unique(cands.query[cands.t == t])) == 150          # at most max_queries
    hist_counts: list[int] = []
    for qid in range(cands.num_queries):
        rows = cands.query == qid
        u = cands.src[rows][0]
        t = cands.t[rows][0]
        assert (cands.src[rows] == u).all() and cands.label[rows].sum() == 1
        v = cands.dst[rows][cands.label[rows]][0]
        negs = cands.dst[rows][~cands.label[rows]]
        assert u != v and index.gather(t, index.keys([u], [v]))[0] > 0
        assert len(negs) == q and len(set(negs.tolist())) == q          # no duplicates
        assert (negs != u).all()
        assert (index.gather(t, index.keys(np.full(q, u), negs)) == 0).all()
        hist = set(index.history(u, t).tolist()) - set(
            (index.snapshot(t)[0][(index.snapshot(t)[0] // n) == u] % n).tolist())
        k = min(q // 2, len(hist))
        assert set(negs[:k].tolist()) <= hist                           # historical first
        hist_counts.append(k)
    assert max(hist_counts) == q // 2 and min(hist_counts) < q // 2     # both cases occur


def _uniform_negatives(index, cands, q: int, t: int) -> list[np.ndarray]:
    """Each query's uniform negatives at target ``t`` (after its historical ones)."""
    out = []
    for qid in np.unique(cands.query[cands.t == t]):
        rows = cands.query == qid
        u = cands.src[rows][0]
        negs = cands.dst[rows][~cands.label[rows]]
        hist = np.setdiff1d(index.history(u, t), [u])
        hist = np.setdiff1d(hist, cands.dst[rows][cands.label[rows]])
        k = min(q // 2, int(np.isin(negs, hist).sum()))
        assert np.isin(negs[:k], hist).all()
        out.append(negs[k:])
    return out


def test_a_negative_pool_shares_the_uniform_negatives_of_a_target(tmp_path):
    """pool=K: a target's queries draw their uniform negatives from one set of K nodes
    (so its candidates have at most K uniform endpoints), still valid negatives without
    duplicates; pool=0 and pool >= N are the evaluation's draw, unchanged."""
    from gcngan.data.synthetic import generate_social

    csv = tmp_path / "social.csv"
    generate_social(num_nodes=400, num_snapshots=6, links_per_node=3, seed=0).to_csv(
        csv, index=False)
    index = PairIndex(load_snapshots(str(csv), DataConfig(window=3)))
    n, q, targets = index.num_nodes, 10, [4, 5]
    plain = generate_negatives(index, targets, q=q, max_queries=100, seed=3)
    for same in (0, n, n + 5):
        other = generate_negatives(index, targets, q=q, max_queries=100, seed=3, pool=same)
        assert np.array_equal(other.dst, plain.dst) and np.array_equal(other.src, plain.src)
    pooled = generate_negatives(index, targets, q=q, max_queries=100, seed=3, pool=25)
    assert pooled.num_queries == plain.num_queries == 200
    for t in targets:
        uni = _uniform_negatives(index, pooled, q, t)
        assert len(np.unique(np.concatenate(uni))) <= 25
        assert len(np.unique(np.concatenate(_uniform_negatives(index, plain, q, t)))) > 100
        for qid in np.unique(pooled.query[pooled.t == t]):
            rows = pooled.query == qid
            u, negs = pooled.src[rows][0], pooled.dst[rows][~pooled.label[rows]]
            assert len(negs) == q and len(set(negs.tolist())) == q and (negs != u).all()
            assert (index.gather(t, index.keys(np.full(q, u), negs)) == 0).all()
    with pytest.raises(InputError, match="negative pool -1"):
        generate_negatives(index, targets, q=q, pool=-1)


def test_whole_source_queries_keep_every_link_of_all_but_the_last_source(tmp_path):
    """queries_by='sources': a target with more links than max_queries asks exactly that
    many, every link of the sources drawn but the last (part of its links), so the queries
    have far fewer sources than a uniform draw; 'links' (the default) is unchanged; a
    target with few links asks all of them either way; a wrong name is one error."""
    from gcngan.data.synthetic import generate_social

    csv = tmp_path / "social.csv"
    generate_social(num_nodes=400, num_snapshots=6, links_per_node=3, seed=0).to_csv(
        csv, index=False)
    index = PairIndex(load_snapshots(str(csv), DataConfig(window=3)))
    n, t = index.num_nodes, 5
    keys, _ = index.snapshot(t)
    links = keys[keys // n != keys % n]
    plain = generate_negatives(index, [t], q=4, max_queries=100, seed=3)
    same = generate_negatives(index, [t], q=4, max_queries=100, seed=3, queries_by="links")
    assert np.array_equal(plain.dst, same.dst) and np.array_equal(plain.src, same.src)
    grouped = generate_negatives(index, [t], q=4, max_queries=100, seed=3,
                                 queries_by="sources")
    asked = grouped.src[grouped.label] * n + grouped.dst[grouped.label]
    assert grouped.num_queries == 100 and np.isin(asked, links).all()
    assert np.unique(asked).size == 100
    sources = np.unique(grouped.src[grouped.label])
    partial = [u for u in sources
               if np.isin(links[links // n == u], asked).sum() < (links // n == u).sum()]
    assert len(partial) <= 1                                 # whole sources but the last
    assert sources.size < 0.6 * np.unique(plain.src[plain.label]).size
    everything = generate_negatives(index, [t], q=4, max_queries=links.size, seed=3,
                                    queries_by="sources")
    assert np.array_equal(np.sort(everything.src[everything.label] * n
                                  + everything.dst[everything.label]), np.sort(links))
    with pytest.raises(InputError, match="queries drawn by 'nodes'"):
        generate_negatives(index, [t], q=4, queries_by="nodes")


def test_negatives_file_round_trip_and_sha256(small, tmp_path):
    cands = generate_negatives(small, [4, 5], q=3, seed=1)
    path = tmp_path / "neg.csv"
    digest = write_negatives(path, cands, small.node_ids)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert sha256_path(path).read_text() == f"{digest}  neg.csv\n"
    back = read_negatives(path, small, window=2)
    for f in ("query", "t", "src", "dst", "label"):
        np.testing.assert_array_equal(getattr(back, f), getattr(cands, f))
    assert back.sha256 == digest
    df = pd.read_csv(path, dtype=str)
    assert list(df.columns) == ["query", "t", "src", "dst", "label"]
    assert set(df["src"]) <= {"a", "b", "c", "d", "e"}                  # original node ids
    assert (df.groupby("query")["label"].apply(lambda s: (s == "1").sum()) == 1).all()
    # a tampered file no longer matches its sha256
    path.write_text(path.read_text().replace(",1\n", ",0\n", 1))
    with pytest.raises(InputError, match="does not match"):
        read_negatives(path, small, window=2)


@pytest.mark.parametrize("body, message", [
    ("0,5,a,b,1\n0,5,a,c,0\n1,5,d,e,0\n1,5,d,a,0\n", r"bad\.csv:4: query '1' has 0 rows"),
    ("0,5,a,b,1\n0,5,a,c,1\n", r"bad\.csv:2: query '0' has 2 rows"),
    ("0,5,a,b,1\n0,5,a,zz,0\n", r"bad\.csv:3: unknown node id 'zz' in column dst"),
    ("0,9,a,b,1\n0,9,a,c,0\n", r"bad\.csv:2: t=9 out of range"),
    ("0,1,a,b,1\n0,1,a,c,0\n", r"bad\.csv:2: t=1 out of range"),
    ("0,5,a,b,1\n0,4,a,c,0\n", r"bad\.csv:3: query '0' mixes snapshots"),
    ("0,5,a,b,2\n", r"bad\.csv:2: label '2' must be 0 or 1"),
    ("0,x,a,b,1\n", r"bad\.csv:2: t='x' is not an integer"),
])
def test_a_bad_negatives_file_names_file_and_line(small, write, body, message):
    path = write("bad.csv", "query,t,src,dst,label\n" + body)
    with pytest.raises(InputError, match=message):
        read_negatives(path, small, window=2)


def test_missing_columns_are_named(small, write):
    path = write("bad.csv", "query,t,src,dst\n0,5,a,b\n")
    with pytest.raises(InputError, match="missing column.*label"):
        read_negatives(path, small, window=2)


class Forecaster(Fixed):
    forecasts_weights = True


def test_link_diagnostics_hand_computed(small):
    """t=5: true links a->b 6, a->c 2, d->e 4. The forecaster predicts a->b 6 (right), d->e 3
    (too low), a->d 1 (a false link) and misses a->c. The 12 candidate rows hold 8 distinct
    pairs (a's two queries share the negatives d, e): 3 predicted, 3 true, 2 right."""
    seq = small
    cands = generate_negatives(seq, [5], q=3, max_queries=100, seed=0)
    n = seq.num_nodes
    assert len(cands) == 12 and np.unique(cands.src * n + cands.dst).size == 8
    pred = Forecaster(seq, {("a", "b"): (1.0, 6.0), ("d", "e"): (0.9, 3.0),
                            ("a", "d"): (0.5, 1.0)})
    res = evaluate_ranking({"model": pred, "window-mean": WindowMeanPairs()}, seq, cands,
                           window=2)
    assert set(res["diagnostics"]) == {"model"}          # the heuristic gets no block
    d = res["diagnostics"]["model"]
    assert (d["predicted_links"], d["true_links"]) == (3, 3) and d["link_ratio"] == 1.0
    assert d["precision"] == d["recall"] == d["f1"] == pytest.approx(2 / 3)
    # on the true links, predicted [6, 0, 3] vs true [6, 2, 4]: sorted |diff| 2, 1, 0 -> W1 1;
    # CDFs differ by at most 1/3 (on [0, 2) and [3, 4))
    assert d["w1"] == pytest.approx(1.0) and d["ks"] == pytest.approx(1 / 3)
    assert d["per_target"] == {5: [3, 3]}
    line = format_link_diagnostics("model", d)
    assert "3 links predicted" in line and "F1 0.667" in line and "W1 1.000" in line
    # nothing predicted: precision undefined, recall 0, every true weight missed
    none = link_diagnostics(PairIndex(seq), cands, np.zeros(len(cands)))
    assert (none["predicted_links"], none["precision"], none["recall"], none["f1"]) == \
        (0, None, 0.0, 0.0)
    assert none["w1"] == pytest.approx(4.0) and none["ks"] == pytest.approx(1.0)


def test_which_predictors_forecast_weights():
    from gcngan.nn.sparse_model import SparsePredictor

    assert forecasts_weights(DensePredictor(None, epsilon=0.0))
    assert forecasts_weights(SparsePredictor.__new__(SparsePredictor))
    assert not forecasts_weights(WindowMeanPairs()) and not forecasts_weights(object())


def test_table_marks_the_best_in_bold(small):
    cands = generate_negatives(small, [5], q=3, seed=0)
    good = Fixed(small, {("a", "b"): (1.0, 6.0), ("d", "e"): (1.0, 4.0), ("a", "c"): (1.0, 2.0)})
    bad = Fixed(small, {})
    res = evaluate_ranking({"good": good, "bad": bad}, small, cands, window=2)
    assert res["best"]["mrr"] == ["good"] and res["best"]["rmse"] == ["good"]
    table = format_ranking_table(res)
    assert "| good | **1.0000** |" in table
    # all four candidates tie: rank 1 + 1.5, MRR 0.4; Hits@3 ties with good's 1.0: bold too
    assert "| bad | 0.4000 | 0.0000 | **1.0000** |" in table


@pytest.fixture
def user_item(tmp_path):
    """A bipartite stream: users 0..119 link to items 120..179 only (items are the only
    destinations), 6 snapshots."""
    rng = np.random.default_rng(5)
    rows = [(t, u, 120 + int(rng.integers(0, 60)))
            for t in range(6) for u in range(120) for _ in range(2)]
    csv = tmp_path / "user_item.csv"
    pd.DataFrame(rows, columns=["t", "src", "dst"]).to_csv(csv, index=False)
    return PairIndex(load_snapshots(str(csv), DataConfig(window=3, directed=True)))


def test_destinations_are_the_nodes_some_link_points_to_up_to_t(user_item):
    index = user_item
    n = index.num_nodes
    for t in range(index.num_snapshots):
        seen = set()
        for k in range(t + 1):
            seen |= set((index.snapshot(k)[0] % n).tolist())
        assert index.destinations(t).tolist() == sorted(seen)
    ids = np.asarray(index.seq.node_ids)
    assert (ids[index.destinations(5)] >= 120).all()                  # items only


@pytest.mark.parametrize("uniform_from", ["destinations", "both"])
def test_uniform_negatives_from_the_destinations(user_item, uniform_from):
    """destinations: every uniform negative is a node some link pointed to up to t (no
    users on a user -> item stream, as TGB's random negatives); both: half of them are;
    all: mostly users. Each is still a valid negative without duplicates."""
    index, q, targets = user_item, 10, [4, 5]
    n = index.num_nodes
    plain = generate_negatives(index, targets, q=q, max_queries=100, seed=3)
    cands = generate_negatives(index, targets, q=q, max_queries=100, seed=3,
                               uniform_from=uniform_from)
    assert cands.num_queries == plain.num_queries == 200
    for t in targets:
        dest = index.destinations(t)
        for negs in _uniform_negatives(index, plain, q, t):
            assert not np.isin(negs, dest).all()
        shares = [np.isin(negs, dest).mean() for negs in _uniform_negatives(index, cands, q, t)]
        if uniform_from == "destinations":
            assert min(shares) == 1.0
        else:
            assert 0.4 <= np.mean(shares) < 1.0
        for qid in np.unique(cands.query[cands.t == t]):
            rows = cands.query == qid
            u, negs = cands.src[rows][0], cands.dst[rows][~cands.label[rows]]
            assert len(negs) == q and len(set(negs.tolist())) == q and (negs != u).all()
            assert (index.gather(t, index.keys(np.full(q, u), negs)) == 0).all()
    pooled = generate_negatives(index, targets, q=q, max_queries=100, seed=3, pool=20,
                                uniform_from="destinations")
    for t in targets:
        uni = np.concatenate(_uniform_negatives(index, pooled, q, t))
        assert np.isin(uni, index.destinations(t)).all() and len(np.unique(uni)) <= 20
    with pytest.raises(InputError, match="uniform negatives from 'items'"):
        generate_negatives(index, targets, q=q, uniform_from="items")


def test_a_negative_pool_of_both_draws_keeps_half_from_the_destinations(user_item):
    """pool=K with uniform_from='both': K // 2 pooled destinations and K - K // 2 pooled
    nodes of all, each query drawing half its uniform negatives from each half (the pool
    does not drop TGB's destination draw); a pool of N or more is no pool."""
    index, q, targets = user_item, 10, [4, 5]
    n = index.num_nodes
    plain = generate_negatives(index, targets, q=q, max_queries=100, seed=3,
                               uniform_from="both")
    same = generate_negatives(index, targets, q=q, max_queries=100, seed=3, pool=n,
                              uniform_from="both")
    assert np.array_equal(same.dst, plain.dst) and np.array_equal(same.src, plain.src)
    pooled = generate_negatives(index, targets, q=q, max_queries=100, seed=3, pool=40,
                                uniform_from="both")
    assert pooled.num_queries == plain.num_queries
    for t in targets:
        dest = index.destinations(t)
        uni = _uniform_negatives(index, pooled, q, t)
        assert len(np.unique(np.concatenate(uni))) <= 40
        assert len(np.unique(np.concatenate([u[np.isin(u, dest)] for u in uni]))) <= 40
        assert 0.4 <= np.mean([np.isin(u, dest).mean() for u in uni]) < 1.0
        for qid in np.unique(pooled.query[pooled.t == t]):
            rows = pooled.query == qid
            u, negs = pooled.src[rows][0], pooled.dst[rows][~pooled.label[rows]]
            assert len(negs) == q and len(set(negs.tolist())) == q and (negs != u).all()
            assert (index.gather(t, index.keys(np.full(q, u), negs)) == 0).all()
    assert n == 180


@pytest.fixture
def two_spaces(tmp_path):
    """A JODIE-style stream whose users 0..119 and items 0..59 are counted apart (two id
    spaces: items are nodes 120..179), 6 snapshots; items 50..59 first appear at t = 5."""
    rng = np.random.default_rng(5)
    rows = [(t, u, int(rng.integers(0, 50 if t < 5 else 60)))
            for t in range(6) for u in range(120) for _ in range(2)]
    csv = tmp_path / "jodie.csv"
    pd.DataFrame(rows, columns=["t", "user_id", "item_id"]).to_csv(csv, index=False)
    return PairIndex(load_snapshots(str(csv), DataConfig(window=3)))


@pytest.mark.parametrize("uniform_from, pool", [("all", 0), ("both", 0), ("all", 30),
                                                ("both", 30)])
def test_two_id_spaces_draw_negatives_among_the_destinations_only(two_spaces, uniform_from,
                                                                  pool):
    """With users and items counted apart "all nodes" are all items, including those no
    link has pointed to yet: a user is never a negative destination."""
    index = two_spaces
    assert index.seq.num_sources == 120 and index.num_nodes == 180
    cands = generate_negatives(index, [3, 4], q=20, max_queries=100, seed=3, pool=pool,
                               uniform_from=uniform_from)
    assert cands.num_queries == 200
    assert (cands.src < 120).all() and (cands.dst >= 120).all()
    if not pool:
        assert (cands.dst >= 170).any()            # items 50..59: not destinations before t=5
    one = generate_negatives(PairIndex(SnapshotSequence.from_edges(
        *_table(index.seq), num_snapshots=6, node_ids=list(range(180)), directed=True)),
        [3, 4], q=20, max_queries=100, seed=3, pool=pool, uniform_from=uniform_from)
    assert (one.dst < 120).any()                   # one id space: users are drawn too


def _table(seq):
    t = np.concatenate([np.full(len(seq.edges(k)[0]), k) for k in range(seq.num_snapshots)])
    src, dst, w = (np.concatenate(x) for x in zip(*(seq.edges(k)
                                                     for k in range(seq.num_snapshots))))
    return t, src, dst, w


def test_two_id_spaces_map_pair_ids_by_side(two_spaces, write):
    """A pairs file's src ids are users and its dst ids items: ``5,5`` is user 5 -> item 5
    (node 125); an id only one side has is unknown on the other, and the error says so."""
    from gcngan.ranking import read_pairs

    index = two_spaces
    path = write("pairs.csv", "t,src,dst\n5,5,5\n5,119,0\n5,0,59\n")
    _, t, src, dst, _ = read_pairs(path, index, 3, strict=True)
    assert src.tolist() == [5, 119, 0] and dst.tolist() == [125, 120, 179]
    bad = write("bad.csv", "t,src,dst\n5,0,1\n5,3,100\n")
    with pytest.raises(InputError, match=r"bad\.csv:3: unknown node id '100' in column dst "
                                         r"\(not among the destinations: two id spaces\)"):
        read_pairs(bad, index, 3, strict=True)


def test_two_id_spaces_predict_pairs_from_sources_to_destinations(two_spaces):
    from gcngan.candidates import candidate_pairs, three_hop_keys

    index = two_spaces
    src, dst = candidate_pairs(index, 5, 3)                  # 120 x 60 = 7,200 <= the limit
    assert len(src) == 7200 and (src < 120).all() and (dst >= 120).all()
    src, dst = candidate_pairs(index, 5, 3, all_pairs_limit=1000)  # links + 3-hop pairs
    keys = np.unique(np.concatenate([index.snapshot(k)[0] for k in (2, 3, 4)]))
    three = three_hop_keys(index, 5, 3, sources=120)
    assert np.array_equal(src * 180 + dst, np.union1d(keys, three))
    assert (src < 120).all() and (dst >= 120).all() and three.size > 0
