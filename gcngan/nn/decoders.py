r"""Decoders: temporal state (+ the window itself) -> next adjacency in :math:`[0, 1]`.

Every decoder subclasses :class:`Decoder`, the one contract the generator and the trainer
rely on (they never probe a decoder for methods):

* ``forward(h, adj_seq) -> (B, N, N)``: the prediction, where ``h`` is the temporal output,
  ``(B, W, H_lstm)`` or per node ``(B, W, N, H_lstm)``, and ``adj_seq`` the input window
  ``(B, W, N, N)`` in ``[0, 1]`` (for decoders that build on window statistics);
* ``parts(h, adj_seq) -> dict``: whatever the reconstruction loss needs, ``parts['pred']``
  being the prediction (default: only that);
* ``pool(draws) -> parts`` and ``combine(parts)``, ``link_score(parts)``: prediction and
  link scores from several noise draws (default: the mean prediction, which is also the
  score);
* ``reconstruction(name, train_config)``: the reconstruction losses it supports
  (:attr:`Decoder.reconstructions`; default ``mse`` only);
* ``hedged`` and ``selection()``: whether it has a threshold chosen on validation, and the
  trainer's model-selection hook that chooses it (default: none).

A decoder that emits a sparse prediction (scores of candidate pairs) implements the same
methods on its own ``parts`` (e.g. ``idx`` + values, as the residual decoder does).

Decoders are registered by name with :func:`register_decoder`; the builder receives the
:class:`~gcngan.config.ModelConfig`, the LSTM size and ``N`` (and, as keywords, the window
``W`` and :func:`link_floor`). ``model.decoder`` in the config selects one. A new decoder is
one :class:`Decoder` subclass + one ``@register_decoder("name")`` builder; ``residual`` lives
in :mod:`gcngan.nn.residual`.
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


def build_decoder(config, in_channels: int, num_nodes: int, window: Optional[int] = None,
                  link_floor: Optional[float] = None) -> "Decoder":
    """The decoder named ``config.decoder``; unknown or not-yet-available names raise.

    ``window`` (:math:`W`) and ``link_floor`` (:func:`link_floor` of the data; ``None``
    when unknown) are passed on as keywords to the builder.
    """
    if config.decoder not in DECODERS:
        raise ConfigError(f"model.decoder={config.decoder!r} is not available; "
                          f"registered decoders: {', '.join(sorted(DECODERS))}")
    return DECODERS[config.decoder](config, in_channels, num_nodes, window=window,
                                    link_floor=link_floor)


def link_floor(scaler, epsilon: float) -> float:
    """The refinement threshold ``epsilon`` (raw scale: predictions at or below it are no
    link) on the model scale of ``scaler``, at least ``1e-6``: the scale-derived default of
    a decoder's smallest meaningful weight (the residual decoder's log floor)."""
    return max(float(scaler.transform(torch.tensor(float(epsilon)))), 1e-6)


class Decoder(nn.Module):
    r"""Base class of every decoder: the contract of :class:`~gcngan.nn.Generator` and
    :class:`~gcngan.train.Trainer` (see the module docstring). Subclasses implement
    :meth:`forward`; the rest has defaults for a decoder whose output is its prediction.

    Attributes:
        hedged (bool): It has a hedge threshold chosen on validation (:meth:`selection`).
        reconstructions (tuple): ``train.recon`` values it supports.

    Shapes:
        - **h:** :math:`(B, W, H_{lstm})` or :math:`(B, W, N, H_{lstm})`
        - **adj_seq:** :math:`(B, W, N, N)` in :math:`[0, 1]`
        - **output:** :math:`(B, N, N)` in :math:`[0, 1]`
    """

    hedged: bool = False
    reconstructions: tuple = ("mse",)

    def forward(self, h: Tensor, adj_seq: Tensor) -> Tensor:        # pragma: no cover
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def reset_parameters(self) -> None:
        """Re-initialise the parameters (subclasses with parameters override it)."""

    def parts(self, h: Tensor, adj_seq: Tensor) -> dict:
        """What the reconstruction loss needs; ``parts['pred']`` is :meth:`forward`'s output."""
        return {"pred": self(h, adj_seq)}

    def pool(self, draws: list) -> dict:
        """Pool the :meth:`parts` of several noise draws: the mean prediction (summed in
        draw order, then divided)."""
        pred = draws[0]["pred"]
        for d in draws[1:]:
            pred = pred + d["pred"]
        return {"pred": pred / len(draws)}

    def combine(self, parts: dict) -> Tensor:
        """The point prediction ``(B, N, N)`` from (pooled) ``parts``."""
        return parts["pred"]

    def link_score(self, parts: dict) -> Tensor:
        """Link scores ``(B, N, N)`` in :math:`[0, 1]` for ranking metrics (AUC/AP) from
        (pooled) ``parts``; by default the prediction itself."""
        return self.combine(parts)

    def reconstruction(self, name: str, train_config=None) -> Callable[[dict, Tensor], Tensor]:
        """The reconstruction term ``fn(parts, target) -> scalar`` named ``name``
        (``train.recon``).

        Raises:
            ConfigError: the decoder does not support ``name``.
        """
        if name != "mse" or name not in self.reconstructions:
            raise ConfigError(f"train.recon={name!r} is not supported by "
                              f"{type(self).__name__} (supported: "
                              f"{', '.join(self.reconstructions)})")
        from gcngan.train.losses import mse_reconstruction

        return mse_reconstruction

    def selection(self):
        """The trainer's model-selection hook for this decoder (e.g.
        :class:`~gcngan.nn.residual.HedgeSelection`), or ``None``: plain validation RMSE."""
        return None


class DenseDecoder(Decoder):
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
def _build_dense(config, in_channels: int, num_nodes: int, window: Optional[int] = None,
                 link_floor: Optional[float] = None) -> Decoder:
    return DenseDecoder(in_channels, num_nodes)
