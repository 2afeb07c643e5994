r"""Pair decoder: node states + the pair's history and structure -> link probability and
weight for candidate pairs ``(u, v)`` only (never :math:`N \times N`).

For ``P`` candidate pairs of one target snapshot ``t``:

* :class:`PairFeaturizer` (or :func:`pair_features`) computes :data:`PAIR_FEATURES` from
  the window ``t-W .. t-1`` with sparse operations (``scipy.sparse``, the definitions of
  :mod:`gcngan.structural`), :math:`O(E + W P)` memory;
* :class:`PairDecoder` maps ``[h_u, h_v, h_u * h_v, features]`` through an MLP (plus a
  linear term on the features alone, so it can at least express a logistic regression on
  the heuristics) to an existence logit and a weight in :math:`(0, 1)`; the prediction is a
  hurdle: ``1[p > threshold] * weight`` with exact zeros, the expected weight ``p * weight``
  is its differentiable form (for the critic and the reconstruction).

:class:`PairDecoder` is a :class:`gcngan.nn.decoders.Decoder`: ``parts / pool / combine /
link_score / reconstruction / hedged / selection`` keep their meaning, on pair-shaped
tensors. What does not fit the dense contract: ``forward`` and ``parts`` take
``(h_src, h_dst, feats)`` of ``P`` candidate pairs instead of ``(h, adj_seq)``, and every
output is :math:`(P,)` instead of :math:`(B, N, N)`; so the dense ``Generator`` cannot call
it, and it is not registered under a ``model.decoder`` name (the sparse generator wires it).
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gcngan.errors import ConfigError
from gcngan.nn.decoders import Decoder
from gcngan.structural import (PATH_BLOCK_ENTRIES, adamic_adar_weight, common_neighbour_sums,
                               inverse_degree, paths_of_three, window_keys)

#: Columns of :func:`pair_features`, in order. Counts/degrees are ``log1p``-compressed,
#: window weights are on the model scale (the sequence's :class:`~gcngan.data.Scaler`).
PAIR_FEATURES = (
    "count",                # share of window snapshots with u -> v
    "mean",                 # mean scaled weight of u -> v over the window (zeros included)
    "last",                 # scaled weight of u -> v in the last window snapshot
    "recency",              # 1 / (snapshots since u -> v was last linked), 0 if not in window
    "reverse_count",        # share of window snapshots with v -> u
    "seen_before",          # 1 if u -> v was linked in some snapshot before the window
    "common_neighbours",    # log1p CN in the window's undirected binary union U
    "adamic_adar",          # log1p AA
    "resource_allocation",  # log1p RA
    "degree_src",           # log1p d_u in U
    "degree_dst",           # log1p d_v in U
    "pref_attachment",      # log1p d_u * d_v
    "ewma",                 # exponentially weighted mean of the scaled weights (alpha 0.5,
    #                         gcngan.structural.EWMAPairs' weights)
    "src_share",            # share of u's window links (link-snapshots u -> *) going to v
    "in_degree_dst",        # log1p distinct sources x -> v in the window (directed)
    "in_degree_dst_last",   # log1p sources x -> v in the last window snapshot
    "new_in_dst",           # log1p links x -> v in the window new when made (never before)
    "new_in_dst_last",      # log1p new links x -> v in the last window snapshot
    "recency_dst",          # 1 / (snapshots since v last had any link), 0 if none in window
    "src_new_share",        # share of u's window links that were new when made
)

#: Columns appended with ``model.path_features`` (:meth:`PairFeaturizer.paths_of_three`):
#: paths of length 3 in the window's undirected binary union ``U``, the structure of a
#: bipartite user -> item graph (where every common neighbour count is 0) and of new links
#: two steps apart, as item-based collaborative filtering counts them.
PATH_FEATURES = (
    "paths3",               # log1p #paths u - a - b - v in U
    "paths3_ra",            # log1p sum over those paths of 1 / (d_a d_b)
)

#: Columns appended with ``model.history_features`` (after :data:`PATH_FEATURES`): the pair's
#: links before the window, which the window's columns (and ``seen_before``, a yes/no) do
#: not count — on a long series the window is a small part of what the data remembers.
HISTORY_FEATURES = (
    "history_share",        # share of the snapshots before the window with u -> v
    "history_recency",      # 1 / (t - the last snapshot before the window with u -> v), 0 if none
)


class PairFeaturizer:
    r"""Computes :data:`PAIR_FEATURES` for candidate pairs of any target snapshot, reusing
    one :class:`~gcngan.structural.PairIndex` (sorted edge keys per snapshot, first-seen
    table) and the last ``cache_size`` window unions.

    The structural columns follow :mod:`gcngan.structural`'s definitions (the window's
    undirected binary union ``U``, self-loops kept, ``d_k`` = degree in ``U``; AA terms with
    ``d_k <= 1`` are 0), all three at once per pair as the intersection of the two rows
    ``U[u]`` and ``U[v]`` (:func:`~gcngan.structural.common_neighbour_sums`, chunks of
    ``chunk`` pairs): time :math:`O(\sum_{(u,v)} d_v)` and no two-hop rows, which for hubs
    approach :math:`N` entries each.

    Args:
        seq (SnapshotSequence | PairIndex): The data (only ``edges(t)``, ``num_nodes``,
            ``num_snapshots`` and, if present, ``scaler`` are used).
        cache_size (int, optional): Window unions kept (each holds up to
            :math:`2 E_{window}` entries). (default: ``4``)
        chunk (int, optional): Pairs per row intersection. (default: ``65536``)
        paths (bool, optional): Append :data:`PATH_FEATURES` (``model.path_features``).
            (default: ``False``)
        history (bool, optional): Append :data:`HISTORY_FEATURES`
            (``model.history_features``). (default: ``False``)
    """

    def __init__(self, seq, cache_size: int = 4, chunk: int = 65536,
                 paths: bool = False, history: bool = False) -> None:
        from gcngan.structural import as_index

        self.paths = bool(paths)
        self.history = bool(history)
        self.index = as_index(seq)
        self.scaler = getattr(self.index.seq, "scaler", None)
        self.cache_size = cache_size
        self.chunk = chunk
        self._unions: dict = {}
        self._nodes: dict = {}

    def union(self, t: int, window: int):
        """:func:`gcngan.structural.window_union` (``U`` CSR :math:`(N, N)`, degrees ``d``
        :math:`(N,)`), in this featurizer's bounded cache."""
        from gcngan.structural import window_union

        key = (int(t), int(window))
        if key not in self._unions:
            if len(self._unions) >= self.cache_size:
                self._unions.pop(next(iter(self._unions)))
            self._unions[key] = window_union(self.index, t, window)
        return self._unions[key]

    def common_neighbours(self, t: int, window: int, src: np.ndarray,
                          dst: np.ndarray) -> np.ndarray:
        """CN, AA and RA of the pairs, :math:`(P, 3)` float64."""
        u, deg = self.union(t, window)
        node_w = np.stack([np.ones(deg.size), adamic_adar_weight(deg), inverse_degree(deg)],
                          axis=1)                                          # (N, 3)
        return common_neighbour_sums(u, src, dst, node_w, chunk=self.chunk)

    def paths_of_three(self, t: int, window: int, src: np.ndarray, dst: np.ndarray,
                       block_entries: int = PATH_BLOCK_ENTRIES) -> np.ndarray:
        r"""Paths of length 3 from ``u`` to ``v`` in the window's union ``U``: their number
        :math:`\sum_{a, b} U_{ua} U_{ab} U_{bv}` and their degree-discounted sum
        :math:`\sum_{a, b} U_{ua} U_{ab} U_{bv} / (d_a d_b)`, :math:`(P, 2)` float64
        (:func:`gcngan.structural.paths_of_three`, in bounded two-hop blocks; nothing of
        size :math:`N^2`)."""
        u_mat, deg = self.union(t, window)
        weights = np.stack([np.ones(deg.size), inverse_degree(deg)], axis=1)  # (N, 2)
        return paths_of_three(u_mat, deg, src, dst, weights, block_entries=block_entries)

    def node_stats(self, t: int, window: int) -> dict:
        r"""Per-node statistics of the window ``t-W .. t-1``, each :math:`(N,)` float64,
        cached like the unions: ``in_degree`` (distinct sources ``x -> v``), ``in_last``
        (sources ``x -> v`` in the last snapshot), ``new_in`` / ``new_in_last`` (links
        ``x -> v`` new when made: never linked before their snapshot), ``out_links`` /
        ``out_new`` (link-snapshots ``u -> *`` and the new ones among them), ``last_active``
        (the last window snapshot, ``1 .. W`` oldest first, with a link of the node in
        either direction; 0 = none). Time :math:`O(E_{window} \log E + W N)`."""
        key = (int(t), int(window))
        if key not in self._nodes:
            index, n = self.index, self.index.num_nodes
            z = lambda: np.zeros(n)                                        # noqa: E731
            out = {k: z() for k in ("in_degree", "in_last", "new_in", "new_in_last",
                                    "out_links", "out_new", "last_active")}
            for j, k in enumerate(range(t - window, t)):
                keys = index.snapshot(k)[0]
                s_, d_ = keys // n, keys % n
                new = index.new_links(k)
                out["out_links"] += np.bincount(s_, minlength=n)
                out["out_new"] += np.bincount(s_[new], minlength=n)
                out["new_in"] += np.bincount(d_[new], minlength=n)
                out["last_active"][s_] = j + 1
                out["last_active"][d_] = j + 1
                if k == t - 1:
                    out["in_last"] = np.bincount(d_, minlength=n).astype(np.float64)
                    out["new_in_last"] = np.bincount(d_[new], minlength=n).astype(np.float64)
            links = window_keys(index, t, window)                          # directed union
            out["in_degree"] = np.bincount(links % n, minlength=n).astype(np.float64)
            if len(self._nodes) >= self.cache_size:
                self._nodes.pop(next(iter(self._nodes)))
            self._nodes[key] = out
        return self._nodes[key]

    def __call__(self, t: int, window: int, src, dst) -> Tensor:
        r"""Features of the pairs ``src[i] -> dst[i]`` at target ``t``.

        Args:
            t (int): Target snapshot (``window <= t <= T``).
            window (int): :math:`W`.
            src, dst (array-like): Node indices, :math:`(P,)`.

        Returns:
            Tensor: :math:`(P, F)` float32, ``F = len(PAIR_FEATURES)`` (plus
            ``len(PATH_FEATURES)`` with ``paths``, then ``len(HISTORY_FEATURES)`` with
            ``history``).

        Raises:
            InputError: ``t`` without a full window, or node indices out of range.
        """
        from gcngan.structural import EWMAPairs, check_pairs

        index = self.index
        t, window = int(t), int(window)
        index.check_target(t, window)
        src, dst = check_pairs(index, src, dst)
        keys = index.keys(src, dst)
        vals = self._window_values(t, window, keys)                        # (W, P) raw
        rev = self._window_values(t, window, index.keys(dst, src))         # (W, P) raw
        scaled = vals if self.scaler is None else \
            self.scaler.transform(torch.from_numpy(vals)).numpy()           # (W, P)
        present = vals != 0
        count = present.sum(axis=0)                                        # (P,)
        age = np.argmax(present[::-1], axis=0) + 1                         # 1 = last snapshot
        recency = np.where(count > 0, 1.0 / age, 0.0)
        seen = index.seen_before(t - window, keys)
        structure = np.log1p(self.common_neighbours(t, window, src, dst))  # (P, 3)
        _, deg = self.union(t, window)
        ns = self.node_stats(t, window)
        out_links = ns["out_links"][src]
        share = np.divide(count, out_links, out=np.zeros(src.size), where=out_links > 0)
        new_share = np.divide(ns["out_new"][src], out_links, out=np.zeros(src.size),
                              where=out_links > 0)
        active = ns["last_active"][dst]
        cols = [count / window, scaled.mean(axis=0), scaled[-1], recency,
                (rev != 0).sum(axis=0) / window, seen.astype(np.float64), *structure.T,
                np.log1p(deg[src]), np.log1p(deg[dst]), np.log1p(deg[src] * deg[dst]),
                EWMAPairs().weights(window) @ scaled, share,
                np.log1p(ns["in_degree"][dst]), np.log1p(ns["in_last"][dst]),
                np.log1p(ns["new_in"][dst]), np.log1p(ns["new_in_last"][dst]),
                np.where(active > 0, 1.0 / (window + 1 - active), 0.0), new_share]
        if self.paths:
            cols += list(np.log1p(self.paths_of_three(t, window, src, dst)).T)
        if self.history:
            cols += list(self.history_columns(t, window, keys).T)
        return torch.from_numpy(np.stack(cols, axis=1)).float()            # (P, F)

    def history_columns(self, t: int, window: int, keys: np.ndarray) -> np.ndarray:
        """:data:`HISTORY_FEATURES` of the pairs ``keys`` (P,) at target ``t``: their links in
        snapshots ``0 .. t-W-1``, :math:`(P, 2)` float64 (zeros when the window starts the
        data)."""
        before = t - window
        count, last = self.index.link_history(before, keys)
        share = count / before if before > 0 else np.zeros(keys.size)
        recency = np.where(last >= 0, 1.0 / (t - last), 0.0)
        return np.stack([share, recency], axis=1)

    def _window_values(self, t: int, window: int, keys: np.ndarray) -> np.ndarray:
        """``index.window_values`` with the keys looked up in sorted order (cache friendly)."""
        order = np.argsort(keys, kind="stable")
        out = np.empty((window, keys.size))
        out[:, order] = self.index.window_values(t, window, keys[order])
        return out


def pair_features(seq, t: int, window: int, src, dst) -> Tensor:
    r"""One-off :class:`PairFeaturizer` call: features :math:`(P, F)` of the pairs
    ``src[i] -> dst[i]`` at target ``t`` (pass a :class:`~gcngan.structural.PairIndex` as
    ``seq`` to share its caches; for many targets keep a :class:`PairFeaturizer`)."""
    return PairFeaturizer(seq, cache_size=1)(t, window, src, dst)


def hurdle_loss(parts: dict, target: Tensor, weight_coef: float = 1.0) -> Tensor:
    r"""Reconstruction of a hurdle prediction: BCE of the existence logit against
    ``target > 0`` plus ``weight_coef`` times the squared error of the weight head on the
    linked pairs only.

    Shapes:
        - **parts:** ``logit`` :math:`(P,)`, ``weight`` :math:`(P,)`
        - **target:** :math:`(P,)` model-scale weights, 0 = no link
        - **output:** scalar
    """
    exists = (target > 0).to(parts["logit"].dtype)
    loss = F.binary_cross_entropy_with_logits(parts["logit"], exists)
    if bool(exists.any()):
        linked = target > 0
        loss = loss + weight_coef * ((parts["weight"][linked] - target[linked]) ** 2).mean()
    return loss


def listwise_loss(logit: Tensor, query: Tensor, positive: Tensor) -> Tensor:
    r"""Per-query softmax cross-entropy: each query's candidates (one true link and its
    negatives) compete in a softmax over their logits and the true link should win,
    :math:`-\frac1Q \sum_q \big(\ell_{q^+} - \log \sum_{i \in q} e^{\ell_i}\big)` —
    the smooth surrogate of the reciprocal rank that the ranking protocol measures.

    Shapes:
        - **logit:** :math:`(P,)`
        - **query:** :math:`(P,)` long, the query of each candidate, ``0 .. Q-1``
        - **positive:** :math:`(P,)` bool, the true links (one per query)
        - **output:** scalar (0 when no candidate is positive)
    """
    if not bool(positive.any()):
        return logit.new_zeros(())
    q = int(query.max()) + 1
    top = torch.full((q,), float("-inf"), dtype=logit.dtype, device=logit.device)
    top = top.scatter_reduce(0, query, logit.detach(), "amax")             # (Q,)
    sums = logit.new_zeros(q).index_add(0, query, torch.exp(logit - top[query]))  # (Q,)
    lse = top + torch.log(sums)                                            # (Q,)
    return (lse[query[positive]] - logit[positive]).mean()


def fit_regression(feats: Tensor, label: Tensor, l2: float = 1e-3) -> dict:
    r"""Standardise the features on these rows and fit a ridge-penalised logistic
    regression on them (:func:`gcngan.structural._logistic_newton`, the estimator of
    ``stacked-heuristics``).

    Args:
        feats (Tensor): :math:`(R, F)` pair features.
        label (Tensor): :math:`(R,)` bool or 0/1, the true links.
        l2 (float, optional): Ridge penalty on the standardised coefficients.

    Returns:
        dict: ``mean``, ``scale`` :math:`(F,)`, ``coef`` :math:`(F,)`, ``intercept``
        (float), ``loss`` (float); a constant column keeps scale 1 (coefficient 0).
    """
    from gcngan.structural import _logistic_newton

    x = feats.double().numpy()
    y = label.double().numpy()
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[~(scale > 1e-12)] = 1.0
    beta, _, loss = _logistic_newton((x - mean) / scale, y, l2)
    return {"mean": torch.from_numpy(mean).float(), "scale": torch.from_numpy(scale).float(),
            "coef": torch.from_numpy(beta[1:]).float(), "intercept": float(beta[0]),
            "loss": float(loss)}


class PairDecoder(Decoder):
    r"""MLP on ``[h_u, h_v, h_u * h_v, f_uv]`` -> existence logit and weight of each pair.

    .. math::
        z = \mathrm{MLP}([h_u, h_v, h_u \odot h_v, \tilde f_{uv}]),\quad
        \ell_{uv} = z_0 + a^\top \tilde f_{uv},\quad w_{uv} = \sigma(z_1)

    with :math:`\tilde f = (f - \mu) / \sigma` the standardised features (buffers
    ``feat_mean``/``feat_scale``, identity until :meth:`init_regression` sets them from
    training candidates, which also starts :math:`a` and :math:`z_0` at the regression).

    Args:
        in_channels (int): Node-state size :math:`H` (the LSTM's); ``0`` = no node states
            (``h_src``/``h_dst`` are ignored; the "no GCN" ablation of the sparse model,
            ``model.encoder='none'``, keeps node states without convolution instead).
        pair_channels (int): Pair-feature size :math:`F` (``len(PAIR_FEATURES)``); ``0`` =
            no features (the "no structure" ablation, ``model.pair_features=false``).
        hidden_channels (int, optional): MLP width. (default: ``64``)
        num_layers (int, optional): Hidden layers of the MLP. (default: ``2``)
        dropout (float, optional): Dropout between hidden layers. (default: ``0.0``)
        threshold (float, optional): Existence probability above which
            :meth:`combine` predicts a link. (default: ``0.5``)

    Shapes:
        - **h_src, h_dst:** :math:`(P, H)` (or ``None`` when ``in_channels == 0``)
        - **feats:** :math:`(P, F)` (or ``None`` when ``pair_channels == 0``)
        - **output** of :meth:`forward`: ``(logit, weight)``, each :math:`(P,)`;
          ``weight`` in :math:`(0, 1)` (model scale)
    """

    hedged: bool = False
    reconstructions: tuple = ("hurdle",)

    def __init__(self, in_channels: int, pair_channels: int, hidden_channels: int = 64,
                 num_layers: int = 2, dropout: float = 0.0, threshold: float = 0.5) -> None:
        super().__init__()
        if in_channels < 0 or pair_channels < 0 or in_channels + pair_channels == 0:
            raise ValueError(f"PairDecoder: in_channels={in_channels} and pair_channels="
                             f"{pair_channels} must be >= 0 and not both 0")
        if num_layers < 1 or hidden_channels < 1:
            raise ValueError(f"PairDecoder: num_layers={num_layers} and hidden_channels="
                             f"{hidden_channels} must be >= 1")
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"PairDecoder: threshold={threshold} must be in (0, 1)")
        self.in_channels = in_channels
        self.pair_channels = pair_channels
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.dropout = dropout
        self.threshold = threshold
        sizes = [3 * in_channels + pair_channels] + [hidden_channels] * num_layers
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.out = nn.Linear(hidden_channels, 2)
        if pair_channels:
            self.linear = nn.Linear(pair_channels, 1, bias=False)
        else:
            self.register_module("linear", None)
        # standardisation of the pair features (set from training candidates)
        self.register_buffer("feat_mean", torch.zeros(pair_channels))
        self.register_buffer("feat_scale", torch.ones(pair_channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for lin in self.hidden:
            lin.reset_parameters()
        self.out.reset_parameters()
        if self.linear is not None:
            nn.init.zeros_(self.linear.weight)

    def init_regression(self, fit: dict) -> None:
        """Start where a logistic regression on the features is (:func:`fit_regression`):
        the features are standardised with its ``mean``/``scale``, the linear term gets its
        coefficients, the MLP's existence output is zeroed (weights 0, bias = the
        intercept), so the untrained decoder's logit is the regression's, whatever the
        node states."""
        if self.linear is None:
            raise ValueError("PairDecoder.init_regression: no pair features to regress on")
        with torch.no_grad():
            self.feat_mean.copy_(fit["mean"])
            self.feat_scale.copy_(fit["scale"])
            self.linear.weight.copy_(fit["coef"].reshape(1, -1))
            self.out.weight[0].zero_()
            self.out.bias[0] = float(fit["intercept"])

    def inputs(self, h_src: Optional[Tensor], h_dst: Optional[Tensor],
               feats: Optional[Tensor]) -> Tensor:
        """The MLP input :math:`(P, 3H + F)`."""
        parts = []
        if self.in_channels:
            if h_src is None or h_dst is None:
                raise ValueError("PairDecoder: node states h_src, h_dst are required "
                                 f"(in_channels={self.in_channels})")
            parts += [h_src, h_dst, h_src * h_dst]                         # 3 x (P, H)
        if self.pair_channels:
            if feats is None or feats.shape[-1] != self.pair_channels:
                raise ValueError(f"PairDecoder: expected pair features of size "
                                 f"{self.pair_channels}, got "
                                 f"{None if feats is None else tuple(feats.shape)}")
            parts.append(self.standardize(feats))
        return torch.cat(parts, dim=-1)                                    # (P, 3H + F)

    def standardize(self, feats: Tensor) -> Tensor:
        """``(feats - feat_mean) / feat_scale`` :math:`(P, F)` (identity until set)."""
        return (feats - self.feat_mean) / self.feat_scale

    def forward(self, h_src: Optional[Tensor], h_dst: Optional[Tensor],
                feats: Optional[Tensor]) -> tuple[Tensor, Tensor]:
        z = self.inputs(h_src, h_dst, feats)
        for lin in self.hidden:
            z = F.dropout(F.relu(lin(z)), self.dropout, self.training)     # (P, hidden)
        z = self.out(z)                                                    # (P, 2)
        logit = z[:, 0]
        if self.linear is not None:
            logit = logit + self.linear(self.standardize(feats)).squeeze(-1)  # (P,)
        return logit, torch.sigmoid(z[:, 1])

    # ----- the decoder contract, on pairs -------------------------------------------------
    def parts(self, h_src: Optional[Tensor], h_dst: Optional[Tensor],
              feats: Optional[Tensor]) -> dict:
        """``{'logit', 'prob', 'weight', 'pred'}``, each :math:`(P,)`; ``pred`` is the
        differentiable expected weight ``prob * weight``."""
        logit, weight = self(h_src, h_dst, feats)
        prob = torch.sigmoid(logit)
        return {"logit": logit, "prob": prob, "weight": weight, "pred": prob * weight}

    def pool(self, draws: list) -> dict:
        """Mean probability and weight over several noise draws' :meth:`parts`."""
        prob = torch.stack([d["prob"] for d in draws]).mean(0)
        weight = torch.stack([d["weight"] for d in draws]).mean(0)
        return {"logit": torch.logit(prob.clamp(1e-7, 1 - 1e-7)), "prob": prob,
                "weight": weight, "pred": prob * weight}

    def combine(self, parts: dict) -> Tensor:
        """Point prediction :math:`(P,)`: the weight where ``prob > threshold``, exactly 0
        elsewhere."""
        return torch.where(parts["prob"] > self.threshold, parts["weight"],
                           torch.zeros_like(parts["weight"]))

    def link_score(self, parts: dict) -> Tensor:
        """Link scores :math:`(P,)` for ranking: the existence probability."""
        return parts["prob"]

    def reconstruction(self, name: str, train_config=None) -> Callable[[dict, Tensor], Tensor]:
        """``fn(parts, target) -> scalar``: only ``hurdle`` (:func:`hurdle_loss`)."""
        if name not in self.reconstructions:
            raise ConfigError(f"train.recon={name!r}: the pair decoder supports "
                              f"{', '.join(self.reconstructions)}")
        return hurdle_loss

    def selection(self):
        """No hedge threshold chosen on validation."""
        return None

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.pair_channels}, "
                f"hidden_channels={self.hidden_channels})")
