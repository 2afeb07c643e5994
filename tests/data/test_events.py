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


# ----- units of numeric timestamps ---------------------------------------------------------
import pytest  # noqa: E402

from gcngan.data.events import (TIME_UNITS, resolve_time_unit, split_unit_suffix,  # noqa: E402
                                unix_unit)
from gcngan.errors import InputError  # noqa: E402


@pytest.mark.parametrize("name, expected", [
    ("created_at_ms", ("created_at", "ms")), ("Timestamp-US", ("timestamp", "us")),
    ("time ns", ("time", "ns")), ("ts_millis", ("ts", "ms")), ("date_s", ("date", "s")),
    ("timestamp", ("timestamp", None)), ("_ms", ("_ms", None)), ("items", ("items", None))])
def test_split_unit_suffix(name, expected):
    assert split_unit_suffix(name) == expected


@pytest.mark.parametrize("seconds", [1.0e8, 1082040961.0, 4.9e9])
def test_unix_unit_finds_the_unit_of_unix_times(seconds):
    for unit, per_second in TIME_UNITS.items():
        values = np.array([seconds, seconds + 86400.0]) * per_second
        assert unix_unit(values) == unit


@pytest.mark.parametrize("values", [
    [0.0, 5e12],                # from zero: not Unix times, whatever their size
    [5e7, 1e9],                 # seconds, partly before 1973
    [1.6e12, 1.6e16],           # mixed magnitudes: no single unit
    []])
def test_unix_unit_leaves_other_numbers_as_seconds(values):
    assert unix_unit(np.array(values)) == "s"


def test_resolve_time_unit_order_flag_then_name_then_values():
    ms = np.array([1.6e12, 1.7e12])
    assert resolve_time_unit(None, "timestamp", ms)[0] == "ms"
    assert resolve_time_unit("auto", "timestamp", ms)[0] == "ms"
    assert resolve_time_unit("s", "timestamp", ms) == ("s", "--time-unit")
    assert resolve_time_unit(None, "created_at_us", ms)[0] == "us"       # the name says so
    assert resolve_time_unit(None, "timestamp", np.array([1.6e9]))[0] == "s"
    assert resolve_time_unit(None, "timestamp", ms, numeric=False) == ("s", "datetimes")
    with pytest.raises(InputError, match=r"^f\.csv: --time-unit ms: column 'timestamp' holds "
                                         r"datetimes"):
        resolve_time_unit("ms", "timestamp", ms, numeric=False, source="f.csv")
    with pytest.raises(InputError, match="--time-unit 'hours': expected one of auto, s, ms"):
        resolve_time_unit("hours", "timestamp", ms)
