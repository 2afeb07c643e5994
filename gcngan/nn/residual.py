r"""The ``residual`` decoder in one place: its heads, its named window features, its
reconstruction loss (:func:`hurdle_loss`), its hedge selection on validation
(:class:`HedgeSelection`) and its memory formula (:meth:`ResidualDecoder.values_per_entry`).

Reading order: the feature names (:data:`EDGE_FEATURES`, :data:`NODE_FEATURES`), the
decoder, the loss, then hedge selection: the hedge threshold :math:`\delta` is not trained;
every epoch the trainer's selection hook recombines the decoder's heads at each value of
:data:`DELTA_GRID` and keeps the one with the best :func:`hedge_score` against the naive
baselines on the validation targets.

Scale: the decoder works on the model scale :math:`[0, 1]` (raw weight / cap or maximum).
``high`` (``model.decoder_high``, default ``0.5``) is a fraction of it; the log floor
(``model.decoder_log_floor``) defaults to the refinement threshold ``train.epsilon`` on the
model scale (:func:`~gcngan.nn.decoders.link_floor`), so no constant assumes a cap.
"""
from __future__ import annotations

import functools
import math
from typing import Callable, NamedTuple, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gcngan.nn.decoders import Decoder, register_decoder

#: The window statistics of one entry, in column order of :meth:`ResidualDecoder.features`:
#: 14 of the entry itself (``log_*`` on the log scale :meth:`ResidualDecoder.log_scale`;
#: ``link_share`` / ``high_share``: fraction of window snapshots with a link / at least
#: ``high``; ``since_*``: snapshots since the last one, over W), then 4 of the reverse entry.
EDGE_FEATURES: tuple[str, ...] = (
    "log_median", "log_mean", "log_min", "log_max", "log_std", "log_ewma", "log_last",
    "link_share", "high_share", "since_link", "since_high", "mean", "median",
    "recent_high_share",
    "rev_log_last", "rev_log_median", "rev_link_share", "rev_high_share")
#: Per-node context, in column order of :meth:`ResidualDecoder.node_stats`.
NODE_FEATURES: tuple[str, ...] = ("high_share_now", "high_share_mean", "degree_now",
                                  "degree_change", "high_degree_change")


class EntryFeatures(NamedTuple):
    """:meth:`ResidualDecoder.features` of E entries.

    Attributes:
        edge: :math:`(E, 18 + 2W)`: the :data:`EDGE_FEATURES` columns, the log-scaled window,
            its link indicators.
        named: The :data:`EDGE_FEATURES` columns by name, :math:`(E,)` each.
        node: :math:`(B, N, 5)` per-node context (:data:`NODE_FEATURES`).
        win: :math:`(E, W)` the entries' windows; ``srt``: the same sorted.
    """

    edge: Tensor
    named: dict
    node: Tensor
    win: Tensor
    srt: Tensor


#: Hedge thresholds tried by :class:`HedgeSelection`, as fractions of the
#: model scale (``inf`` = no hedge). On a ``max_threshold=2000`` scale 0.05 is 100 raw units.
DELTA_GRID: tuple[float, ...] = (0.0, 0.0125, 0.025, 0.0375, 0.05, 0.0625, 0.075, 0.1, 0.125,
                                 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, float("inf"))


def masked_median(x: Tensor, mask: Tensor, fill: float) -> Tensor:
    r"""Median (mean of the two middle values) of ``x[e, k]`` over the ``k`` where ``mask``;
    ``fill`` where the mask is empty.

    Shapes:
        - **x, mask:** :math:`(E, W)`
        - **output:** :math:`(E,)`

    Examples:
        >>> masked_median(torch.tensor([[1., 5., 3., 9.]]), torch.tensor([[1, 1, 1, 0]]).bool(), 0.)
        tensor([3.])
    """
    big = torch.where(mask, x, torch.full_like(x, float("inf")))
    srt = torch.sort(big, dim=1).values                                  # (E, W)
    count = mask.sum(1)                                                  # (E,)
    lo = ((count - 1).clamp_min(0) // 2).unsqueeze(1)
    hi = (count // 2).clamp_max(x.shape[1] - 1).unsqueeze(1)
    med = 0.5 * (torch.gather(srt, 1, lo) + torch.gather(srt, 1, hi)).squeeze(1)
    return torch.where(count > 0, med, torch.full_like(med, fill))


class ResidualDecoder(Decoder):
    r"""Per-edge hurdle decoder built on the window: an existence gate, a robust base value
    (a learned L-estimator of the window) and a hedge towards the other mode.

    Only entries *active* in the window (non-zero at least once) are decoded; every other
    entry is predicted 0, as every window baseline does. For an active entry :math:`(i, j)`
    an MLP reads :math:`[h_i, h_j, h_i \odot h_j]` (per-node states of the temporal module),
    18 window statistics of the entry, its :math:`W` log-values and :math:`W` non-zero flags,
    and 5 context features of each endpoint, and outputs :math:`2 + 2W` corrections (zero at
    initialisation) to three heads:

    * existence :math:`p_e = \sigma(10(f_{nz} - \tfrac{W-1}{2W}) + o_0)` with the hard gate
      :math:`p_e > 1/2`: initially "the window median is non-zero" (:math:`f_{nz}` = fraction
      of non-zero snapshots);
    * base value :math:`v = \sum_k (\mathrm{softmax}(o_{1..2W})_k - s_k + m_k)\,c_k` over
      the :math:`2W` candidates :math:`c = [x_{(1)}, \ldots, x_{(W)}, x_{t-W}, \ldots, x_{t-1}]`:
      the sorted window (order statistics: robust, median-like) followed by the window in
      time order (recency: copy-last, EWMA-like), where :math:`m` puts weight on the middle
      order statistics (the median) and :math:`s` is the initial softmax, so the untrained
      decoder gives the window median exactly while gradients are those of the softmax
      combination; on persistent data training moves weight to the recent snapshots;
    * high-mode probability :math:`p_h = \sigma(8(f_{hi} - \tfrac12) + o_{2W+1})` of the next
      value being :math:`\ge` ``high`` (:math:`f_{hi}` = fraction of window values
      :math:`\ge` ``high``).

    With :math:`H` / :math:`L` the medians of the window values above / below ``high``, the
    point prediction is the gated base plus a soft-thresholded mixture hedge

    .. math::
        c = \begin{cases} v + \mathrm{relu}(p_h (H - v) - \delta) & v < \text{high} \\
                          v - \mathrm{relu}((1 - p_h)(v - L) - \delta) & \text{otherwise}
            \end{cases}, \qquad \hat A_{ij} = 1[p_e > \tfrac12]\, c.

    :math:`\delta` (buffer ``delta``, ``inf`` = no hedge) is not trained: the trainer picks
    it on the validation split (:class:`HedgeSelection`) and it travels
    in the checkpoint. In training mode the output is the soft :math:`p_e c` at
    ``train_delta`` so an adversarial term reaches every head; :meth:`parts` gives the heads
    for the ``hurdle`` reconstruction loss.

    Args:
        in_channels (int): Per-node temporal state size :math:`H_{lstm}`.
        num_nodes (int): :math:`N`.
        window (int): :math:`W \ge 2`.
        hidden_channels (int, optional): MLP width. (default: ``64``)
        high (float, optional): Boundary of the high mode on the model scale: ``0.5`` is half
            the cap (or of the maximum weight). (default: ``0.5``)
        train_delta (float, optional): :math:`\delta` of the training-mode output.
            (default: ``0.15``)
        log_floor (float, optional): :math:`\epsilon` of the log features
            :math:`\log(1 + x/\epsilon) / \log(1 + 1/\epsilon)` on the model scale (a
            buffer, saved with the weights). Built from a config, it is
            ``model.decoder_log_floor`` or, unset, :func:`log_floor_for` the data's scale.
            (default: ``0.01 / 2000``, ``train.epsilon`` on a cap of 2000, for a decoder
            built without data)
        ewma_alpha (float, optional): Decay of the EWMA feature. (default: ``0.5``)

    Shapes:
        - **h:** :math:`(B, W, N, H_{lstm})` (per-node temporal states; ``h[:, -1]`` is used)
        - **adj_seq:** :math:`(B, W, N, N)` in :math:`[0, 1]`
        - **output:** :math:`(B, N, N)` in :math:`[0, 1]`
    """

    NUM_EDGE_STATS = len(EDGE_FEATURES)
    NUM_NODE_STATS = len(NODE_FEATURES)
    hedged = True
    reconstructions = ("mse", "hurdle")

    def __init__(self, in_channels: int, num_nodes: int, window: int, hidden_channels: int = 64,
                 high: float = 0.5, train_delta: float = 0.15, log_floor: float = 0.01 / 2000,
                 ewma_alpha: float = 0.5) -> None:
        super().__init__()
        if window is None or window < 2:
            raise ValueError(f"ResidualDecoder: window={window!r} must be >= 2")
        if not 0.0 < high < 1.0:
            raise ValueError(f"ResidualDecoder: high={high!r} must be in (0, 1)")
        if not log_floor > 0:
            raise ValueError(f"ResidualDecoder: log_floor={log_floor!r} must be > 0")
        self.in_channels = in_channels
        self.num_nodes = num_nodes
        self.window = window
        self.hidden_channels = hidden_channels
        self.high = high
        self.train_delta = train_delta
        self.ewma_alpha = ewma_alpha
        self.delta_grid = DELTA_GRID
        W = window
        lag = torch.arange(W - 1, -1, -1, dtype=torch.float32)
        ew = ewma_alpha * (1 - ewma_alpha) ** lag
        self.register_buffer("ewma_weights", ew / ew.sum())                # (W,)
        self.register_buffer("delta", torch.tensor(float("inf")))
        self.register_buffer("log_floor", torch.tensor(float(log_floor)))
        mid = torch.zeros(2 * W)                  # candidates: W sorted, then W in time order
        mid[(W - 1) // 2:W // 2 + 1] = 1.0
        self.register_buffer("median_weights", mid / mid.sum(), persistent=False)   # m
        self.register_buffer("init_bias", torch.where(mid > 0, 0.0, -8.0), persistent=False)
        self.register_buffer("init_softmax", torch.softmax(self.init_bias, 0),
                             persistent=False)                                      # s
        n_in = 3 * in_channels + self.NUM_EDGE_STATS + 2 * W + 2 * self.NUM_NODE_STATS
        self.mlp = nn.Sequential(nn.Linear(n_in, hidden_channels), nn.ReLU(),
                                 nn.Linear(hidden_channels, hidden_channels), nn.ReLU(),
                                 nn.Linear(hidden_channels, 2 + 2 * W))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.mlp[0].reset_parameters()
        self.mlp[2].reset_parameters()
        nn.init.zeros_(self.mlp[-1].weight)
        with torch.no_grad():
            self.mlp[-1].bias.zero_()
            self.mlp[-1].bias[1:1 + 2 * self.window] = self.init_bias
        self.delta.fill_(float("inf"))

    # -- features --------------------------------------------------------------------------
    def log_scale(self, x: Tensor) -> Tensor:
        r""":math:`\log(1 + x/\epsilon) / \log(1 + 1/\epsilon)`: 0 -> 0, 1 -> 1."""
        eps = self.log_floor
        return torch.log1p(x / eps) / torch.log1p(1.0 / eps)

    def entry_stats(self, win: Tensor, srt: Tensor) -> tuple[dict, Tensor, Tensor]:
        """Statistics of the windows ``win`` ``(E, W)`` of E entries, ``srt`` the same sorted
        along the window: the ``(E,)`` columns named by :data:`EDGE_FEATURES` (its first 14,
        the entry's own), the log-scaled window ``g`` and the link indicator ``nz``
        ``(E, W)``."""
        W = win.shape[1]
        g = self.log_scale(win)                                          # (E, W)
        nz, hi = (win > 0).to(win.dtype), (win >= self.high).to(win.dtype)
        middle = srt[:, (W - 1) // 2:W // 2 + 1]                         # (E, 1 or 2)
        xmed = middle.mean(1)                                            # (E,)
        gmed = self.log_scale(middle).mean(1)           # log_scale is increasing: sort commutes
        pos = torch.arange(1, W + 1, device=win.device, dtype=win.dtype)
        since_nz = (W - (nz * pos).amax(1)) / W
        since_hi = (W - (hi * pos).amax(1)) / W
        ge = g @ self.ewma_weights.to(win.dtype)
        stats = {"log_median": gmed, "log_mean": g.mean(1), "log_min": g.amin(1),
                 "log_max": g.amax(1), "log_std": g.std(1), "log_ewma": ge, "log_last": g[:, -1],
                 "link_share": nz.mean(1), "high_share": hi.mean(1), "since_link": since_nz,
                 "since_high": since_hi, "mean": win.mean(1), "median": xmed,
                 "recent_high_share": hi[:, -3:].mean(1)}
        return stats, g, nz

    def reverse_stats(self, rwin: Tensor) -> dict:
        """Of the reverse entries' windows ``rwin`` ``(E, W)``: last log value, log median,
        link share and high share (``(E,)`` each, named ``rev_*`` as in
        :data:`EDGE_FEATURES`)."""
        W = rwin.shape[1]              # only these 4: the full entry_stats cost 10% more
        middle = torch.sort(rwin, 1).values[:, (W - 1) // 2:W // 2 + 1]
        return {"rev_log_last": self.log_scale(rwin[:, -1]),
                "rev_log_median": self.log_scale(middle).mean(1),
                "rev_link_share": (rwin > 0).to(rwin.dtype).mean(1),
                "rev_high_share": (rwin >= self.high).to(rwin.dtype).mean(1)}

    def node_stats(self, adj_seq: Tensor) -> Tensor:
        """Per-node context ``(B, N, 5)``: share of high links now and over the window, degree
        now and its last change, change of the high degree (degrees count both directions)."""
        N, dt = adj_seq.shape[-1], adj_seq.dtype

        def degree(links: Tensor) -> Tensor:       # (B, W, N, N) bool -> (B, W, N)
            # summed straight into floats: 1.5x faster than into int64, and no float copy
            # of the links (1.3 GB at B = 32, W = 10, N = 995)
            return links.sum(-1, dtype=dt) + links.sum(-2, dtype=dt)

        deg, dhi = degree(adj_seq > 0), degree(adj_seq >= self.high)
        frh = dhi / deg.clamp_min(1)
        return torch.stack([frh[:, -1], frh.mean(1), deg[:, -1] / N,
                            (deg[:, -1] - deg[:, -2]) / N, (dhi[:, -1] - dhi[:, -2]) / N], -1)

    def features(self, adj_seq: Tensor, idx: tuple[Tensor, Tensor, Tensor]) -> "EntryFeatures":
        """Window features of the E entries ``idx = (b, i, j)``: ``edge`` ``(E, 18 + 2W)``
        (the :data:`EDGE_FEATURES` columns, then the log-scaled window and its link
        indicators), the same columns by name (``named``), the per-node context ``node``
        ``(B, N, 5)`` (:data:`NODE_FEATURES`), the entries' windows ``win`` and the same
        sorted ``srt`` ``(E, W)``. Only the given entries are computed, so memory grows
        with the active entries, not with :math:`N^2`."""
        b, i, j = idx
        win = adj_seq[b, :, i, j]                                        # (E, W)
        srt = torch.sort(win, 1).values
        stats, g, nz = self.entry_stats(win, srt)
        named = {**stats, **self.reverse_stats(adj_seq[b, :, j, i])}
        edge = torch.cat([torch.stack([named[k] for k in EDGE_FEATURES], -1), g, nz], -1)
        return EntryFeatures(edge, named, self.node_stats(adj_seq), win, srt)

    # -- heads ---------------------------------------------------------------------------------
    def parts(self, h: Tensor, adj_seq: Tensor) -> dict:
        """The heads on the active entries (dict of tensors, ``(E,)`` each, plus ``idx``,
        ``shape`` and ``pred``: the decoder's output in the current mode)."""
        B, W, N, _ = adj_seq.shape
        if h.dim() != 4:
            raise ValueError("ResidualDecoder needs per-node temporal states (B, W, N, H); "
                             "use model.temporal='node'")
        node_h = h[:, -1]                                                # (B, N, H)
        b, i, j = (adj_seq > 0).any(1).nonzero(as_tuple=True)           # E active entries
        f = self.features(adj_seq, (b, i, j))                           # edge: (E, 18 + 2W)
        win, srt, node = f.win, f.srt, f.node
        hi_, hj_ = node_h[b, i], node_h[b, j]                            # (E, H)
        z = torch.cat([hi_, hj_, hi_ * hj_, f.edge, node[b, i], node[b, j]], -1)
        o = self.mlp(z)                                                  # (E, 2 + 2W)
        cand = torch.cat([srt, win], 1)                                  # (E, 2W)
        weights = torch.softmax(o[:, 1:1 + 2 * W], 1) - self.init_softmax + self.median_weights
        out = {
            "idx": (b, i, j), "shape": (B, N, N),
            "logit_e": o[:, 0] + 10.0 * (f.named["link_share"] - (W - 1) / (2 * W)),
            "v": (weights * cand).sum(1),
            "logit_h": o[:, 1 + 2 * W] + 8.0 * (f.named["high_share"] - 0.5),
            "H": masked_median(win, win >= self.high, 1.0),
            "L": masked_median(win, win < self.high, 0.0),
        }
        if self.training:
            out["pred"] = self.combine(out, self.train_delta, soft=True)
        else:
            out["pred"] = self.combine(out, self.delta)
        return out

    def combine(self, parts: dict, delta=None, soft: bool = False) -> Tensor:
        """Point prediction ``(B, N, N)`` from the heads at hedge threshold ``delta`` (``None``:
        the chosen :attr:`delta` buffer); ``soft``
        multiplies by :math:`p_e` instead of the hard gate. Uses ``parts['pe']``/``['ph']``
        (pooled probabilities) when present, else the logits."""
        if delta is None:
            delta = self.delta
        pe = parts["pe"] if "pe" in parts else torch.sigmoid(parts["logit_e"])
        ph = parts["ph"] if "ph" in parts else torch.sigmoid(parts["logit_h"])
        v, H, L = parts["v"], parts["H"], parts["L"]
        up = torch.relu(ph * (H - v) - delta)
        down = torch.relu((1 - ph) * (v - L) - delta)
        c = torch.where(v < self.high, v + up, v - down).clamp(0.0, 1.0)
        gate = pe if soft else (pe > 0.5).to(c.dtype)
        return v.new_zeros(parts["shape"]).index_put(parts["idx"], gate * c)

    def link_score(self, parts: dict) -> Tensor:
        """Existence probability :math:`p_e` on the active entries, 0 elsewhere: the score
        that ranking metrics (AUC/AP) use, ``(B, N, N)`` in :math:`[0, 1]`. Unlike the hard
        gate of :meth:`combine`, it orders the entries the gate switches off too."""
        pe = parts["pe"] if "pe" in parts else torch.sigmoid(parts["logit_e"])
        return pe.new_zeros(parts["shape"]).index_put(parts["idx"], pe)

    def pool(self, draws: list) -> dict:
        """Pool the heads of several noise draws: mean probabilities, geometric-mean base."""
        out = dict(draws[0])
        out["pe"] = torch.stack([torch.sigmoid(d["logit_e"]) for d in draws]).mean(0)
        out["ph"] = torch.stack([torch.sigmoid(d["logit_h"]) for d in draws]).mean(0)
        logv = torch.stack([d["v"].clamp_min(1e-7).log() for d in draws]).mean(0)
        out["v"] = logv.exp()
        if len(draws) == 1:
            out["v"] = draws[0]["v"]
        return out

    def forward(self, h: Tensor, adj_seq: Tensor) -> Tensor:
        return self.parts(h, adj_seq)["pred"]                            # (B, N, N)

    def reconstruction(self, name: str, train_config=None) -> Callable[[dict, Tensor], Tensor]:
        """``mse`` on ``parts['pred']``, or ``hurdle`` (:func:`hurdle_loss`) at this decoder's
        ``high`` with ``train_config``'s weights (``hurdle_*_weight``)."""
        if name != "hurdle":
            return super().reconstruction(name, train_config)
        tc = train_config
        weights = ({} if tc is None else
                   {"log_weight": tc.hurdle_log_weight, "l1_weight": tc.hurdle_l1_weight,
                    "high_weight": tc.hurdle_high_weight})
        return functools.partial(hurdle_loss, high=self.high, **weights)

    def selection(self) -> "HedgeSelection":
        """Model selection on validation that also picks :attr:`delta`."""
        return HedgeSelection()

    @staticmethod
    def values_per_entry(model_config, window: int, train: bool = True) -> int:
        """float32 values the decoder keeps per active entry in one batch: its MLP input,
        hidden layers (pre- and post-ReLU), heads and window features; 10% more for
        autograd's temporaries when ``train`` (fitted to peak-RSS measurements of a
        training step), input and first hidden layer only when evaluating (no graph is
        kept). :func:`gcngan.resources.estimate_memory` multiplies it by the active entries."""
        n_in = (3 * model_config.lstm_hidden + ResidualDecoder.NUM_EDGE_STATS + 2 * window
                + 2 * ResidualDecoder.NUM_NODE_STATS)
        h = model_config.decoder_hidden
        if not train:
            return n_in + 2 * h + 5 * window
        return int(1.1 * (n_in + 4 * h + 9 * window + 22))

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, num_nodes={self.num_nodes}, "
                f"window={self.window})")


@register_decoder("residual")
def _build_residual(config, in_channels: int, num_nodes: int, window: Optional[int] = None,
                    link_floor: Optional[float] = None) -> nn.Module:
    log_floor = config.decoder_log_floor
    if log_floor is None:
        log_floor = link_floor if link_floor is not None else 0.01 / 2000
    return ResidualDecoder(in_channels, num_nodes, window, config.decoder_hidden,
                           high=config.decoder_high, log_floor=log_floor)


# ----- the reconstruction loss ----------------------------------------------------------------
def hurdle_loss(parts: dict, target: Tensor, *, high: float = 0.5, log_weight: float = 1.0,
                l1_weight: float = 10.0, high_weight: float = 1.0) -> Tensor:
    r"""Reconstruction term of the ``residual`` decoder, over its active entries :math:`E`:

    .. math::
        \mathrm{BCE}(p_e, 1[y > 0]) + w_h \mathrm{BCE}(p_h, 1[y \ge \text{high}])
        + w_{\log} \,\overline{|\ln v - \ln y|}_{y > 0,\, p_e > 1/2}
        + w_1 \,\overline{|1[p_e > 1/2]\, v - y|}

    (means over the entries; the log term only where the gate is open and :math:`y > 0`).
    Scale-free on the model scale: ``high`` is a fraction of it (the decoder's own, via
    :meth:`ResidualDecoder.reconstruction`; weights ``train.hurdle_*_weight``).

    Args:
        parts (dict): ``ResidualDecoder.parts`` output: ``idx``, ``logit_e``, ``v``, ``logit_h``.
        target (Tensor): :math:`(B, N, N)` on the model scale.

    Returns:
        Tensor: scalar.
    """
    y = target[parts["idx"]]                                             # (E,)
    if y.numel() == 0:
        return target.new_zeros(()) + 0.0 * parts["v"].sum()
    exists = (y > 0).to(y.dtype)
    bce_e = F.binary_cross_entropy_with_logits(parts["logit_e"], exists)
    bce_h = F.binary_cross_entropy_with_logits(parts["logit_h"], (y >= high).to(y.dtype))
    gate = (parts["logit_e"] > 0).to(y.dtype)
    v = parts["v"]
    both = (exists > 0) & (gate > 0)
    if both.any():
        l1_log = (v[both].clamp_min(1e-7).log() - y[both].log()).abs().mean()
    else:
        l1_log = v.new_zeros(())
    l1 = (gate * v - y).abs().mean()
    return bce_e + high_weight * bce_h + log_weight * l1_log + l1_weight * l1


# ----- hedge selection on validation ---------------------------------------------------------
#: Metrics of the hedge criterion (all lower is better) and the baselines it compares with.
HEDGE_METRICS = ("rmse", "mae", "kl", "mlsd", "mismatch_rate")
HEDGE_MONITOR = "val_score"


def hedge_score(metrics: dict, baselines: dict) -> float:
    """Worst ratio to the best baseline over :data:`HEDGE_METRICS` (metrics whose best
    baseline value is not positive have no ratio and are left out), plus 1 unless the
    model beats every baseline on all but at most one metric (lower is better).

    Args:
        metrics (dict): ``{metric: value}`` of the model.
        baselines (dict): ``{baseline: {metric: value}}``.
    """
    ratios, ok = [], True
    for m in HEDGE_METRICS:
        best = min(b[m] for b in baselines.values())
        if not (math.isfinite(metrics[m]) and math.isfinite(best)) or best <= 0:
            continue              # no ratio (e.g. the paper's KL can be <= 0)
        ratios.append(metrics[m] / best)
    for b in baselines.values():
        wins = sum(metrics[m] < b[m] for m in HEDGE_METRICS)
        ok = ok and wins >= len(HEDGE_METRICS) - 1
    return (max(ratios) if ratios else math.inf) + (0.0 if ok else 1.0)


class _HedgeSweep(nn.Module):
    """Predictor for :func:`~gcngan.predict.predict_targets` returning a generator's
    predictions at every hedge threshold at once, then its link scores:
    ``predict(adj_seq) -> (B, D + 1, N, N)`` (no separate ``predict_scores``)."""

    link_scores = False

    def __init__(self, generator: nn.Module, deltas: list) -> None:
        super().__init__()
        self.generator = generator
        self.deltas = deltas

    @torch.no_grad()
    def predict(self, adj_seq: Tensor, samples: int = 1,
                generator: Optional[torch.Generator] = None) -> Tensor:
        g = self.generator
        was_training = g.training
        g.eval()
        try:
            parts = g.decoder.pool([g.forward_parts(adj_seq, generator)
                                    for _ in range(samples)])
            return torch.stack([g.decoder.combine(parts, d) for d in self.deltas]
                               + [g.decoder.link_score(parts)], 1)
        finally:
            g.train(was_training)


@torch.no_grad()
def sweep_predictions(generator: nn.Module, seq, adj_scaled: Tensor, targets, window: int, *,
                      epsilon: float, samples: int = 1, seed: int = 0
                      ) -> tuple[list, list, Tensor, Tensor]:
    """The generator's refined raw-scale predictions of ``targets`` at every value of its
    decoder's ``delta_grid`` (heads pooled over ``samples`` draws once; the grid only
    recombines them).

    Args:
        generator (Generator): With a :class:`ResidualDecoder`.
        seq (SnapshotSequence): The data (scaler, direction, true snapshots).
        adj_scaled (Tensor): :math:`(T, N, N)` on the model scale, on the generator's device.

    Returns:
        tuple: ``(grid, refined, target, links)``: the grid, one :math:`(K, N, N)` raw-scale
        prediction per grid value, the true snapshots :math:`(K, N, N)` and the link scores
        of the same heads (as :func:`~gcngan.predict.score_split`).
    """
    from gcngan.predict import keeps_self_loops, predict_targets, refine

    grid = [float(d) for d in generator.decoder.delta_grid]
    out = predict_targets(_HedgeSweep(generator, grid), adj_scaled, targets, window,
                          samples=samples, seed=seed)                       # (K, D+1, N, N)
    loops = keeps_self_loops(seq)
    refined = [refine(seq.scaler.inverse(out[:, k].float()).cpu(), epsilon, seq.directed, loops)
               for k in range(len(grid))]
    links = refine(out[:, -1].float().cpu(), epsilon=None, directed=seq.directed)
    target = seq.adj[torch.as_tensor(list(targets), dtype=torch.long)]
    return grid, refined, target, links


@torch.no_grad()
def hedge_sweep(generator: nn.Module, seq, adj_scaled: Tensor, targets, window: int, *,
                epsilon: float, samples: int = 1, seed: int = 0, metrics=None) -> list[dict]:
    """Metrics on ``targets`` at **every** hedge threshold of the decoder's grid, without
    changing the chosen ``delta``: a diagnostic of what the hedge can reach (e.g. on a
    backtest's test period), never a way to choose it. Arguments as
    :func:`sweep_predictions`.

    Returns:
        list[dict]: ``{"delta": float, "metrics": {name: mean over targets}}`` per grid
        value, in grid order (``inf`` = no hedge).
    """
    from gcngan.metrics import evaluate_predictions

    grid, refined, target, _ = sweep_predictions(generator, seq, adj_scaled, targets, window,
                                                 epsilon=epsilon, samples=samples, seed=seed)
    return [{"delta": d, "metrics": {m: v["mean"] for m, v in
                                     evaluate_predictions(pred, target, metrics).items()}}
            for d, pred in zip(grid, refined)]


class HedgeSelection:
    """The trainer's model-selection hook for :class:`ResidualDecoder`: validation picks the
    hedge threshold (:meth:`validate`) and models are compared by :func:`hedge_score`
    (``monitor = 'val_score'``, lower is better); the untrained decoder (the window-median
    rule) is a candidate before the first epoch (``initial_candidate``).

    It reads the trainer's public state only: ``generator``, ``data``, ``adj``, ``split``,
    ``window``, ``config`` and :meth:`~gcngan.train.Trainer.evaluate` /
    :meth:`~gcngan.train.Trainer.evaluate_baselines`.
    """

    monitor = HEDGE_MONITOR
    initial_candidate = True

    def __init__(self) -> None:
        self._baselines: dict = {}

    def baseline_metrics(self, trainer, split: str = "val") -> dict:
        """``{baseline: {metric: mean}}`` of the naive baselines on ``split`` (cached)."""
        if split not in self._baselines:
            self._baselines[split] = {
                name: {m: v["mean"] for m, v in res.items()}
                for name, res in trainer.evaluate_baselines(split, HEDGE_METRICS).items()}
        return self._baselines[split]

    @torch.no_grad()
    def validate(self, trainer, split: str = "val") -> tuple[dict, dict]:
        """Pick the decoder's ``delta`` on ``split`` from its ``delta_grid`` by
        :func:`hedge_score`; sets the ``delta`` buffer (so it is saved with the weights).

        Returns:
            tuple: ``({"delta": ..., "val_score": ...}, metrics)``: the choice (``delta`` on
            the model scale, ``inf`` = no hedge) and the :meth:`Trainer.evaluate`-style
            metrics at it (``({}, trainer.evaluate(split))`` when ``split`` is empty).
        """
        from gcngan.metrics import evaluate_predictions

        targets = trainer.split[split]
        if not len(targets):
            return {}, trainer.evaluate(split)
        base = self.baseline_metrics(trainer, split)
        tc = trainer.config.train
        grid, refined, target, links = sweep_predictions(
            trainer.generator, trainer.data, trainer.adj, targets, trainer.window,
            epsilon=tc.epsilon, samples=tc.eval_samples, seed=tc.seed)
        scores = []
        for pred in refined:
            res = evaluate_predictions(pred, target, HEDGE_METRICS)
            scores.append(hedge_score({m: v["mean"] for m, v in res.items()}, base))
        k = min(range(len(grid)), key=lambda i: scores[i])
        trainer.generator.decoder.delta.fill_(grid[k])
        return ({"delta": grid[k], HEDGE_MONITOR: scores[k]},
                evaluate_predictions(refined[k], target, scores=links))


__all__ = ["DELTA_GRID", "EDGE_FEATURES", "EntryFeatures", "HEDGE_METRICS", "HedgeSelection",
           "NODE_FEATURES", "ResidualDecoder", "hedge_score", "hedge_sweep", "hurdle_loss",
           "masked_median", "sweep_predictions"]
