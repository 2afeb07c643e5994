"""Candidate pairs of the sparse model's prediction (gcngan.candidates): all pairs on small
graphs; else the window's active pairs plus each node's best 2-hop pairs by resource
allocation, checked against a brute-force dense computation, with bounded blocks and
without anything of size N^2."""
from __future__ import annotations

import numpy as np
import pytest

from gcngan.candidates import (active_keys, all_pairs, all_pairs_fit, candidate_pairs,
                               three_hop_keys, two_hop_keys)
from gcngan.data.snapshots import SnapshotSequence
from gcngan.errors import InputError
from gcngan.structural import PairIndex


def _random_seq(n=30, t=6, links=40, seed=0, directed=True):
    rng = np.random.default_rng(seed)
    tt = np.repeat(np.arange(t), links)
    src = rng.integers(0, n, tt.size)
    dst = rng.integers(0, n, tt.size)
    key = np.unique((tt * n + src) * n + dst)                 # unique (t, src, dst)
    tt, rest = np.divmod(key, n * n)
    src, dst = np.divmod(rest, n)
    keep = src != dst
    return SnapshotSequence.from_edges(tt[keep], src[keep], dst[keep],
                                       rng.uniform(1, 5, keep.sum()).astype(np.float32),
                                       num_snapshots=t, node_ids=list(range(n)),
                                       directed=directed)


def _brute_best(seq, t, window, k, hops=2, sources=None):
    """Dense reference: each node's (of the first ``sources``) best k unlinked pairs by the
    sum over paths of length ``hops`` of 1 / (product of the inner degrees): resource
    allocation for 2 (ties: smaller v)."""
    n = seq.num_nodes
    u = np.zeros((n, n))
    for s in range(t - window, t):
        a, b, _ = seq.edges(s)
        u[a, b] = u[b, a] = 1.0
    deg = u.sum(1)
    inv = np.diag(np.where(deg > 0, 1.0 / np.maximum(deg, 1), 0.0))
    score = u @ inv @ u if hops == 2 else u @ inv @ u @ inv @ u
    score = np.round(score, 9)
    out = set()
    for a in range(n if sources is None else sources):
        cand = [(-score[a, b], b) for b in range(n)
                if b != a and u[a, b] == 0 and score[a, b] > 0]
        out |= {(a, b) for _, b in sorted(cand)[:k]}
    return out


def _brute_two_hop(seq, t, window, k):
    return _brute_best(seq, t, window, k)


def test_all_pairs_on_small_graphs():
    src, dst = all_pairs(5)
    assert src.size == 20 and not (src == dst).any()
    assert len(set(zip(src.tolist(), dst.tolist()))) == 20
    assert all_pairs(5, self_loops=True)[0].size == 25
    assert all_pairs_fit(500) and not all_pairs_fit(501)
    seq = _random_seq(n=12)
    s, d = candidate_pairs(PairIndex(seq), 4, 3)             # 144 <= limit: every pair
    assert s.size == 12 * 11


@pytest.mark.parametrize("k", [0, 1, 3])
def test_candidates_are_active_pairs_and_best_two_hop_pairs(k):
    seq = _random_seq()
    index = PairIndex(seq)
    t, w = 5, 3
    s, d = candidate_pairs(index, t, w, two_hop=k, all_pairs_limit=0)
    got = set(zip(s.tolist(), d.tolist()))
    active = set()
    for snap in range(t - w, t):
        a, b, _ = seq.edges(snap)
        active |= set(zip(a.tolist(), b.tolist()))
    assert got == active | _brute_two_hop(seq, t, w, k)
    assert np.all(np.diff(s * seq.num_nodes + d) > 0)        # sorted, unique
    n = seq.num_nodes
    assert set(active_keys(index, t, w).tolist()) == {a * n + b for a, b in active}


@pytest.mark.parametrize("k, sources, block", [(1, None, 1 << 21), (3, None, 7),
                                               (2, 12, 1 << 21), (0, None, 1 << 21)])
def test_three_hop_keys_are_the_best_pairs_three_steps_away(k, sources, block):
    seq = _random_seq(n=30, links=25, seed=4)
    index = PairIndex(seq)
    n = seq.num_nodes
    got = three_hop_keys(index, 5, 3, k, block_entries=block, sources=sources)
    want = _brute_best(seq, 5, 3, k, hops=3, sources=sources)
    assert set(zip((got // n).tolist(), (got % n).tolist())) == want
    assert k == 0 or len(want) > 0


def test_blocks_do_not_change_the_result_and_symmetric_closes_reversal():
    seq = _random_seq(n=40, links=60, seed=1)
    index = PairIndex(seq)
    whole = two_hop_keys(index, 6, 4, k=2)
    for block in (1, 7, 50):
        assert np.array_equal(two_hop_keys(index, 6, 4, k=2, block_entries=block), whole)
    s, d = candidate_pairs(index, 6, 4, two_hop=2, all_pairs_limit=0, symmetric=True)
    pairs = set(zip(s.tolist(), d.tolist()))
    assert pairs == {(b, a) for a, b in pairs}
    assert len(whole) <= 2 * seq.num_nodes


def test_target_past_the_data_and_bad_arguments():
    seq = _random_seq()
    index = PairIndex(seq)
    s, d = candidate_pairs(index, seq.num_snapshots, 3, all_pairs_limit=0)   # t = T works
    assert s.size > 0
    with pytest.raises(InputError, match="full window"):
        candidate_pairs(index, 2, 3, all_pairs_limit=0)
    with pytest.raises(InputError, match="two_hop"):
        candidate_pairs(index, 4, 3, two_hop=-1, all_pairs_limit=0)


def test_large_graph_candidates_stay_linear():
    """N = 20,000, 2 links per node per snapshot: candidates are O(E + N k), found
    without an N x N array (numpy/scipy: a guard on np.zeros/np.empty sizes)."""
    n, t = 20_000, 4
    seq = _random_seq(n=n, t=t, links=2 * n, seed=2)
    index = PairIndex(seq)
    big = []
    real_zeros, real_empty = np.zeros, np.empty

    def guard(fn):
        def wrapped(shape, *a, **kw):
            if int(np.prod(shape)) >= n * n // 4:
                big.append(shape)
            return fn(shape, *a, **kw)
        return wrapped

    np.zeros, np.empty = guard(real_zeros), guard(real_empty)
    try:
        s, d = candidate_pairs(index, t, 3, two_hop=5)
    finally:
        np.zeros, np.empty = real_zeros, real_empty
    assert not big
    e_window = sum(seq.edges(k)[0].size for k in range(t - 3, t))
    assert e_window <= s.size <= e_window + 5 * n


def test_sparse_forecast_at_20000_nodes_builds_nothing_n_squared():
    """gcngan predict's path (candidates -> SparsePredictor.score_pairs -> refine ->
    feedback) at N = 20,000 for 2 autoregressive steps: no torch tensor and no numpy/scipy
    allocation anywhere near N^2 (a TorchDispatchMode records every op's outputs,
    tracemalloc the peak)."""
    import tracemalloc

    import torch

    from gcngan.config import build_config
    from gcngan.nn.sparse_model import SparseGenerator
    from gcngan.predict import sparse_prediction
    from tests.tensor_sizes import LargestTensor

    n = 20_000
    seq = _random_seq(n=n, t=4, links=n, seed=3)
    cfg = build_config("sparse", overrides=["gcn_channels=8", "lstm_hidden=8", "noise_dim=8",
                                            "decoder_hidden=8", "critic_hidden=8"])
    torch.manual_seed(0)
    gen = SparseGenerator(n, cfg.model)
    mode = LargestTensor()
    tracemalloc.start()
    with mode:
        pp = sparse_prediction(gen, seq, 3, steps=2, two_hop=2)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert sorted(set(pp.t.tolist())) == [4, 5]
    e = [seq.edges(k)[0].size for k in range(4)]
    first_links = int((pp.weight[pp.t == 4] > 0).sum())       # fed back into step 2
    assert (pp.t == 4).sum() <= e[1] + e[2] + e[3] + 2 * n     # O(W E + N k) per step
    assert (pp.t == 5).sum() <= e[2] + e[3] + first_links + 2 * n
    per_step = max(int((pp.t == 4).sum()), int((pp.t == 5).sum()))
    # the largest tensor is O(P) (the decoder's input, (P, 3H + F)) or O(W E) (the GCN's
    # stored links): far below N^2
    assert mode.max_numel <= 64 * per_step and mode.max_numel < n * n // 50, mode.max_numel
    assert peak < 300 * 2 ** 20, peak                          # dense N^2 float32: 1.5 GiB
