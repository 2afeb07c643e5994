"""Event streams -> snapshot indices: parse timestamps and bucket them by a granularity.

Timestamps are Unix times (integers or decimals) or ISO-8601 datetimes (a zone-less
datetime is taken as UTC). Numeric times are seconds unless their unit says otherwise
(:func:`resolve_time_unit`: ``--time-unit``, a unit suffix on the column's name such as
``created_at_ms``, or values that are Unix milli-, micro- or nanoseconds): ingestion turns
them into seconds before anything else reads them. Snapshot ``k`` holds the events in
``[t0 + k*g, t0 + (k+1)*g)`` where ``t0`` is the earliest timestamp and ``g`` the
granularity in seconds. Without a granularity (or with ``auto``) :func:`auto_granularity`
picks a round width that gives the stream about :data:`AUTO_SNAPSHOTS` snapshots.
"""
from __future__ import annotations

import math
import re
from typing import Callable, Optional

import numpy as np
import pandas as pd

from gcngan.arrays import unique
from gcngan.config import TIME_UNIT_CHOICES  # what --time-unit accepts: a unit or auto
from gcngan.errors import InputError

UNITS = {"s": 1, "sec": 1, "second": 1, "seconds": 1,
         "m": 60, "min": 60, "minute": 60, "minutes": 60,
         "h": 3600, "hour": 3600, "hours": 3600,
         "d": 86400, "day": 86400, "days": 86400,
         "w": 604800, "week": 604800, "weeks": 604800}
_GRANULARITY = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$")


#: Units of numeric timestamps (``data.time_unit``, ``--time-unit``): units per second (a
#: divisor, so whole milliseconds become exact seconds and keep their grid).
TIME_UNITS = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}
TIME_UNIT_NAMES = {"s": "seconds", "ms": "milliseconds", "us": "microseconds",
                   "ns": "nanoseconds"}
#: Column-name suffixes that give the unit of the times in it (``created_at_ms``,
#: ``timestamp_us``); separators ``_``, ``-`` and spaces are read alike.
UNIT_SUFFIXES = (("_milliseconds", "ms"), ("_millis", "ms"), ("_msec", "ms"), ("_ms", "ms"),
                 ("_microseconds", "us"), ("_micros", "us"), ("_usec", "us"), ("_us", "us"),
                 ("_nanoseconds", "ns"), ("_nanos", "ns"), ("_nsec", "ns"), ("_ns", "ns"),
                 ("_seconds", "s"), ("_secs", "s"), ("_sec", "s"), ("_s", "s"))
#: Unix seconds from 1973-03-03 to 2128-06-11: where Unix times lie, in any unit, once read
#: in that unit. A number of 1e11 or more is past the year 5000 read as seconds, and these
#: ranges of seconds, milli-, micro- and nanoseconds do not overlap.
UNIX_SECONDS = (1e8, 5e9)


def split_unit_suffix(name) -> tuple[str, Optional[str]]:
    """``(stem, unit)`` of a column name with a unit suffix of :data:`UNIT_SUFFIXES`
    (lower-case stem), else ``(lower-case name, None)``.

    Examples:
        >>> split_unit_suffix("created_at_ms"), split_unit_suffix("Timestamp")
        (('created_at', 'ms'), ('timestamp', None))
    """
    low = re.sub(r"[\s-]+", "_", str(name).strip().lower())
    for suffix, unit in UNIT_SUFFIXES:
        if low.endswith(suffix) and len(low) > len(suffix):
            return low[:-len(suffix)], unit
    return low, None


def unix_unit(values: np.ndarray) -> str:
    """The unit in which numeric times ``values`` are Unix times: ``"ms"``, ``"us"`` or
    ``"ns"`` when every value, read as seconds, lies past the year 5000 and, read in that
    unit, between 1973 and 2128 (:data:`UNIX_SECONDS`); else ``"s"`` (also for times that
    are not Unix times at all, such as seconds from the start).

    Examples:
        >>> unix_unit(np.array([1082040961000.0, 1098777142000.0]))
        'ms'
        >>> unix_unit(np.array([1082040961.0])), unix_unit(np.array([0.0, 5e12]))
        ('s', 's')
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return "s"
    lo, hi = float(values.min()), float(values.max())
    for unit in ("ms", "us", "ns"):
        per_second = TIME_UNITS[unit]
        if UNIX_SECONDS[0] <= lo / per_second and hi / per_second <= UNIX_SECONDS[1]:
            return unit
    return "s"


def resolve_time_unit(wanted: Optional[str], column, values: np.ndarray,
                      numeric: bool = True, source: str = "") -> tuple[str, str]:
    """The unit of an event stream's numeric times and why: ``(unit, reason)``.

    ``wanted`` (``data.time_unit``) when set and not ``auto``; else the unit suffix of the
    column's name (:func:`split_unit_suffix`); else :func:`unix_unit` of the values.
    Datetimes (``numeric=False``) are parsed to seconds already: ``"s"``, and a unit asked
    for them is refused.

    Raises:
        InputError: an unknown unit, or a unit other than seconds for datetimes (naming
            ``source``, the file).
    """
    where = f"{source}: " if source else ""
    if wanted is not None and str(wanted).strip().lower() not in TIME_UNIT_CHOICES:
        raise InputError(f"{where}--time-unit {wanted!r}: expected one of "
                         f"{', '.join(TIME_UNIT_CHOICES)}")
    asked = None if is_auto(wanted) else str(wanted).strip().lower()
    if not numeric:
        if asked not in (None, "s"):
            raise InputError(f"{where}--time-unit {asked}: column {str(column)!r} holds "
                             f"datetimes, not numbers; a unit applies to numeric timestamps "
                             f"only")
        return "s", "datetimes"
    if asked is not None:
        return asked, "--time-unit"
    named = split_unit_suffix(column)[1]
    if named is not None:
        return named, f"the column name {str(column)!r}"
    unit = unix_unit(values)
    return unit, ("values of Unix time in " + TIME_UNIT_NAMES[unit] if unit != "s"
                  else "default")


def parse_granularity(text: str | int | float) -> float:
    """Snapshot width in seconds from ``3600``, ``"1h"``, ``"30min"``, ``"7d"``, ``"2w"`` ...

    Raises:
        InputError: unknown unit or a width that is not positive.

    Examples:
        >>> parse_granularity("7d"), parse_granularity("1h"), parse_granularity(90)
        (604800.0, 3600.0, 90.0)
    """
    m = _GRANULARITY.match(str(text).lower())
    if not m or (m.group(2) and m.group(2) not in UNITS):
        raise InputError(f"--granularity {text!r}: expected seconds or a number with a unit "
                         f"(s, min, h, d, w), e.g. 3600, 1h, 7d")
    seconds = float(m.group(1)) * UNITS.get(m.group(2) or "s", 1)
    if not (seconds > 0 and math.isfinite(seconds)):
        raise InputError(f"--granularity {text!r} must be a positive width")
    return seconds


#: The widths ``auto`` chooses from: round units, finest first.
AUTO_WIDTHS = (("1min", 60), ("5min", 300), ("15min", 900), ("30min", 1800), ("1h", 3600),
               ("2h", 7200), ("3h", 10800), ("6h", 21600), ("12h", 43200), ("1d", 86400),
               ("2d", 172800), ("3d", 259200), ("7d", 604800), ("14d", 1209600),
               ("30d", 2592000), ("91d", 7862400), ("182d", 15724800), ("365d", 31536000))
#: How many snapshots ``auto`` aims at: enough targets for a window of 10 and chronological
#: validation and test splits, few enough that an epoch stays short.
AUTO_SNAPSHOTS = 100


def is_auto(granularity) -> bool:
    """``True`` for no granularity (``None``) or ``"auto"``: :func:`auto_granularity` decides."""
    return granularity is None or str(granularity).strip().lower() == "auto"


def time_grid(seconds: np.ndarray) -> float:
    """The step of the grid the timestamps lie on: the greatest common divisor of the gaps
    between distinct timestamps (``86400.0`` for a stream stamped once a day); ``1.0`` for
    whole seconds on no coarser grid, ``0.0`` for fractional seconds or fewer than two
    distinct times.

    Examples:
        >>> time_grid(np.array([0.0, 86400.0, 86400.0, 3 * 86400.0]))
        86400.0
        >>> time_grid(np.array([0.0, 86400.0, 86401.0])), time_grid(np.array([0.5, 2.0]))
        (1.0, 0.0)
    """
    seconds = np.asarray(seconds, dtype=np.float64)
    if seconds.size < 2 or not np.all(seconds == np.round(seconds)) or \
            float(np.abs(seconds).max()) >= 2.0 ** 62:
        return 0.0
    # the gcd over any subset's gaps is a multiple of the whole stream's: a head of whole
    # seconds on no coarser grid settles it without sorting every timestamp
    for part in (seconds[:100_000], seconds):
        times = unique(part).astype(np.int64)
        grid = int(np.gcd.reduce(np.diff(times))) if times.size > 1 else 0
        if grid == 1:
            break
    return float(grid)


#: Multiples of a time grid's step that ``auto`` tries when no round width fits the grid.
_GRID_MULTIPLES = tuple(m * 10 ** e for e in range(10) for m in (1, 2, 3, 5, 7))


def auto_granularity(seconds: np.ndarray, grid: float | None = None) -> tuple[str, float]:
    """The width of :data:`AUTO_WIDTHS` whose snapshot count over the stream's span is
    closest to :data:`AUTO_SNAPSHOTS` (by ratio; the finer of two equally close widths),
    among the widths that are whole multiples of the timestamps' grid (:func:`time_grid`):
    a stream stamped once a day is never cut into 6-hour snapshots, three of four of them
    empty. When no round width on the grid comes within a factor 2 of that count, multiples
    of the grid's step are tried as well (a 19-second stream of whole seconds: 20
    snapshots of 1 s).

    Args:
        seconds: :math:`(R,)` the timestamps.
        grid (float, optional): their :func:`time_grid`, when the caller has it.

    Returns:
        ``(label, seconds)``, e.g. ``("1d", 86400.0)``.

    Examples:
        >>> auto_granularity(np.array([0.0, 1.0, 31 * 86400.0]))   # 31 days: 125 x 6h
        ('6h', 21600.0)
        >>> auto_granularity(np.array([0.0, 1.0, 804 * 86400.0]))  # 804 days: 115 weeks
        ('7d', 604800.0)
        >>> auto_granularity(np.arange(20) * 86400.0)              # daily stamps: 20 days
        ('1d', 86400.0)
        >>> auto_granularity(np.arange(20.0))                      # 20 whole seconds
        ('1', 1.0)
    """
    span = float(seconds.max() - seconds.min()) if len(seconds) else 0.0
    grid = time_grid(seconds) if grid is None else grid

    def off(width: float) -> float:
        return abs(math.log((span // width + 1) / AUTO_SNAPSHOTS))

    widths = [float(w) for _, w in AUTO_WIDTHS if not grid or w % grid == 0]
    if grid and (not widths or off(min(widths, key=off)) > math.log(2)):
        widths += [grid * m for m in _GRID_MULTIPLES if grid * m <= max(span, grid)]
    best = min(sorted(set(widths)), key=off)
    return granularity_label(best), best


def granularity_label(seconds: float) -> str:
    """``"1d"`` for 86400 and the other :data:`AUTO_WIDTHS`; else the seconds (``"5400"``,
    ``"1000000"``, ``"0.5"``), a text :func:`parse_granularity` reads back."""
    for label, width in AUTO_WIDTHS:
        if width == seconds:
            return label
    if float(seconds) == int(seconds):
        return str(int(seconds))
    return np.format_float_positional(float(seconds), trim="-")


def parse_timestamps(col: pd.Series, where: Callable[[int], str], column: str) -> np.ndarray:
    """Timestamps (Unix seconds or ISO datetimes) -> float64 Unix seconds.

    Args:
        col: the raw column (numbers or strings).
        where: row -> ``"path:line"`` for messages.
        column: the column name, for messages.

    Raises:
        InputError: naming the first value that parses neither as a number nor a datetime.
    """
    if col.dtype.kind in "iuf":
        secs = col.to_numpy(dtype=np.float64)
        bad = ~np.isfinite(secs)
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise InputError(f"{where(pos)}: column {column!r}: timestamp must be finite, "
                             f"got {str(col.iloc[pos])!r}")
        return secs
    text = col.astype(str).str.strip()
    num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    numeric = np.isfinite(num)
    if numeric.all():
        return num
    if numeric.any():                           # mixed: report the first odd one out
        pos = int(np.flatnonzero(~numeric if numeric.mean() >= 0.5 else numeric)[0])
        raise InputError(f"{where(pos)}: column {column!r}: unparseable timestamp "
                         f"{col.iloc[pos]!r} (the column mixes Unix seconds and datetimes)")
    try:
        dt = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        dt = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
    bad = dt.isna().to_numpy()
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise InputError(f"{where(pos)}: column {column!r}: unparseable timestamp "
                         f"{col.iloc[pos]!r} (expected Unix seconds or an ISO datetime)")
    epoch = pd.Timestamp(0, tz="UTC")
    try:
        return ((dt - epoch) / pd.Timedelta(seconds=1)).to_numpy(dtype=np.float64)
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime) as exc:
        raise InputError(f"{where(0)}: column {column!r}: timestamps out of range "
                         f"({str(exc).splitlines()[0]})") from None


def bucket(seconds: np.ndarray, width: float,
           origin: float | None = None) -> tuple[np.ndarray, float]:
    """Snapshot index of each timestamp: ``floor((ts - t0) / width)``; returns ``(index, t0)``.
    ``t0`` is ``origin`` when given (times read later against a stream already bucketed),
    else the earliest timestamp.

    Examples:
        >>> idx, t0 = bucket(np.array([100.0, 150.0, 3700.0]), 3600.0)
        >>> idx.tolist(), t0
        ([0, 0, 1], 100.0)
        >>> bucket(np.array([50.0, 3750.0]), 3600.0, origin=100.0)[0].tolist()
        [-1, 1]
    """
    if origin is not None:
        t0 = float(origin)
    else:
        t0 = float(seconds.min()) if len(seconds) else 0.0
    return np.floor((seconds - t0) / width).astype(np.int64), t0
