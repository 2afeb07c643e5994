r"""Decoders: temporal state (+ the window itself) -> next adjacency in :math:`[0, 1]`.

Every decoder has the same call signature ``decoder(h, adj_seq) -> (B, N, N)`` so the
generator never needs to know which one it holds:

* ``h`` — the LSTM output, ``(B, W, H_lstm)`` (``h[:, -1]`` is the final state);
* ``adj_seq`` — the input window ``(B, W, N, N)`` in ``[0, 1]``, for decoders that build on
  window statistics (e.g. a residual decoder around the window mean).

Decoders are registered by name with :func:`register_decoder`; the builder receives the
:class:`~gcngan.config.ModelConfig`, the LSTM size and ``N``. ``model.decoder`` in the config
selects one. A new decoder is one class + one ``@register_decoder("name")`` builder.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import Tensor, nn

from gcngan.errors import ConfigError

DecoderBuilder = Callable[..., nn.Module]
DECODERS: dict[str, DecoderBuilder] = {}


def register_decoder(name: str) -> Callable[[DecoderBuilder], DecoderBuilder]:
    """Register ``builder(config: ModelConfig, in_channels: int, num_nodes: int) -> nn.Module``."""
    def wrap(builder: DecoderBuilder) -> DecoderBuilder:
        DECODERS[name] = builder
        return builder
    return wrap


def build_decoder(config, in_channels: int, num_nodes: int, window: Optional[int] = None
                  ) -> nn.Module:
    """The decoder named ``config.decoder``; unknown or not-yet-available names raise.

    ``window`` (:math:`W`) is passed on as a keyword to builders that need it (``residual``).
    """
    if config.decoder not in DECODERS:
        raise ConfigError(f"model.decoder={config.decoder!r} is not available; "
                          f"registered decoders: {', '.join(sorted(DECODERS))}")
    if window is None:
        return DECODERS[config.decoder](config, in_channels, num_nodes)
    return DECODERS[config.decoder](config, in_channels, num_nodes, window=window)


class DenseDecoder(nn.Module):
    r"""The paper's decoder: one fully connected layer from the final LSTM state to all
    :math:`N^2` entries, then a sigmoid: :math:`\hat A = \sigma(W h_W + b)`.

    Args:
        in_channels (int): LSTM state size :math:`H_{lstm}`.
        num_nodes (int): :math:`N`.

    Shapes:
        - **h:** :math:`(B, W, H_{lstm})`
        - **adj_seq:** :math:`(B, W, N, N)` (unused)
        - **output:** :math:`(B, N, N)` in :math:`[0, 1]`
    """

    def __init__(self, in_channels: int, num_nodes: int) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.num_nodes = num_nodes
        self.lin = nn.Linear(in_channels, num_nodes * num_nodes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.lin.reset_parameters()

    def forward(self, h: Tensor, adj_seq: Tensor) -> Tensor:
        n = self.num_nodes
        logits = self.lin(h[:, -1])                                      # (B, N*N)
        return torch.sigmoid(logits).view(-1, n, n)                      # (B, N, N)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, num_nodes={self.num_nodes})"


@register_decoder("dense")
def _build_dense(config, in_channels: int, num_nodes: int, window: Optional[int] = None
                 ) -> nn.Module:
    return DenseDecoder(in_channels, num_nodes)


# ----- residual (hurdle + hedge) decoder ------------------------------------------------------
#: Hedge thresholds tried by :meth:`~gcngan.train.Trainer.select_hedge`, as fractions of the
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


class ResidualDecoder(nn.Module):
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
    it on the validation split (:meth:`~gcngan.train.Trainer.select_hedge`) and it travels
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
            :math:`\log(1 + x/\epsilon) / \log(1 + 1/\epsilon)` on the model scale; the
            trainer sets it (buffer) to ``train.epsilon`` on the model scale.
            (default: ``0.01 / 2000``)
        ewma_alpha (float, optional): Decay of the EWMA feature. (default: ``0.5``)

    Shapes:
        - **h:** :math:`(B, W, N, H_{lstm})` (per-node temporal states; ``h[:, -1]`` is used)
        - **adj_seq:** :math:`(B, W, N, N)` in :math:`[0, 1]`
        - **output:** :math:`(B, N, N)` in :math:`[0, 1]`
    """

    NUM_EDGE_STATS = 18
    NUM_NODE_STATS = 5

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

    def entry_stats(self, win: Tensor, srt: Tensor) -> tuple[list, Tensor, Tensor]:
        """Statistics of the windows ``win`` ``(E, W)`` of E entries, ``srt`` the same sorted
        along the window: the list of 14 ``(E,)`` columns, the log-scaled window ``g`` and
        the link indicator ``nz`` ``(E, W)``."""
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
        stats = [gmed, g.mean(1), g.amin(1), g.amax(1), g.std(1), ge, g[:, -1], nz.mean(1),
                 hi.mean(1), since_nz, since_hi, win.mean(1), xmed, hi[:, -3:].mean(1)]
        return stats, g, nz

    def reverse_stats(self, rwin: Tensor) -> list:
        """Of the reverse entries' windows ``rwin`` ``(E, W)``: last log value, log median,
        link share and high share (``(E,)`` each)."""
        W = rwin.shape[1]              # only these 4: the full entry_stats cost 10% more
        middle = torch.sort(rwin, 1).values[:, (W - 1) // 2:W // 2 + 1]
        return [self.log_scale(rwin[:, -1]), self.log_scale(middle).mean(1),
                (rwin > 0).to(rwin.dtype).mean(1), (rwin >= self.high).to(rwin.dtype).mean(1)]

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

    def features(self, adj_seq: Tensor, idx: tuple[Tensor, Tensor, Tensor]
                 ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Window statistics of the E entries ``idx = (b, i, j)`` ``(E, 18 + 2W)``: their own
        14, 4 of the reverse entry's, then the log-scaled window and its link indicators;
        the per-node context ``(B, N, 5)``; the entries' windows and the same sorted
        ``(E, W)``. Only the given entries are computed, so memory grows with the active
        entries, not with :math:`N^2`."""
        b, i, j = idx
        win = adj_seq[b, :, i, j]                                        # (E, W)
        srt = torch.sort(win, 1).values
        stats, g, nz = self.entry_stats(win, srt)
        rev = self.reverse_stats(adj_seq[b, :, j, i])
        ef = torch.cat([torch.stack(stats + rev, -1), g, nz], -1)
        return ef, self.node_stats(adj_seq), win, srt

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
        e, node, win, srt = self.features(adj_seq, (b, i, j))            # (E, 18 + 2W)
        hi_, hj_ = node_h[b, i], node_h[b, j]                            # (E, H)
        z = torch.cat([hi_, hj_, hi_ * hj_, e, node[b, i], node[b, j]], -1)
        o = self.mlp(z)                                                  # (E, 2 + 2W)
        cand = torch.cat([srt, win], 1)                                  # (E, 2W)
        weights = torch.softmax(o[:, 1:1 + 2 * W], 1) - self.init_softmax + self.median_weights
        out = {
            "idx": (b, i, j), "shape": (B, N, N),
            "logit_e": o[:, 0] + 10.0 * (e[:, 7] - (W - 1) / (2 * W)),
            "v": (weights * cand).sum(1),
            "logit_h": o[:, 1 + 2 * W] + 8.0 * (e[:, 8] - 0.5),
            "H": masked_median(win, win >= self.high, 1.0),
            "L": masked_median(win, win < self.high, 0.0),
        }
        if self.training:
            out["pred"] = self.combine(out, self.train_delta, soft=True)
        else:
            out["pred"] = self.combine(out, self.delta)
        return out

    def combine(self, parts: dict, delta, soft: bool = False) -> Tensor:
        """Point prediction ``(B, N, N)`` from the heads at hedge threshold ``delta``; ``soft``
        multiplies by :math:`p_e` instead of the hard gate. Uses ``parts['pe']``/``['ph']``
        (pooled probabilities) when present, else the logits."""
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

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, num_nodes={self.num_nodes}, "
                f"window={self.window})")


@register_decoder("residual")
def _build_residual(config, in_channels: int, num_nodes: int, window: Optional[int] = None
                    ) -> nn.Module:
    return ResidualDecoder(in_channels, num_nodes, window, config.decoder_hidden)
