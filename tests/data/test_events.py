"""gcngan.data.events: the timestamps' grid and the automatic snapshot width."""
import numpy as np

from gcngan.data.events import auto_granularity, time_grid


def test_time_grid_reads_the_whole_stream_past_its_head():
    """The first 100,000 stamps on a daily grid do not decide it: one later stamp off the
    grid makes it whole seconds; on the grid throughout it stays a day."""
    daily = np.repeat(np.arange(150_000, dtype=np.float64) % 40, 1) * 86400.0
    assert time_grid(daily) == 86400.0
    assert time_grid(np.append(daily, 5 * 86400.0 + 3600.0)) == 3600.0
    assert time_grid(np.append(daily, 7.0)) == 1.0
    assert time_grid(np.array([3.0, 3.0])) == 0.0            # one distinct time: no grid
    assert time_grid(np.array([0.0, 0.25, 10.0])) == 0.0     # fractional seconds


def test_auto_width_is_a_multiple_of_the_grid():
    """Forty stamps 30 days apart: 30d snapshots, one stamp each; the same span in whole
    seconds on no grid gets the ladder's 14d (84 snapshots, every other one empty here)."""
    stamps = np.arange(40) * 30 * 86400.0
    assert auto_granularity(stamps) == ("30d", 2592000.0)
    assert auto_granularity(stamps + np.r_[0.0, 1.0, np.zeros(38)]) == ("14d", 1209600.0)
