import math

import pytest
import torch
from torch import nn

from gcngan.errors import ConfigError
from gcngan.train.losses import (LOSSES, bce_critic_loss, bce_generator_loss, get_loss,
                                 gradient_penalty, reconstruction_loss, wgan_critic_loss,
                                 wgan_generator_loss)


def test_wgan_losses_hand_computed():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([0.5, -0.5])
    assert float(wgan_critic_loss(real, fake)) == pytest.approx(0.0 - 2.0)
    assert float(wgan_generator_loss(fake)) == pytest.approx(0.0)
    assert float(wgan_generator_loss(real)) == pytest.approx(-2.0)


def test_bce_losses_hand_computed():
    # logits 0 -> p = 0.5: each BCE term is ln 2
    z = torch.zeros(4)
    assert float(bce_critic_loss(z, z)) == pytest.approx(2 * math.log(2))
    assert float(bce_generator_loss(z)) == pytest.approx(math.log(2))
    # real logit 2, fake logit -1, smoothing 0.1
    s = 0.1
    real, fake = torch.tensor([2.0]), torch.tensor([-1.0])
    sig = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    expected = -((1 - s) * math.log(sig(2)) + s * math.log(1 - sig(2))) - math.log(1 - sig(-1))
    assert float(bce_critic_loss(real, fake, label_smoothing=s)) == pytest.approx(expected)
    # non-saturating generator loss: -ln sigmoid(fake)
    assert float(bce_generator_loss(fake)) == pytest.approx(-math.log(sig(-1)))


def test_reconstruction_is_per_sample_squared_frobenius_mean():
    pred = torch.zeros(2, 2, 2)
    target = torch.tensor([[[1.0, 2.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 3.0]]])
    # sample 0: 1 + 4 = 5, sample 1: 9 -> mean 7
    assert float(reconstruction_loss(pred, target)) == pytest.approx(7.0)


class Linear(nn.Module):
    """D(x) = <w, x> + b: gradient w.r.t. x is w for every input."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(w)
        self.b = nn.Parameter(torch.tensor(0.3))

    def forward(self, x, adj_seq=None):
        return (x.flatten(1) * self.w.flatten()).sum(1) + self.b


def test_gradient_penalty_on_linear_critic():
    w = torch.tensor([[3.0, 0.0], [0.0, 4.0]])          # ||w|| = 5 -> penalty (5 - 1)^2 = 16
    critic = Linear(w)
    real, fake = torch.rand(6, 2, 2), torch.rand(6, 2, 2, requires_grad=True)
    gp = gradient_penalty(critic, real, fake)
    assert float(gp.detach()) == pytest.approx(16.0)
    # differentiable w.r.t. the critic (create_graph): d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w/||w||
    gp.backward()
    torch.testing.assert_close(critic.w.grad, 2 * 4 * w / 5)
    assert fake.grad is None                          # real and fake are detached


def test_gradient_penalty_is_per_sample():
    # D(x) = sum(x^2) / 2 -> grad = x; per-sample norms differ, penalty = mean((|x_i| - 1)^2)
    class Quad(nn.Module):
        def forward(self, x):
            return 0.5 * x.flatten(1).pow(2).sum(1)

    real = torch.stack([torch.full((2, 2), 1.0), torch.full((2, 2), 2.0)])   # norms 2 and 4
    gp = gradient_penalty(Quad(), real, real.clone())    # interpolates equal the inputs
    assert float(gp.detach()) == pytest.approx(((2 - 1) ** 2 + (4 - 1) ** 2) / 2)


def test_registry_is_data_and_unknown_names_list_choices():
    assert set(LOSSES) == {"wgan-clip", "wgan-gp", "bce"}
    assert LOSSES["wgan-clip"].clip and LOSSES["wgan-clip"].optimizer == "rmsprop"
    assert LOSSES["wgan-gp"].gradient_penalty and not LOSSES["wgan-gp"].clip
    assert LOSSES["wgan-gp"].optimizer == "adam" and LOSSES["wgan-gp"].adam_betas[0] == 0.5
    assert LOSSES["bce"].label_smoothing and not LOSSES["bce"].wasserstein
    with pytest.raises(ConfigError, match="wgan-clip, wgan-gp, bce"):
        get_loss("hinge")


def test_hurdle_loss_by_hand():
    import math

    from gcngan.nn.residual import ResidualDecoder, hurdle_loss
    from gcngan.nn.decoders import DenseDecoder

    target = torch.zeros(1, 2, 2)
    target[0, 0, 1] = 0.5
    idx = (torch.tensor([0, 0]), torch.tensor([0, 1]), torch.tensor([1, 0]))
    parts = {"idx": idx, "logit_e": torch.tensor([2.0, -1.0]), "v": torch.tensor([0.25, 0.1]),
             "logit_h": torch.tensor([0.0, 0.0])}
    # entry (0,1): y=.5 exists, high; gate open, v=.25 ; entry (1,0): y=0, gate closed
    bce_e = -(math.log(torch.sigmoid(torch.tensor(2.0)).item())
              + math.log(1 - torch.sigmoid(torch.tensor(-1.0)).item())) / 2
    bce_h = math.log(2.0)
    l1_log = abs(math.log(0.25) - math.log(0.5))
    l1 = (abs(0.25 - 0.5) + 0.0) / 2
    expected = bce_e + bce_h + l1_log + 10 * l1
    assert float(hurdle_loss(parts, target)) == pytest.approx(expected, rel=1e-5)
    # the decoder contract gives the loss family: the residual decoder's hurdle term at its
    # own high with the config's weights; the dense decoder has mse only
    from gcngan.config import TrainConfig

    dec = ResidualDecoder(4, 2, 3, high=0.4)
    fn = dec.reconstruction("hurdle", TrainConfig(hurdle_l1_weight=2.0))
    assert float(fn(parts, target)) == pytest.approx(
        float(hurdle_loss(parts, target, high=0.4, l1_weight=2.0)), rel=1e-6)
    assert dec.reconstructions == ("mse", "hurdle")
    with pytest.raises(ConfigError, match="recon='hurdle'"):
        DenseDecoder(4, 2).reconstruction("hurdle")


def test_default_learning_rates_per_optimiser():
    # RMSprop's first steps are ~10x lr (no bias correction); Adam's are ~lr: Adam-based
    # losses get a larger default so that one short epoch trains (docs/training.md)
    assert LOSSES["wgan-clip"].lr == 1e-4
    assert LOSSES["wgan-gp"].lr == LOSSES["bce"].lr == 5e-4
