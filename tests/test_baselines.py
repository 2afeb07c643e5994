import pytest
import torch

from gcngan.baselines import BASELINES, EWMA, get_baseline
from gcngan.errors import ConfigError


def window():
    # (B=1, W=3, N=2, N): entry (0,1) goes 1, 2, 6
    seq = torch.zeros(1, 3, 2, 2)
    seq[0, :, 0, 1] = torch.tensor([1.0, 2.0, 6.0])
    return seq


def test_copy_last_mean_median():
    w = window()
    assert float(get_baseline("copy-last").predict(w)[0, 0, 1]) == 6.0
    assert float(get_baseline("mean").predict(w)[0, 0, 1]) == pytest.approx(3.0)
    assert float(get_baseline("median").predict(w)[0, 0, 1]) == 2.0
    for name in BASELINES:
        assert get_baseline(name).predict(w).shape == (1, 2, 2)


def test_ewma_recursion_and_weights():
    # s1 = 1; s2 = .5*2 + .5*1 = 1.5; s3 = .5*6 + .5*1.5 = 3.75
    assert float(EWMA(0.5).predict(window())[0, 0, 1]) == pytest.approx(3.75)
    w = EWMA(0.3).weights(5, dtype=torch.float64)
    assert float(w.sum()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="alpha"):
        EWMA(0.0)


def test_unknown_baseline():
    with pytest.raises(ConfigError, match="copy-last, mean, median, ewma"):
        get_baseline("oracle")


def test_median_of_even_window_is_mean_of_middle_values():
    w = torch.zeros(1, 4, 2, 2)
    w[0, :, 0, 1] = torch.tensor([8.0, 1.0, 2.0, 0.0])
    assert float(get_baseline("median").predict(w)[0, 0, 1]) == pytest.approx(1.5)
