"""The sparse family's critic over candidate sets: per window or per ranking query (one true
link and its negatives, conditioned on its window), and its gradient penalty per set."""
from __future__ import annotations

import pytest
import torch

from gcngan.config import ModelConfig
from gcngan.errors import ConfigError
from gcngan.nn.pair_decoder import PAIR_FEATURES
from gcngan.nn.set_critic import WINDOW_SUMMARY
from gcngan.nn.sparse_model import SparseCritic, SparseInputs, sparse_gradient_penalty


def _inputs(query=True) -> SparseInputs:
    torch.manual_seed(0)
    graph = torch.tensor([0, 0, 0, 0, 1, 1, 1])
    q = torch.tensor([0, 0, 1, 1, 2, 2, 2]) if query else None
    return SparseInputs(None, torch.arange(7), torch.arange(7), graph,
                        torch.rand(7, len(PAIR_FEATURES)), torch.rand(2, len(WINDOW_SUMMARY)),
                        [5, 6], q)


def _config(sets: str) -> ModelConfig:
    return ModelConfig(family="sparse", critic_condition="history", critic_hidden=[8],
                       dropout=0.0, critic_sets=sets)


def test_query_sets_are_queries_conditioned_on_their_window():
    inputs = _inputs()
    weight = torch.rand(7)
    per_query = SparseCritic(_config("query"))
    group, num, cond = per_query.groups(inputs)
    assert num == 3 and torch.equal(group, inputs.query)
    assert torch.equal(cond, inputs.condition[torch.tensor([0, 0, 1])])
    out = per_query(weight, inputs)
    assert out.shape == (3,)
    # query 1 alone, as its own set, scores the same
    alone = SparseInputs(None, None, None, torch.zeros(2, dtype=torch.long),
                         inputs.feats[2:4], inputs.condition[:1], [5], torch.zeros(2).long())
    assert torch.allclose(per_query(weight[2:4], alone), out[1:2], atol=1e-6)
    per_window = SparseCritic(_config("window"))
    per_window.load_state_dict(per_query.state_dict())
    assert per_window(weight, inputs).shape == (2,)
    # without query ids (prediction batches) the query critic falls back to windows
    assert torch.allclose(per_query(weight, _inputs(query=False)), per_window(weight, inputs))
    with pytest.raises(ConfigError, match="critic_sets"):
        ModelConfig(family="sparse", critic_sets="pair")


@pytest.mark.parametrize("sets", ["window", "query"])
def test_gradient_penalty_per_set(sets):
    inputs = _inputs()
    critic = SparseCritic(_config(sets))
    real = torch.tensor([1.0, 0, 0, 0.5, 0, 0.2, 0])
    fake = torch.rand(7, requires_grad=True)
    gp = sparse_gradient_penalty(critic, real, fake, inputs)
    assert gp.ndim == 0 and float(gp.detach()) >= 0.0
    gp.backward()                                  # differentiable w.r.t. the critic
    assert critic.set_critic.phi[0].weight.grad.abs().sum() > 0
    assert fake.grad is None                       # the generator's output is detached


def test_sparse_only_switches_refuse_the_dense_family_and_encoder_none():
    for kw, name in ((dict(node_activity=True), "node_activity"),
                     (dict(gcn_skip=True), "gcn_skip"), (dict(gcn_mirror=True), "gcn_mirror"),
                     (dict(random_features=4), "random_features"),
                     (dict(critic_sets="query"), "critic_sets"),
                     (dict(pair_features=False), "pair_features")):
        with pytest.raises(ConfigError, match=name) as err:
            ModelConfig(**kw)                                        # family='dense'
        assert "\n" not in str(err.value)
        ModelConfig(family="sparse", **kw)
    for kw in (dict(gcn_skip=True), dict(gcn_mirror=True)):
        with pytest.raises(ConfigError, match="encoder='none' has no GCN"):
            ModelConfig(family="sparse", encoder="none", **kw)
    ModelConfig(family="sparse", encoder="none", pair_features=False)   # the ablations combine


def test_sparse_generator_wires_the_gcn_switches_to_its_encoder():
    from gcngan.nn.sparse_model import SparseGenerator

    base = dict(family="sparse", noise_dim=4, gcn_channels=[4], lstm_hidden=4)
    enc = SparseGenerator(5, ModelConfig(**base)).encoder
    assert not (enc.mirror or enc.activity or enc.skip) and enc.convolve_links
    enc = SparseGenerator(5, ModelConfig(**base, gcn_mirror=True, node_activity=True,
                                         gcn_skip=True, random_features=3)).encoder
    assert enc.mirror and enc.activity and enc.skip and enc.random_inputs.shape == (5, 3)
    assert not SparseGenerator(5, ModelConfig(**base, encoder="none")).encoder.convolve_links
