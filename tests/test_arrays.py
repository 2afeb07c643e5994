"""gcngan.arrays: the same results as numpy's own, whatever the input's order."""
import numpy as np
import pytest

from gcngan.arrays import count_distinct_below, unique


@pytest.mark.parametrize("make", [
    lambda rng: rng.integers(0, 50, 1000),                                  # many repeats
    lambda rng: rng.integers(0, 10 ** 12, 5000),                            # nearly distinct
    lambda rng: np.concatenate([np.sort(rng.integers(0, 10 ** 6, 300)) for _ in range(7)]),
    lambda rng: rng.integers(-5, 5, (20, 30)),                              # 2-D: flattened
    lambda rng: rng.random(500).round(2),                                   # floats
    lambda rng: np.array(["b", "a", "b", "c"], dtype=object),               # string ids
    lambda rng: np.zeros(0, np.int64), lambda rng: np.array([7])])
def test_unique_is_numpys(make):
    values = make(np.random.default_rng(0))
    got, want = unique(values), np.unique(values)
    assert got.dtype == want.dtype and got.tolist() == want.tolist()


def test_count_distinct_below():
    rng = np.random.default_rng(1)
    values = rng.integers(0, 300, 2000)
    assert count_distinct_below(values, 300) == np.unique(values).size
    assert count_distinct_below(np.zeros(0, np.int64), 4) == 0
