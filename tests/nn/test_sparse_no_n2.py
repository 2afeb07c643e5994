r"""The sparse path never builds anything of size :math:`N^2`: one generator + critic step
(sparse GCN -> LSTM -> pair decoder, set critic on real and generated candidate sets, backward)
at N = 20,000, with every torch op's outputs recorded by a ``TorchDispatchMode`` and the
numpy/scipy feature code's allocations by ``tracemalloc``."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch

from gcngan.data.snapshots import Scaler
from gcngan.nn.pair_decoder import PAIR_FEATURES, PairDecoder, pair_features
from gcngan.nn.set_critic import WINDOW_SUMMARY, SetCritic, window_summary
from gcngan.nn.sparse_gcn import SparseGCNEncoder, SparseWindowBatch
from gcngan.structural import PairIndex
from tests.tensor_sizes import LargestTensor

N, T, W, LINKS = 20_000, 5, 3, 2

pytestmark = pytest.mark.slow            # ~20 s each on the shared 2-core CPU


class _EdgeSeq:
    """Random sparse snapshots held as edge arrays only."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.num_nodes, self.num_snapshots = N, T
        self.scaler = Scaler("linear", 5.0)
        self._edges = []
        for _ in range(T):
            key = np.unique(rng.integers(0, N, LINKS * N) * N + rng.integers(0, N, LINKS * N))
            key = key[key // N != key % N]
            self._edges.append((key // N, key % N, rng.integers(1, 6, key.size).astype(np.float32)))

    def edges(self, t):
        return self._edges[t]


def test_no_tensor_of_size_n_squared_at_20000_nodes():
    torch.manual_seed(0)
    seq = _EdgeSeq()
    index = PairIndex(seq)
    rng = np.random.default_rng(1)
    targets = [3, 4]                                                    # B = 2 windows
    cand, feats, real = [], [], []
    tracemalloc.start()
    for t in targets:
        s, d, _ = seq.edges(t)
        pick = rng.choice(s.size, 2000, replace=False)
        src = np.concatenate([s[pick], rng.integers(0, N, 2000)])
        dst = np.concatenate([d[pick], rng.integers(0, N, 2000)])
        keep = src != dst
        src, dst = src[keep], dst[keep]
        cand.append((src, dst))
        feats.append(pair_features(index, t, W, src, dst))              # (P_b, F)
        real.append(torch.from_numpy(index.gather(t, index.keys(src, dst))).float() / 5.0)
    cond = torch.stack([window_summary(index, t, W) for t in targets])   # (B, C)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 200 * 2 ** 20                                         # dense N^2 float64: 3 GiB

    enc = SparseGCNEncoder(N, 8, [8], 8)
    dec = PairDecoder(8, len(PAIR_FEATURES), hidden_channels=16)
    critic = SetCritic(len(PAIR_FEATURES), len(WINDOW_SUMMARY), hidden_channels=16)
    snaps = [[(torch.from_numpy(np.stack(seq.edges(k)[:2])),
               torch.from_numpy(seq.edges(k)[2]) / 5.0) for k in range(t - W, t)]
             for t in targets]
    ends = torch.from_numpy(np.concatenate([np.concatenate(c) for c in cand]))
    with LargestTensor() as rec:
        batch = SparseWindowBatch.from_snapshots(snaps, extra_nodes=ends)
        h = enc(batch)                                                  # (B, M, H)
        fake, graph = [], []
        for b, (src, dst) in enumerate(cand):
            hs = h[b, batch.local(torch.from_numpy(src))]               # (P_b, H)
            hd = h[b, batch.local(torch.from_numpy(dst))]
            fake.append(dec.parts(hs, hd, feats[b])["pred"])
            graph.append(torch.full((len(src),), b))
        f, g = torch.cat(feats), torch.cat(graph)
        real_score = critic(f, torch.cat(real), g, len(targets), cond)
        fake_score = critic(f, torch.cat(fake), g, len(targets), cond)
        (fake_score.mean() - real_score.mean()).backward()
    assert enc.embedding.weight.grad is not None
    assert batch.num_local > 0.8 * N and rec.max_numel > 0
    print(f"largest torch output: {rec.max_numel:,} elements ({rec.op}); N^2 = {N * N:,}")
    # largest expected: the LSTM input projection, B*M*W*4*H_lstm = 3.84 million
    assert rec.max_numel < N * N // 40, (rec.max_numel, rec.op)
