import pytest
import torch

from gcngan.nn.temporal import TemporalLSTM


@pytest.mark.parametrize("layers", [1, 2])
def test_unrolled_equals_fused_forward_and_gradients(layers):
    torch.manual_seed(0)
    m = TemporalLSTM(7, 5, num_layers=layers).eval()
    seq = torch.randn(3, 4, 7, requires_grad=True)
    m.impl = "fused"
    out_f, last_f = m(seq)
    (out_f.sum() + last_f.pow(2).sum()).backward()
    grads_f = [p.grad.clone() for p in m.parameters()] + [seq.grad.clone()]
    m.zero_grad()
    seq.grad = None
    m.impl = "unrolled"
    out_u, last_u = m(seq)
    (out_u.sum() + last_u.pow(2).sum()).backward()
    grads_u = [p.grad.clone() for p in m.parameters()] + [seq.grad.clone()]
    torch.testing.assert_close(out_u, out_f, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(last_u, out_u[:, -1])
    for a, b in zip(grads_u, grads_f):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_shapes_and_validation():
    m = TemporalLSTM(6, 4)
    out, last = m(torch.randn(2, 3, 6))
    assert out.shape == (2, 3, 4) and last.shape == (2, 4)
    assert repr(m) == "TemporalLSTM(6, 4)"
    with pytest.raises(ValueError, match="impl"):
        TemporalLSTM(6, 4, impl="magic")
