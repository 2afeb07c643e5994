"""Structural pair predictors against an independent dense-numpy implementation of the
definitions of issue 14 (written here from scratch), and the ranking metrics of every
baseline on a shared negatives file against ranks computed from those independent scores."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gcngan.config import DataConfig
from gcngan.data import load_snapshots
from gcngan.errors import ConfigError, InputError
from gcngan.ranking import evaluate_ranking, generate_negatives, read_negatives, write_negatives
from gcngan.structural import PAIR_PREDICTORS, PairIndex, get_pair_predictor

N, T, W = 11, 16, 5


def random_edges(seed: int = 0, n: int = N, t: int = T, p: float = 0.22) -> pd.DataFrame:
    """Directed integer-weighted links with a few self-loops, ids shifted to 100 + i."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(t):
        a = (rng.random((n, n)) < p) * rng.integers(1, 6, size=(n, n))
        np.fill_diagonal(a, 0)
        if k % 4 == 0:
            a[k % n, k % n] = 3                                      # a self-loop now and then
        s, d = np.nonzero(a)
        rows += [(k, 100 + i, 100 + j, int(a[i, j])) for i, j in zip(s, d)]
    return pd.DataFrame(rows, columns=["t", "src", "dst", "weight"])


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    """(seq, dense (T, N, N) float64 numpy array in seq's node order, csv path)."""
    df = random_edges()
    path = tmp_path_factory.mktemp("g") / "g.csv"
    df.to_csv(path, index=False)
    seq = load_snapshots(path, DataConfig(directed=True, snapshots=T))
    pos = {str(x): i for i, x in enumerate(seq.node_ids)}
    adj = np.zeros((T, len(pos), len(pos)))
    for r in df.itertuples():
        adj[r.t, pos[str(r.src)], pos[str(r.dst)]] = r.weight
    return seq, adj, path


# ----- the definitions, from scratch ----------------------------------------------------
def reference_scores(adj: np.ndarray, t: int, w: int, alpha: float = 0.5) -> dict:
    """name -> (score (N, N), weight (N, N)), straight from the issue's definitions."""
    win = adj[t - w:t]                                               # (W, N, N)
    count = (win != 0).sum(axis=0).astype(float)
    mean = win.mean(axis=0)
    median = np.median(win, axis=0)
    last = win[-1]
    ewma = win[0].copy()
    for k in range(1, w):
        ewma = alpha * win[k] + (1 - alpha) * ewma
    bank_inf = (adj[:t] != 0).any(axis=0).astype(float)
    bank_win = (count > 0).astype(float)
    u = ((count + count.T) > 0).astype(float)                         # undirected binary union
    n = u.shape[0]
    d = u.sum(axis=1)
    cn = np.zeros((n, n))
    aa = np.zeros((n, n))
    ra = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            for k in range(n):
                if u[i, k] and u[k, j]:
                    cn[i, j] += 1
                    if d[k] > 1:
                        aa[i, j] += 1 / math.log(d[k])
                    ra[i, j] += 1 / d[k]
    pa = np.outer(d, d)
    l3 = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            for a in range(n):
                for b in range(n):
                    if u[i, a] and u[a, b] and u[b, j]:
                        l3[i, j] += 1 / math.sqrt(d[a] * d[b])
    return {"edgebank-inf": (bank_inf, mean), "edgebank-window": (bank_win, mean),
            "window-count": (count, mean), "window-mean": (mean, mean),
            "window-median": (median, median), "copy-last": (last, last),
            "ewma": (ewma, ewma), "common-neighbours": (cn, mean),
            "adamic-adar": (np.round(aa, 9), mean), "resource-allocation": (np.round(ra, 9), mean),
            "pref-attachment": (pa, mean), "l3-paths": (np.round(l3, 9), mean)}


@pytest.mark.parametrize("name", list(PAIR_PREDICTORS))
@pytest.mark.parametrize("t", [W, 9, T - 1, T])
def test_every_predictor_matches_its_definition_on_all_pairs(graph, name, t):
    seq, adj, _ = graph
    n = adj.shape[1]
    src, dst = (x.ravel() for x in np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
    score, weight = get_pair_predictor(name).score_pairs(seq, t, src, dst, W)
    ref_score, ref_weight = reference_scores(adj, t, W)[name]
    assert score.dtype == np.float64 and weight.shape == (n * n,)
    np.testing.assert_allclose(score.reshape(n, n), ref_score, rtol=0, atol=1e-9)
    np.testing.assert_allclose(weight.reshape(n, n), ref_weight, rtol=0, atol=1e-12)


def test_the_reference_graph_exercises_every_rule(graph):
    """The test graph is not degenerate: self-loops, degree-1 neighbours, median != mean."""
    seq, adj, _ = graph
    ref = reference_scores(adj, 9, W)
    assert np.diagonal(adj[:9], axis1=1, axis2=2).any()
    assert (ref["adamic-adar"][0] > 0).any() and (ref["window-median"][0] > 0).any()
    assert not np.array_equal(ref["window-median"][0], ref["window-mean"][0])
    assert not np.array_equal(ref["edgebank-inf"][0], ref["edgebank-window"][0])


def independent_ranks(path, seq, adj, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Ranks from the negatives CSV and the reference scores only, plain Python loops;
    also whether each query's link is new."""
    df = pd.read_csv(path, dtype=str)
    pos = {str(x): i for i, x in enumerate(seq.node_ids)}
    ranks, new = [], []
    for _, g in df.groupby("query", sort=False):
        t = int(g["t"].iloc[0])
        score = reference_scores(adj, t, W)[name][0]
        vals = [score[pos[s], pos[d]] for s, d in zip(g["src"], g["dst"])]
        labels = g["label"].astype(int).tolist()
        p = vals[labels.index(1)]
        negs = [v for v, lab in zip(vals, labels) if lab == 0]
        ranks.append(1 + sum(v > p for v in negs) + 0.5 * sum(v == p for v in negs))
        s, d = g["src"].iloc[labels.index(1)], g["dst"].iloc[labels.index(1)]
        new.append(not (adj[:t, pos[s], pos[d]] != 0).any())
    return np.array(ranks), np.array(new)


def test_mrr_of_every_baseline_equals_the_independent_one(graph, tmp_path):
    seq, adj, _ = graph
    cands = generate_negatives(seq, range(T - 6, T), q=8, max_queries=12, seed=3)
    path = tmp_path / "neg.csv"
    write_negatives(path, cands, seq.node_ids)
    back = read_negatives(path, seq, W)
    result = evaluate_ranking({n: c() for n, c in PAIR_PREDICTORS.items()}, seq, back, W)
    mrrs = set()
    for name in PAIR_PREDICTORS:
        ranks, new = independent_ranks(path, seq, adj, name)
        got = result["predictors"][name]
        assert got["all"]["mrr"] == pytest.approx(np.mean(1 / ranks), abs=1e-12)
        assert got["all"]["hits@3"] == pytest.approx(np.mean(ranks <= 3), abs=1e-12)
        assert got["new"]["mrr"] == pytest.approx(np.mean(1 / ranks[new]), abs=1e-12)
        assert got["repeated"]["mrr"] == pytest.approx(np.mean(1 / ranks[~new]), abs=1e-12)
        mrrs.add(round(got["all"]["mrr"], 9))
    assert result["new"] > 0 and result["repeated"] > 0
    assert len(mrrs) >= 6                                   # the baselines do differ


def test_pair_index_history_and_first_seen(graph):
    seq, adj, _ = graph
    index = PairIndex(seq)
    u = 3
    for t in (0, 4, T):
        want = np.flatnonzero((adj[:t, u] != 0).any(axis=0))
        np.testing.assert_array_equal(index.history(u, t), want)
    keys = index.keys(np.arange(N), (np.arange(N) + 1) % N)
    for t in (1, 7):
        want = (adj[:t, np.arange(N), (np.arange(N) + 1) % N] != 0).any(axis=0)
        np.testing.assert_array_equal(index.seen_before(t, keys), want)


def test_bad_target_node_or_name_is_refused(graph):
    seq, _, _ = graph
    p = get_pair_predictor("adamic-adar")
    with pytest.raises(InputError, match="full window"):
        p.score_pairs(seq, W - 1, [0], [1], W)
    with pytest.raises(InputError, match="full window"):
        p.score_pairs(seq, T + 1, [0], [1], W)
    with pytest.raises(InputError, match="out of range"):
        p.score_pairs(seq, W, [0], [N], W)
    with pytest.raises(ConfigError, match="valid: edgebank-inf"):
        get_pair_predictor("katz")
    assert get_pair_predictor("median").name == "window-median"     # dense protocol's name


def test_union_heuristics_read_only_the_queried_rows(graph, monkeypatch):
    """Chunked sources give the same scores as one block (the 256-source chunking)."""
    seq, _, _ = graph
    rng = np.random.default_rng(1)
    src, dst = rng.integers(0, N, 300), rng.integers(0, N, 300)
    name = "resource-allocation"
    whole, _ = get_pair_predictor(name).score_pairs(seq, 10, src, dst, W)
    p = get_pair_predictor(name)
    monkeypatch.setattr(p, "chunk", 2)
    chunked, _ = p.score_pairs(seq, 10, src, dst, W)
    np.testing.assert_array_equal(whole, chunked)


# ----- stacked-heuristics -------------------------------------------------------------------
def two_signal_edges(seed: int = 0, n: int = 80, t: int = 40, w: int = 5) -> pd.DataFrame:
    """Directed binary links where two heuristics each carry part of the signal: 70 core
    pairs that recur with probability 0.5 (the window count knows them), 25 new links per
    snapshot that close two-hop paths of the window's union with at least 2 common
    neighbours (common neighbours know them), and 15 uniform links of noise."""
    rng = np.random.default_rng(seed)
    core: set = set()
    while len(core) < 70:
        a, b = rng.integers(0, n, 2)
        if a != b:
            core.add((int(a), int(b)))
    adj = np.zeros((t, n, n))
    for k in range(t):
        for a, b in sorted(core):
            if rng.random() < 0.5:
                adj[k, a, b] = 1
        if k >= w:
            u = (adj[k - w:k] != 0).any(axis=0)
            u = (u | u.T).astype(float)
            np.fill_diagonal(u, 0)
            cn = u @ u
            np.fill_diagonal(cn, 0)
            cand = np.argwhere((cn >= 2) & (u == 0))
            pick = cand[rng.choice(len(cand), size=min(25, len(cand)), replace=False)]
            adj[k, pick[:, 0], pick[:, 1]] = 1
        for _ in range(15):
            a, b = rng.integers(0, n, 2)
            if a != b:
                adj[k, a, b] = 1
    tt, s, d = np.nonzero(adj)
    return pd.DataFrame({"t": tt, "src": s, "dst": d, "weight": 1})


@pytest.fixture(scope="module")
def two_signal(tmp_path_factory):
    path = tmp_path_factory.mktemp("two") / "two.csv"
    df = two_signal_edges()
    df.to_csv(path, index=False)
    return df, load_snapshots(path, DataConfig(directed=True, snapshots=40)), path


def test_stacked_beats_every_single_heuristic_when_the_signal_is_split(two_signal):
    from gcngan.data import chronological_split
    from gcngan.structural import StackedHeuristics

    _, seq, _ = two_signal
    split = chronological_split(40, 5, 0, 8)
    index = PairIndex(seq)
    cands = generate_negatives(index, list(split.test), q=50, max_queries=200, seed=1)
    preds = {n: get_pair_predictor(n) for n in StackedHeuristics.FEATURES}
    preds["stacked-heuristics"] = get_pair_predictor("stacked-heuristics")
    res = evaluate_ranking(preds, index, cands, 5, train_targets=list(split.train))["predictors"]
    mrr = {n: r["all"]["mrr"] for n, r in res.items()}
    best_single = max(v for n, v in mrr.items() if n != "stacked-heuristics")
    assert mrr["stacked-heuristics"] >= 1.05 * best_single          # 0.421 vs 0.378
    # it keeps the window count's repeated links and ranks new links above it
    assert res["stacked-heuristics"]["new"]["mrr"] > 2 * res["window-count"]["new"]["mrr"]
    assert (res["stacked-heuristics"]["repeated"]["mrr"]
            >= res["common-neighbours"]["repeated"]["mrr"] * 3)


def test_stacked_fits_on_training_targets_only(two_signal, tmp_path, monkeypatch):
    """Other validation/test snapshots (same nodes) leave the coefficients unchanged, and
    the fit reads no window value at or after the first non-training target."""
    from gcngan.data import chronological_split
    from gcngan.structural import StackedHeuristics

    df, seq, _ = two_signal
    split = chronological_split(40, 5, 3, 8)                          # train 5 .. 28
    first_held_out = split.val.start
    rng = np.random.default_rng(7)
    late = df["t"] >= first_held_out
    other = df.copy()
    other.loc[late, "src"] = rng.integers(0, 80, late.sum())
    other.loc[late, "dst"] = (other.loc[late, "src"] + rng.integers(1, 80, late.sum())) % 80
    path = tmp_path / "other.csv"
    other.drop_duplicates(["t", "src", "dst"]).to_csv(path, index=False)
    seq2 = load_snapshots(path, DataConfig(directed=True, snapshots=40))
    assert list(seq2.node_ids) == list(seq.node_ids)
    a = StackedHeuristics().fit(seq, split.train, 5)
    read: list = []
    orig = PairIndex.gather

    def spy(self, t, keys):                      # every window value and truth goes here
        read.append(int(t))
        return orig(self, t, keys)

    monkeypatch.setattr(PairIndex, "gather", spy)
    b = StackedHeuristics().fit(seq2, split.train, 5)
    assert read and max(read) < first_held_out
    np.testing.assert_array_equal(a.coef, b.coef)
    assert a.intercept == b.intercept and a.fit_info == b.fit_info
    assert a.fit_info["targets"] == [9, 28]                    # the last 20 training targets


def test_stacked_is_deterministic_for_a_seed(two_signal):
    from gcngan.structural import StackedHeuristics

    _, seq, _ = two_signal
    fits = [StackedHeuristics(seed=s).fit(seq, range(5, 30), 5) for s in (3, 3, 4)]
    np.testing.assert_array_equal(fits[0].coef, fits[1].coef)
    assert not np.array_equal(fits[0].coef, fits[2].coef)         # the seed draws negatives
    src, dst = np.arange(80), (np.arange(80) * 7 + 1) % 80
    s0, w0 = fits[0].score_pairs(seq, 35, src, dst, 5)
    s1, w1 = fits[1].score_pairs(seq, 35, src, dst, 5)
    np.testing.assert_array_equal(s0, s1)
    np.testing.assert_array_equal(w0, get_pair_predictor("window-mean")
                                  .score_pairs(seq, 35, src, dst, 5)[1])


def test_stacked_refuses_to_score_unfitted_or_fit_without_targets(two_signal):
    from gcngan.structural import StackedHeuristics, fit_predictors

    _, seq, _ = two_signal
    p = StackedHeuristics()
    assert p.needs_fit and not get_pair_predictor("ewma").needs_fit
    with pytest.raises(ConfigError, match="not fitted"):
        p.score_pairs(seq, 10, [0], [1], 5)
    with pytest.raises(InputError, match="must be fitted on training targets"):
        fit_predictors({"stacked-heuristics": p}, seq, [], 5)
    with pytest.raises(InputError, match="full window"):
        p.fit(seq, [2, 3], 5)
    with pytest.raises(ConfigError, match="must be >= 1"):
        StackedHeuristics(q=0)
    assert p.fit_summary() == {} and get_pair_predictor("ewma").fit_summary() == {}


def test_union_cache_is_bounded_by_stored_entries(graph, monkeypatch):
    """The window-union cache empties itself before it would hold more than
    UNION_CACHE_ENTRIES entries (a large N with many targets must not keep 65 unions)."""
    import gcngan.structural as structural

    seq = graph[0]
    index = PairIndex(seq)
    first, _ = index.union(3, 3)
    monkeypatch.setattr(structural, "UNION_CACHE_ENTRIES", first.nnz + 1)
    assert index.union(3, 3)[0] is first                   # cached
    index.union(4, 3)                                      # would exceed: emptied first
    assert set(index._unions) == {(4, 3)}
    again, _ = index.union(3, 3)
    assert again is not first and (again != first).nnz == 0


@pytest.mark.parametrize("rows", ["dense", "dense, one per block", "sparse products"])
def test_common_neighbour_sums_match_the_dense_union(rows, monkeypatch):
    """common_neighbour_sums: sum over a in N(u) & N(v) of f_k(a), the same numbers however
    the sources' rows are held (dense flags, at most one row a block, the rows' element-wise
    product) and in chunks of 7 pairs."""
    import scipy.sparse as sp

    import gcngan.structural as structural

    if rows == "sparse products":
        monkeypatch.setattr(structural, "PATH_DENSE_ZEROS_PER_ENTRY", 0)
    elif rows == "dense, one per block":
        monkeypatch.setattr(structural, "PATH_DENSE_ENTRIES", 1)
    rng = np.random.default_rng(5)
    n = 23
    u = (rng.random((n, n)) < 0.2)
    u = (u | u.T).astype(float)
    u[4, 4] = 1.0                                                         # a self-link
    weights = np.stack([np.ones(n), rng.random(n)], axis=1)               # (N, 2)
    src, dst = rng.integers(0, n, 90), rng.integers(0, n, 90)
    got = structural.common_neighbour_sums(sp.csr_matrix(u), src, dst, weights, chunk=7)
    want = np.stack([(u[src] * u[dst]) @ weights[:, j] for j in range(2)], axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert (got[:, 0] > 0).any() and (got[:, 0] == 0).any()
    empty = structural.common_neighbour_sums(sp.csr_matrix(u), src[:0], dst[:0], weights)
    assert empty.shape == (0, 2)


def test_new_links_are_the_links_first_seen_in_their_snapshot(graph):
    """PairIndex.new_links(t): per link of snapshot t (key order), linked in no earlier
    snapshot; kept once computed."""
    seq, adj, _ = graph
    index = PairIndex(seq)
    n = index.num_nodes
    for t in range(T):
        keys = index.snapshot(t)[0]
        earlier = (adj[:t, keys // n, keys % n] != 0).any(axis=0)
        assert np.array_equal(index.new_links(t), ~earlier)
        assert index.new_links(t) is index.new_links(t)
    assert index.new_links(3).any() and not index.new_links(T - 1).all()


def test_link_history_counts_and_dates_each_pairs_links_before_t(graph):
    """PairIndex.link_history(t, keys): snapshots < t with the link and the last of them (-1
    where none), against the dense array; pairs never linked and t = 0 give (0, -1)."""
    seq, adj, _ = graph
    index = PairIndex(seq)
    n = index.num_nodes
    src, dst = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    src, dst = src.ravel(), dst.ravel()
    keys = index.keys(src, dst)
    for t in (0, 1, 5, T - 1, T):
        linked = adj[:t, src, dst] != 0                                   # (t, P)
        count, last = index.link_history(t, keys)
        np.testing.assert_array_equal(count, linked.sum(axis=0))
        want_last = np.where(linked.any(axis=0),
                             t - 1 - np.argmax(linked[::-1], axis=0), -1) if t else -1
        np.testing.assert_array_equal(last, want_last)
    count, last = index.link_history(T, keys)
    assert (count > 1).any() and (count == 0).any() and (last < T - 1).any()
