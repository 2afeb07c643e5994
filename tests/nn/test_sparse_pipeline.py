"""The sparse parts wired together as the trainer will (issue 15): windows of the synthetic
social network -> SparseGCNEncoder -> PairDecoder on true links + random negatives, hurdle
loss; a few steps must separate held-out true links from random pairs, and the set critic
must tell real candidate sets from the untrained generator's."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gcngan.data.snapshots import Scaler
from gcngan.data.synthetic import generate_social
from gcngan.nn.pair_decoder import PAIR_FEATURES, PairDecoder, PairFeaturizer
from gcngan.nn.set_critic import WINDOW_SUMMARY, SetCritic, window_summary
from gcngan.nn.sparse_gcn import SparseGCNEncoder, SparseWindowBatch

N, T, W = 300, 9, 4

pytestmark = pytest.mark.slow            # ~20 s each on the shared 2-core CPU


class _Social:
    def __init__(self) -> None:
        df = generate_social(num_nodes=N, num_snapshots=T, links_per_node=3, seed=0)
        self.num_nodes, self.num_snapshots = N, T
        self.scaler = Scaler("linear", float(df.weight.max()))
        self._e = [(g.src.to_numpy(), g.dst.to_numpy(), g.weight.to_numpy().astype(np.float32))
                   for _, g in df.groupby("t")]

    def edges(self, t):
        return self._e[t]


def _candidates(seq, t, rng):
    s, d, w = seq.edges(t)
    neg_s, neg_d = rng.integers(0, N, s.size), rng.integers(0, N, s.size)
    keep = neg_s != neg_d
    src = np.concatenate([s, neg_s[keep]])
    dst = np.concatenate([d, neg_d[keep]])
    target = np.concatenate([w, np.zeros(int(keep.sum()), np.float32)])
    linked = {(a, b) for a, b in zip(s.tolist(), d.tolist())}           # random pair hit a link
    for i in range(s.size, src.size):
        target[i] = w[np.flatnonzero((s == src[i]) & (d == dst[i]))[0]] \
            if (src[i], dst[i]) in linked else 0.0
    return src, dst, torch.from_numpy(seq.scaler.transform(torch.from_numpy(target)).numpy())


def _window(seq, t):
    return [(torch.from_numpy(np.stack(seq.edges(k)[:2])),
             seq.scaler.transform(torch.from_numpy(seq.edges(k)[2]))) for k in range(t - W, t)]


def test_encoder_decoder_learn_and_critic_separates():
    torch.manual_seed(0)
    seq = _Social()
    fz = PairFeaturizer(seq)
    rng = np.random.default_rng(0)
    train_t, test_t = [4, 5, 6, 7], 8
    data = []
    for t in train_t + [test_t]:
        src, dst, target = _candidates(seq, t, rng)
        data.append((t, src, dst, target, fz(t, W, src, dst)))
    enc = SparseGCNEncoder(N, 8, [8], 8)
    dec = PairDecoder(8, len(PAIR_FEATURES), hidden_channels=16)
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=0.01)

    def run(t, src, dst, feats):
        batch = SparseWindowBatch.from_snapshots([_window(seq, t)],
                                                 extra_nodes=torch.from_numpy(np.r_[src, dst]))
        h = enc(batch)[0]                                                  # (M, H)
        hs = h[batch.local(torch.from_numpy(src))]
        hd = h[batch.local(torch.from_numpy(dst))]
        return dec.parts(hs, hd, feats)

    losses = []
    for _ in range(8):
        for t, src, dst, target, feats in data[:-1]:
            loss = dec.reconstruction("hurdle")(run(t, src, dst, feats), target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
    assert np.mean(losses[-4:]) < 0.7 * np.mean(losses[:4])
    t, src, dst, target, feats = data[-1]
    with torch.no_grad():
        parts = run(t, src, dst, feats)
    score = dec.link_score(parts)
    pos, neg = score[target > 0], score[target == 0]
    auc = float((pos[:, None] > neg[None, :]).float().mean()
                + 0.5 * (pos[:, None] == neg[None, :]).float().mean())
    assert auc > 0.85, auc
    pred = dec.combine(parts)
    assert bool((pred[parts["prob"] <= dec.threshold] == 0).all())

    # the set critic, trained a few steps, scores real sets above the fake ones
    critic = SetCritic(len(PAIR_FEATURES), len(WINDOW_SUMMARY), hidden_channels=16)
    copt = torch.optim.RMSprop(critic.parameters(), lr=5e-3)
    feats = torch.cat([d[4] for d in data[:-1]])
    graph = torch.cat([torch.full((len(d[1]),), i) for i, d in enumerate(data[:-1])])
    real = torch.cat([d[3] for d in data[:-1]])
    fake = torch.rand(len(real)) * 0.3                                     # an untrained generator
    cond = torch.stack([window_summary(seq, d[0], W) for d in data[:-1]])
    for _ in range(30):
        gap = critic(feats, fake, graph, 4, cond).mean() - \
            critic(feats, real, graph, 4, cond).mean()
        copt.zero_grad()
        gap.backward()
        copt.step()
        for p in critic.parameters():
            p.data.clamp_(-0.05, 0.05)
    with torch.no_grad():
        assert float(critic(feats, real, graph, 4, cond).mean()) > \
            float(critic(feats, fake, graph, 4, cond).mean())
