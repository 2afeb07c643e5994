r"""The GCN-GAN generator: node inputs -> GCN per snapshot -> LSTM over the window -> decoder.

Reading order: :class:`Generator` (composition and ``forward``), then the three node-input
modules, then :func:`build_generator` (the only place a :class:`~gcngan.config.ModelConfig`
is turned into modules).
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from gcngan.errors import ConfigError
from gcngan.nn.decoders import Decoder, build_decoder
from gcngan.nn.encoders import USES_NODE_INPUT, build_encoder
from gcngan.nn.temporal import NodeTemporalLSTM, TemporalLSTM


class Generator(nn.Module):
    r"""Predicts the next weighted snapshot from a window of ``W`` snapshots.

    .. math::
        Z_t \sim \mathcal{U}(0, 1)^{N \times F}, \quad
        X_t = \mathrm{GCN}(Z_t, A_t), \quad
        h = \mathrm{LSTM}(\mathrm{vec}(X_{1}), \ldots, \mathrm{vec}(X_{W})), \quad
        \hat A = \mathrm{decoder}(h, A_{1..W})

    Composed, not subclassed: any ``node_input``, ``encoder``, ``temporal`` and ``decoder``
    with the documented shapes can be swapped in.

    Args:
        node_input (nn.Module): ``node_input(adj_seq, generator) -> x`` of shape
            :math:`(B, W, N, F)` or :math:`(N, F)`.
        encoder (nn.Module): ``encoder(x, adj_seq) -> (B, W, N, H)``, e.g. :class:`DenseGCNEncoder`.
        temporal (nn.Module): ``temporal(seq (B, W, N*H)) -> (out (B, W, H_lstm), last)``.
        decoder (Decoder): ``decoder(out, adj_seq) -> (B, N, N)`` in :math:`[0, 1]`, a
            :class:`~gcngan.nn.decoders.Decoder` (the contract ``predict`` and the trainer use).

    Shapes:
        - **adj_seq:** :math:`(B, W, N, N)`, weights in :math:`[0, 1]`
        - **output:** :math:`(B, N, N)` in :math:`[0, 1]`
    """

    def __init__(self, node_input: nn.Module, encoder: nn.Module, temporal: nn.Module,
                 decoder: Decoder) -> None:
        super().__init__()
        self.node_input = node_input
        self.encoder = encoder
        self.temporal = temporal
        self.decoder = decoder

    def reset_parameters(self) -> None:
        for m in (self.node_input, self.encoder, self.temporal):
            if hasattr(m, "reset_parameters"):      # node inputs without weights have none
                m.reset_parameters()
        self.decoder.reset_parameters()

    def forward(self, adj_seq: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        return self.decoder(self.state(adj_seq, generator), adj_seq)     # (B, N, N)

    def state(self, adj_seq: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        """Temporal output: :math:`(B, W, H_{lstm})`, or :math:`(B, W, N, H_{lstm})` for
        ``temporal='node'``."""
        B, W, N, _ = adj_seq.shape
        x = self.node_input(adj_seq, generator)                          # (B, W, N, F) | (N, F)
        z = self.encoder(x, adj_seq)                                     # (B, W, N, H)
        out, _ = self.temporal(z.reshape(B, W, -1))                      # (B, W, [N,] H_lstm)
        return out

    def forward_parts(self, adj_seq: Tensor,
                      generator: Optional[torch.Generator] = None) -> dict:
        """The decoder's :meth:`~gcngan.nn.decoders.Decoder.parts` for losses that need more
        than the output; ``parts['pred']`` equals :meth:`forward`'s output."""
        return self.decoder.parts(self.state(adj_seq, generator), adj_seq)

    #: :meth:`predict_scores` gives link scores of their own (the predictor interface of
    #: :mod:`gcngan.predict`; the baselines' is ``False``)
    link_scores = True

    @torch.no_grad()
    def predict(self, adj_seq: Tensor, samples: int = 1,
                generator: Optional[torch.Generator] = None) -> Tensor:
        """Mean of ``samples`` forward passes in eval mode (restores the previous mode).

        Same interface as the baselines in :mod:`gcngan.baselines`. The decoder pools its
        parts over the draws (:meth:`~gcngan.nn.decoders.Decoder.pool`: the mean output, or
        e.g. ``residual``'s pooled heads).

        Shapes:
            - **adj_seq:** :math:`(B, W, N, N)` in :math:`[0, 1]`
            - **output:** :math:`(B, N, N)` in :math:`[0, 1]`
        """
        return self._eval_draws(adj_seq, samples, generator, scores=False)

    @torch.no_grad()
    def predict_scores(self, adj_seq: Tensor, samples: int = 1,
                       generator: Optional[torch.Generator] = None) -> Tensor:
        """Link scores in :math:`[0, 1]` for ranking metrics (AUC/AP): higher means a link
        is more likely: the decoder's :meth:`~gcngan.nn.decoders.Decoder.link_score`
        (``residual``: its existence probability, pooled over ``samples`` draws; by default
        the prediction itself). Same noise draws as :meth:`predict` for the same ``generator``
        state.

        Shapes:
            - **adj_seq:** :math:`(B, W, N, N)` in :math:`[0, 1]`
            - **output:** :math:`(B, N, N)` in :math:`[0, 1]`
        """
        return self._eval_draws(adj_seq, samples, generator, scores=True)

    def _eval_draws(self, adj_seq: Tensor, samples: int, generator: Optional[torch.Generator],
                    scores: bool) -> Tensor:
        was_training = self.training
        self.eval()
        try:
            pooled = self.decoder.pool([self.forward_parts(adj_seq, generator)
                                        for _ in range(samples)])
            return self.decoder.link_score(pooled) if scores else self.decoder.combine(pooled)
        finally:
            self.train(was_training)


class NoiseInput(nn.Module):
    r"""Uniform noise :math:`\mathcal{U}(0, 1)`, re-drawn for every snapshot on every forward
    pass (the paper's node input). Drawn on ``adj_seq``'s device; pass a ``torch.Generator``
    (on that device) for reproducible draws.

    Shapes:
        - **output:** :math:`(B, W, N, F)`
    """

    def __init__(self, num_nodes: int, noise_dim: int) -> None:
        super().__init__()
        self.num_nodes = num_nodes
        self.out_channels = noise_dim

    def forward(self, adj_seq: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        B, W, N, _ = adj_seq.shape
        return torch.rand((B, W, N, self.out_channels), generator=generator,
                          device=adj_seq.device, dtype=adj_seq.dtype)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.num_nodes}, {self.out_channels})"


class EmbeddingInput(nn.Module):
    r"""A learned embedding per node, shared by every snapshot; with ``noise_std > 0`` plus
    Gaussian noise :math:`\mathcal{N}(0, \sigma^2)` drawn per snapshot on every forward pass
    (``model.node_noise``), else deterministic.

    Shapes:
        - **output:** :math:`(N, F)`
    """

    def __init__(self, num_nodes: int, embedding_dim: int, noise_std: float = 0.0) -> None:
        super().__init__()
        self.num_nodes = num_nodes
        self.out_channels = embedding_dim
        self.noise_std = noise_std
        self.weight = nn.Parameter(torch.empty(num_nodes, embedding_dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.uniform_(self.weight, 0.0, 1.0)

    def forward(self, adj_seq: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        if self.noise_std <= 0:
            return self.weight
        B, W = adj_seq.shape[:2]
        noise = torch.randn((B, W) + tuple(self.weight.shape), generator=generator,
                            device=adj_seq.device, dtype=self.weight.dtype)
        return self.weight + self.noise_std * noise                     # (B, W, N, F)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.num_nodes}, {self.out_channels})"


class FeatureInput(nn.Module):
    r"""Fixed user node features (a buffer, so it travels in the checkpoint).

    Shapes:
        - **features:** :math:`(N, F)`
        - **output:** :math:`(N, F)`
    """

    def __init__(self, features: Tensor) -> None:
        super().__init__()
        if features.dim() != 2:
            raise ValueError(f"FeatureInput: features must be (N, F), got {tuple(features.shape)}")
        self.register_buffer("features", features.detach().float().clone())
        self.num_nodes, self.out_channels = features.shape

    def forward(self, adj_seq: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        return self.features.to(adj_seq.dtype)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.num_nodes}, {self.out_channels})"


class NoNodeInput(nn.Module):
    """No node input, for encoders that read only the adjacency (``model.encoder='none'``).

    Shapes:
        - **output:** ``None``
    """

    out_channels = 0

    def forward(self, adj_seq: Tensor, generator: Optional[torch.Generator] = None) -> None:
        return None

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


def build_node_input(config, num_nodes: int, node_features: Optional[Tensor] = None) -> nn.Module:
    """The node-input module named by ``config.node_input`` (noise | embedding | features)."""
    if config.node_input == "noise":
        return NoiseInput(num_nodes, config.noise_dim)
    if config.node_input == "embedding":
        return EmbeddingInput(num_nodes, config.noise_dim, config.node_noise)
    if config.node_input == "features":
        if node_features is None:
            raise ConfigError("model.node_input='features' needs node features (none given)")
        feats = torch.as_tensor(node_features, dtype=torch.float32)
        if feats.dim() != 2 or feats.shape[0] != num_nodes:
            raise ConfigError(f"node features must be (N={num_nodes}, F), got {tuple(feats.shape)}")
        return FeatureInput(feats)
    raise ConfigError(f"model.node_input={config.node_input!r} is not one of noise, embedding, "
                      f"features")


def build_generator(config, num_nodes: int, node_features: Optional[Tensor] = None,
                    window: Optional[int] = None, link_floor: Optional[float] = None
                    ) -> Generator:
    """Build the :class:`Generator` described by a :class:`~gcngan.config.ModelConfig`.

    Args:
        config (ModelConfig): Architecture.
        num_nodes (int): :math:`N`.
        node_features (Tensor, optional): :math:`(N, F)`, required for ``node_input='features'``
            (``noise_dim`` is then ignored).
        window (int, optional): :math:`W`, required by ``decoder='residual'``.
        link_floor (float, optional): The data's :func:`~gcngan.nn.decoders.link_floor`
            (scale-derived defaults of the decoder, e.g. ``residual``'s log floor).

    ``encoder='none'`` feeds the flattened adjacency :math:`(B, W, N^2)` to the LSTM (no
    node input): with the dense decoder and ``train.adv_weight=0`` this is the paper's LSTM
    baseline.
    """
    if config.encoder in USES_NODE_INPUT:
        node_input = build_node_input(config, num_nodes, node_features)
    else:
        node_input = NoNodeInput()
    encoder = build_encoder(config, node_input.out_channels, num_nodes)
    if config.temporal == "node":
        temporal = NodeTemporalLSTM(num_nodes * encoder.out_channels, config.lstm_hidden,
                                    num_nodes, num_layers=config.lstm_layers,
                                    dropout=config.dropout)
    else:
        temporal = TemporalLSTM(num_nodes * encoder.out_channels, config.lstm_hidden,
                                num_layers=config.lstm_layers, dropout=config.dropout)
    decoder = build_decoder(config, config.lstm_hidden, num_nodes, window=window,
                            link_floor=link_floor)
    return Generator(node_input, encoder, temporal, decoder)
