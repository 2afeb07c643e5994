import pytest
import torch
from gcngan.errors import ConfigError
from gcngan.nn import build_generator



def test_generator_output_shape_range_and_fresh_noise(small):
    torch.manual_seed(0)
    g = build_generator(small(), 5)
    adj_seq = torch.rand(3, 4, 5, 5)
    a, b = g(adj_seq), g(adj_seq)
    assert a.shape == (3, 5, 5)
    assert torch.all((a >= 0) & (a <= 1)) and torch.isfinite(a).all()
    assert not torch.equal(a, b)                  # noise re-drawn every forward
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    torch.testing.assert_close(g(adj_seq, gen()), g(adj_seq, gen()))


@pytest.mark.parametrize("node_input", ["embedding", "features"])
def test_deterministic_node_inputs(node_input, small):
    feats = torch.rand(5, 3) if node_input == "features" else None
    g = build_generator(small(node_input=node_input), 5, feats).eval()
    adj_seq = torch.rand(2, 4, 5, 5)
    torch.testing.assert_close(g(adj_seq), g(adj_seq))
    assert g(adj_seq).shape == (2, 5, 5)


def test_features_required_and_checked(small):
    with pytest.raises(ConfigError, match="node features"):
        build_generator(small(node_input="features"), 5)
    with pytest.raises(ConfigError, match=r"\(N=5, F\)"):
        build_generator(small(node_input="features"), 5, torch.rand(4, 3))


def test_predict_averages_samples_and_restores_mode(small):
    g = build_generator(small(dropout=0.2), 5)
    g.train()
    p = g.predict(torch.rand(2, 4, 5, 5), samples=3, generator=torch.Generator().manual_seed(0))
    assert p.shape == (2, 5, 5) and g.training and not p.requires_grad


def test_generator_builds_on_input_device_without_cuda_calls(small):
    g = build_generator(small(), 5)
    out = g(torch.rand(1, 4, 5, 5, dtype=torch.float32))
    assert out.device.type == "cpu"


@pytest.mark.cuda
def test_generator_on_cuda(small):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA")
    g = build_generator(small(), 5).cuda()
    out = g(torch.rand(2, 4, 5, 5, device="cuda"))
    assert out.is_cuda and out.shape == (2, 5, 5)
