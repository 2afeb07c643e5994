r"""Adversarial objectives as pure functions, and the ``LOSSES`` registry.

Every function returns a scalar tensor; none calls ``backward`` or steps an optimiser
(the trainer alone does). Pairs share their argument order: ``(real_score, fake_score)``
for critics, ``(fake_score)`` for generators; options are keyword-only.

============  =====================================  ==============================  =========
name          critic loss                            generator loss                  critic
============  =====================================  ==============================  =========
wgan-clip     :math:`E[D(\hat A)] - E[D(A)]`         :math:`-E[D(\hat A)]`           clipped
wgan-gp       same + :math:`\lambda` GP               :math:`-E[D(\hat A)]`           free
bce           BCE(D(A), 1-s) + BCE(D(\hat A), 0)      BCE(D(\hat A), 1) (non-sat.)    logits
============  =====================================  ==============================  =========

The generator's reconstruction term :math:`\alpha\|\hat A - A\|_F^2`
(:func:`reconstruction_loss`) is separate; its weight is ``TrainConfig.alpha``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from gcngan.errors import ConfigError


def wgan_critic_loss(real_score: Tensor, fake_score: Tensor) -> Tensor:
    r"""Wasserstein critic loss :math:`E[D(\hat A)] - E[D(A)]` (its negative estimates W1).

    Examples:
        >>> float(wgan_critic_loss(torch.tensor([1., 3.]), torch.tensor([0., 0.])))
        -2.0
    """
    return fake_score.mean() - real_score.mean()


def wgan_generator_loss(fake_score: Tensor) -> Tensor:
    r"""Wasserstein generator loss :math:`-E[D(\hat A)]`.

    Examples:
        >>> float(wgan_generator_loss(torch.tensor([1., 3.])))
        -2.0
    """
    return -fake_score.mean()


def gradient_penalty(critic: Callable[..., Tensor], real: Tensor, fake: Tensor, *,
                     adj_seq: Optional[Tensor] = None,
                     generator: Optional[torch.Generator] = None) -> Tensor:
    r"""WGAN-GP penalty :math:`E[(\|\nabla_x D(x)\|_2 - 1)^2]` on per-sample interpolates
    :math:`x = \epsilon A + (1-\epsilon)\hat A`, :math:`\epsilon \sim U(0, 1)` drawn per sample
    (shape :math:`(B, 1, 1)`), norm taken per sample over the flattened matrix
    (Gulrajani et al., arXiv:1704.00028). Not multiplied by :math:`\lambda`.

    Args:
        critic: ``critic(x, adj_seq) -> (B,)`` (``adj_seq`` passed only when given).
        real (Tensor): :math:`(B, N, N)`; detached here.
        fake (Tensor): :math:`(B, N, N)`; detached here.
        adj_seq (Tensor, optional): Window for a conditional critic (no gradient taken).
        generator (torch.Generator, optional): RNG for :math:`\epsilon`.

    Returns:
        Tensor: scalar, differentiable w.r.t. the critic's parameters (``create_graph=True``).
    """
    real, fake = real.detach(), fake.detach()
    eps = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), generator=generator,
                     device=real.device, dtype=real.dtype)              # (B, 1, 1)
    x = (eps * real + (1.0 - eps) * fake).requires_grad_(True)          # (B, N, N)
    score = critic(x, adj_seq) if adj_seq is not None else critic(x)    # (B,)
    (grad,) = torch.autograd.grad(score.sum(), x, create_graph=True)
    norm = grad.flatten(1).norm(2, dim=1)                               # (B,)
    return (norm - 1.0).pow(2).mean()


def bce_critic_loss(real_score: Tensor, fake_score: Tensor, *,
                    label_smoothing: float = 0.0) -> Tensor:
    r"""Discriminator BCE on logits, **summed** over the real and fake terms:
    :math:`\mathrm{BCE}(D(A), 1 - s) + \mathrm{BCE}(D(\hat A), 0)` with one-sided label
    smoothing :math:`s`. At equilibrium (D outputs 0.5) it equals :math:`2\ln 2 \approx 1.386`.

    Examples:
        >>> round(float(bce_critic_loss(torch.zeros(3), torch.zeros(3))), 4)
        1.3863
    """
    real_t = torch.full_like(real_score, 1.0 - label_smoothing)
    return (F.binary_cross_entropy_with_logits(real_score, real_t)
            + F.binary_cross_entropy_with_logits(fake_score, torch.zeros_like(fake_score)))


def bce_generator_loss(fake_score: Tensor) -> Tensor:
    r"""Non-saturating generator loss
    :math:`\mathrm{BCE}(D(\hat A), 1) = -E[\ln \sigma(D(\hat A))]`.

    Examples:
        >>> round(float(bce_generator_loss(torch.zeros(2))), 4)
        0.6931
    """
    return F.binary_cross_entropy_with_logits(fake_score, torch.ones_like(fake_score))


def reconstruction_loss(pred: Tensor, target: Tensor) -> Tensor:
    r"""Squared Frobenius error per sample, averaged over the batch:
    :math:`\frac{1}{B}\sum_b \|\hat A_b - A_b\|_F^2` (the reference's term for batch size 1).

    Examples:
        >>> float(reconstruction_loss(torch.ones(2, 2, 2), torch.zeros(2, 2, 2)))
        4.0
    """
    return (pred - target).pow(2).flatten(1).sum(1).mean()


def mse_reconstruction(parts: dict, target: Tensor) -> Tensor:
    """:func:`reconstruction_loss` on ``parts['pred']``: ``train.recon='mse'`` of every
    decoder (:meth:`~gcngan.nn.decoders.Decoder.reconstruction`; the ``residual`` decoder's
    ``hurdle`` term is :func:`gcngan.nn.residual.hurdle_loss`)."""
    return reconstruction_loss(parts["pred"], target)


@dataclass(frozen=True)
class LossSpec:
    """One adversarial objective: its two loss functions and what the trainer must do.

    Attributes:
        name: registry key.
        critic: ``critic(real_score, fake_score, **opts) -> scalar``.
        generator: ``generator(fake_score) -> scalar``.
        clip: clip critic weights to ``±TrainConfig.clip`` after each critic step.
        gradient_penalty: add ``TrainConfig.gp_weight`` × :func:`gradient_penalty`.
        label_smoothing: pass ``TrainConfig.label_smoothing`` to the critic loss.
        optimizer: ``"rmsprop"`` (no momentum, as WGAN with clipping needs) or ``"adam"``.
        adam_betas: Adam's betas when ``optimizer == "adam"``.
        wasserstein: the critic loss estimates (minus) the Wasserstein distance.
        lr: learning rate used when ``TrainConfig.lr`` is ``None``. RMSprop (no bias
            correction, smoothing 0.99) takes first steps about ``lr / sqrt(0.01) = 10 lr``
            that shrink to ``lr`` over a few hundred steps; Adam's bias-corrected steps are
            about ``lr`` from the start. At the same nominal rate Adam therefore moves the
            generator ~10x less in a short run (on mesh1, 12 steps per epoch: validation RMSE
            540 after one epoch at 1e-4 vs 126 at 5e-4), hence the larger default for Adam.
    """

    name: str
    critic: Callable[..., Tensor]
    generator: Callable[[Tensor], Tensor]
    clip: bool = False
    gradient_penalty: bool = False
    label_smoothing: bool = False
    optimizer: str = "rmsprop"
    adam_betas: tuple = (0.5, 0.999)
    wasserstein: bool = True
    lr: float = 1e-4


LOSSES: dict[str, LossSpec] = {
    "wgan-clip": LossSpec("wgan-clip", wgan_critic_loss, wgan_generator_loss, clip=True,
                          optimizer="rmsprop", lr=1e-4),
    "wgan-gp": LossSpec("wgan-gp", wgan_critic_loss, wgan_generator_loss,
                        gradient_penalty=True, optimizer="adam", lr=5e-4),
    "bce": LossSpec("bce", bce_critic_loss, bce_generator_loss, label_smoothing=True,
                    optimizer="adam", wasserstein=False, lr=5e-4),
}


def get_loss(name: str) -> LossSpec:
    """The :class:`LossSpec` registered as ``name``; unknown names list the choices."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ConfigError(f"unknown loss {name!r}; valid: {', '.join(LOSSES)}") from None
