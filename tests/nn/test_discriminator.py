import pytest
import torch

from gcngan.nn import Critic, build_critic



def test_critic_scores_and_history_condition(small):
    c = build_critic(small(), 5)
    assert c(torch.rand(3, 5, 5)).shape == (3,)
    assert repr(c) == "Critic(25, [6, 4])"
    ch = Critic(5, [6], condition="history")
    assert ch.in_channels == 50
    assert ch(torch.rand(3, 5, 5), torch.rand(3, 4, 5, 5)).shape == (3,)
    with pytest.raises(ValueError, match="adj_seq"):
        ch(torch.rand(3, 5, 5))
    with pytest.raises(ValueError, match="condition"):
        Critic(5, [6], condition="future")
