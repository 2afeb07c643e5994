"""Read edge-list files into one typed table: ``time``, ``src``, ``dst``, ``weight``.

Three layouts are understood (:func:`detect_format` picks one, ``DataConfig.format``
overrides it):

* ``snapshots``: a long CSV/TSV with a snapshot-index column (``t,src,dst,weight``);
* ``events``: the same with a timestamp column (Unix seconds or ISO datetimes);
* ``files``: a directory or ``.zip`` of per-snapshot whitespace files
  ``src dst [weight]``, the snapshot index being the last number in each file name
  (``edge_list_17.txt`` -> 17), as in the original GCN-GAN UCSB archive.

Everything is parsed with pandas in one pass per file (no Python loop over rows); a
malformed value raises :class:`~gcngan.errors.InputError` naming the file, the line,
the column and the value. Node ids are integers when every id of the file is a 64-bit
integer, else their text (decided jointly for both id columns, so node ``7`` is the same
node in either column); mapping them to ``0..N-1`` is :func:`node_index`'s job.

Text is UTF-8 (a byte-order mark is skipped); a file that is not valid UTF-8 is read as
Latin-1, which maps every byte to one character, so distinct ids stay distinct. A long
CSV/TSV may be compressed with gzip, bzip2 or xz (SNAP's ``.txt.gz`` downloads): it is told
by its first bytes, whatever its name (:func:`compression_of`), and read as it is.
"""
from __future__ import annotations

import codecs
import io
import logging
import lzma
import math
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from gcngan.config import DataConfig
from gcngan.errors import InputError

log = logging.getLogger(__name__)

# Column names recognised without flags (compared lower-case).
SNAPSHOT_NAMES = ("t", "snapshot", "snap", "step", "snapshot_id", "t_index")
EVENT_NAMES = ("timestamp", "ts", "datetime", "date", "unix_time", "unixtime", "created_at",
               "time_stamp", "unix_timestamp", "created")
#: Time names that hold either a snapshot index (integers up to MAX_SNAPSHOT_INDEX) or
#: Unix seconds / datetimes: the values tell.
AMBIGUOUS_TIME_NAMES = ("time", "day", "week", "month", "year", "period")
SRC_NAMES = ("src", "source", "from", "u", "i", "node1", "sender", "head", "src_id", "from_node",
             "user_id", "user", "src_node", "source_id", "from_id", "node_1", "sender_id")
DST_NAMES = ("dst", "target", "to", "v", "j", "node2", "receiver", "tail", "dst_id", "to_node",
             "destination", "item_id", "item", "dst_node", "target_id", "to_id", "node_2",
             "receiver_id", "recipient")
#: A source name that makes another name the destination when no destination name is
#: there: TGB's and JODIE's ``u,i`` (user, item), where elsewhere ``i`` is a source (``i,j``).
PAIRED_DST_NAMES = {"u": "i"}
#: Columns that are never the weight, ignored without a flag even when no weight column is
#: named: a written data frame's index (an empty name, ``index``, ``idx``) and TGB's and
#: JODIE's ``label`` / ``state_label`` (a state of the source, not a link weight).
IGNORED_NAMES = ("", "index", "idx", "unnamed: 0", "label", "state_label")
#: A last header name that stands for any number of trailing fields per row, all ignored:
#: JODIE's and TGB's raw files (``user_id,item_id,timestamp,state_label,
#: comma_separated_list_of_features`` followed by 4 + 172 fields per row).
FEATURE_LIST_NAMES = ("comma_separated_list_of_features", "features", "feature_list",
                      "edge_features")
WEIGHT_NAMES = ("weight", "w", "value", "weights", "count", "quality", "cost", "rating",
                "edge_weight", "amount")
#: ``--weight-col none``: no column is the weight (every row weighs 1, other columns ignored).
NO_WEIGHT = "none"
# Largest integer "time" that is still read as a snapshot index when names do not tell.
MAX_SNAPSHOT_INDEX = 1_000_000
EDGE_FILE_SUFFIXES = ("", ".txt", ".csv", ".tsv", ".edges", ".edgelist", ".el", ".dat")


@dataclass
class EdgeTable:
    """Edge rows read from one source, before any aggregation.

    Attributes:
        frame: ``time`` (int64 snapshot index for ``snapshots``/``files``; the raw column for
            ``events``), ``src``, ``dst`` (original ids: int64 or str) and ``weight`` (float64).
        kind: ``"snapshots"``, ``"events"`` or ``"files"``.
        source: path, for messages.
        columns: name of each logical column in the file (``{"time": "t", ...}``).
        line: file line of each row (1-based, counting the header), for messages.
        file: for ``files``: the member name of each row's file (else ``None``).
        snapshots: for ``files``: largest file index + 1, so an empty last file still
            counts as an (all-zero) snapshot (else ``None``).
    """

    frame: pd.DataFrame
    kind: str
    source: str
    columns: dict
    line: np.ndarray
    file: Optional[np.ndarray] = None
    snapshots: Optional[int] = None

    def where(self, row: int) -> str:
        """``path:line`` (or ``path/member:line``) of table row ``row``."""
        if self.file is not None:
            return f"{self.source}/{self.file[row]}:{int(self.line[row])}"
        return f"{self.source}:{int(self.line[row])}"

    def __len__(self) -> int:
        return len(self.frame)


# ----------------------------------------------------------------------------- compression
#: First bytes of a compressed file -> its ``pandas.read_csv`` ``compression``.
MAGIC_BYTES = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"),
               (b"\x28\xb5\x2f\xfd", "zstd"))


def compression_of(path: str | Path) -> Optional[str]:
    """``"gzip"``, ``"bz2"``, ``"xz"`` (or ``"zstd"``) when the file starts as one of
    those formats does (:data:`MAGIC_BYTES`), else ``None``; a directory, a missing or
    unreadable file: ``None`` (the reader that follows says why)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(6)
    except OSError:
        return None
    return next((kind for magic, kind in MAGIC_BYTES if head.startswith(magic)), None)


#: What reading a truncated or damaged compressed file raises.
DECOMPRESSION_ERRORS = (EOFError, OSError, lzma.LZMAError, zlib.error)


def _damaged(path, exc: BaseException) -> str:
    """The one-line message of a compressed file that does not decompress."""
    why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return (f"{path}: cannot decompress it ({why}): a truncated or damaged "
            f"{compression_of(path)} file?")


def open_bytes(path: str | Path):
    """``path`` opened for reading bytes, decompressed when :func:`compression_of` says it
    is compressed.

    Raises:
        InputError: zstd without the ``zstandard`` package.
    """
    kind = compression_of(path)
    if kind == "gzip":
        import gzip
        return gzip.open(path, "rb")
    if kind == "bz2":
        import bz2
        return bz2.open(path, "rb")
    if kind == "xz":
        import lzma
        return lzma.open(path, "rb")
    if kind == "zstd":
        try:
            import zstandard
        except ImportError:
            raise InputError(f"{path}: compressed with zstd; decompress it first "
                             f"(zstd -d {path}) or install the zstandard package") from None
        return zstandard.open(path, "rb")
    return open(path, "rb")


def open_text(path: str | Path):
    """``path`` as text in its :func:`file_encoding`, decompressed if need be."""
    return io.TextIOWrapper(open_bytes(path), encoding=file_encoding(path))


# ----------------------------------------------------------------------------- encoding
def file_encoding(path: str | Path) -> str:
    """``"utf-8-sig"`` when the file is valid UTF-8 (BOM or not), else ``"latin-1"``.

    The whole file is checked (about 1 ms per 2 MB), since one odd byte anywhere decides;
    the answer is remembered per file path, size and modification time.
    """
    try:
        st = Path(path).stat()
        stamp = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    except OSError:
        return _file_encoding(path)
    if stamp not in _ENCODINGS:
        if len(_ENCODINGS) > 64:
            _ENCODINGS.clear()
        _ENCODINGS[stamp] = _file_encoding(path)
    return _ENCODINGS[stamp]


_ENCODINGS: dict = {}


def _file_encoding(path: str | Path) -> str:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open_bytes(path) as fh:
            while True:
                chunk = fh.read(1 << 20)
                decoder.decode(chunk, final=not chunk)
                if not chunk:
                    break
    except UnicodeDecodeError:
        return "latin-1"
    except (OSError, EOFError, InputError):
        pass                        # reported by the reader that follows
    return "utf-8-sig"


def decode_bytes(data: bytes, name: str) -> str:
    """UTF-8 (BOM skipped), else Latin-1 (see :func:`file_encoding`)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        log.info("%s: not valid UTF-8; read as Latin-1", name)
        return data.decode("latin-1")


# ----------------------------------------------------------------------------- detection
def detect_format(path: str | Path, cfg: DataConfig) -> str:
    """``cfg.format`` if set, else ``files`` for a directory/zip, else by the time column."""
    path = Path(path)
    if cfg.format is not None:
        return cfg.format
    if path.is_dir() or path.suffix.lower() == ".zip":
        return "files"
    header = _read_header(path, cfg)
    _, cols = _table_columns(path, header, cfg, allow_missing_time=True)
    return _time_kind(path, header, cols, None)


def _time_kind(path: Path, header: "_Header", cols: dict, values: Optional[pd.Series]) -> str:
    """Decide snapshots vs events from the time column's name, then (if needed) its values."""
    name = cols.get("time")
    if name is None:
        raise InputError(f"{path}: no time column among {header.names_text()}; name it with "
                         f"--time-col (a snapshot index or a timestamp)")
    low = str(name).strip().lower()
    if header.has_names and low in SNAPSHOT_NAMES:
        return "snapshots"
    if header.has_names and (low in EVENT_NAMES or time_name_with_unit(name)):
        return "events"
    scan = _TimeScan()
    scan.add(_read_column(path, header, name) if values is None else values)
    return scan.kind(path, name)


class _TimeScan:
    """The values' side of the snapshots-or-events decision, fed the time column whole or
    chunk by chunk (:func:`_time_kind`, :func:`_time_kind_streamed`): any value that is not
    a number (a datetime) -> events; no value -> snapshots (the reader then says the file is
    empty); non-negative integers up to :data:`MAX_SNAPSHOT_INDEX` -> snapshot indices,
    unless they look like seconds (:func:`_index_or_seconds`); any other number -> events."""

    def __init__(self) -> None:
        self.lo, self.hi = math.inf, -math.inf
        self.integral, self.seen, self.text = True, False, False
        self.used = np.zeros(0, dtype=bool)            # which small integers occur

    def add(self, values: pd.Series) -> None:
        """Take one chunk of the column (blank cells are not values)."""
        if self.text:
            return
        if values.dtype.kind == "O":
            values = values[values.astype(str).str.strip() != ""]
        if len(values) == 0:
            return
        num = pd.to_numeric(values, errors="coerce")
        if num.isna().any():
            self.text = True                              # datetimes
            return
        arr = num.to_numpy(dtype=np.float64)
        self.seen = True
        self.integral &= bool(np.all(arr == np.round(arr)))
        self.lo, self.hi = min(self.lo, float(arr.min())), max(self.hi, float(arr.max()))
        if self._small():
            if self.used.size == 0:
                self.used = np.zeros(MAX_SNAPSHOT_INDEX + 1, dtype=bool)
            self.used[arr.astype(np.int64)] = True

    def _small(self) -> bool:
        return self.integral and self.lo >= 0 and self.hi <= MAX_SNAPSHOT_INDEX

    def kind(self, path: Path, name) -> str:
        """``"snapshots"`` or ``"events"`` from the values taken."""
        if self.text:
            return "events"
        if not self.seen:
            return "snapshots"
        if self._small():
            return _index_or_seconds(path, name, self.lo, self.hi,
                                     int(np.count_nonzero(self.used)))
        return "events"


#: Small non-negative integer times are snapshot indices, unless they spread over more than
#: :data:`SECONDS_SPAN` values of which fewer than :data:`SECONDS_FILL` occur: then they are
#: seconds (a SNAP stream of less than 12 days, timed from its start), which as indices would
#: make mostly empty snapshots, one per second.
SECONDS_SPAN, SECONDS_FILL = 1000, 0.1


def looks_like_seconds(lo: float, hi: float, distinct: int) -> bool:
    """Integers ``lo .. hi`` with ``distinct`` different values are seconds, not snapshot
    indices (:data:`SECONDS_SPAN`, :data:`SECONDS_FILL`).

    Examples:
        >>> looks_like_seconds(0, 899_929, 4_985), looks_like_seconds(0, 582, 524)
        (True, False)
    """
    span = hi - lo + 1
    return span > SECONDS_SPAN and distinct < SECONDS_FILL * span


def _index_or_seconds(path: Path, name, lo: float, hi: float, distinct: int) -> str:
    """``snapshots``, or ``events`` (with a log line) when :func:`looks_like_seconds`."""
    if not looks_like_seconds(lo, hi, distinct):
        return "snapshots"
    log.info("%s: column %s holds integers %d .. %d of which %d occur: read as seconds (an "
             "event stream); give --format snapshots to read them as snapshot indices",
             path, _col_label(name), lo, hi, distinct)
    return "events"


# ----------------------------------------------------------------------------- header
@dataclass
class _Header:
    sep: str
    names: list           # column names, or positional ints when the file has no header
    has_names: bool
    #: the header ended in a feature-list name (:data:`FEATURE_LIST_NAMES`, not in
    #: ``names``): fields past ``names`` are ignored instead of refused
    feature_list: bool = False

    def names_text(self) -> str:
        return ", ".join(map(str, self.names)) if self.has_names else \
            f"{len(self.names)} unnamed columns"


def _first_line(path: Path) -> str:
    try:
        with open_text(path) as fh:
            for line in fh:
                if line.strip() and not line.lstrip().startswith(("#", "%")):
                    return line.rstrip("\r\n")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or directory") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory (use --format files)") from None
    except DECOMPRESSION_ERRORS as exc:     # also a truncated or damaged compressed file
        raise InputError(_damaged(path, exc) if compression_of(path) else
                         f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") \
            from None
    raise InputError(f"{path}: empty file (no rows)")


def detect_separator(line: str) -> str:
    """The separator of a file from its first line: tab, comma, semicolon, else whitespace
    (a ``pandas.read_csv`` ``sep``)."""
    return "\t" if "\t" in line else "," if "," in line else ";" if ";" in line else r"\s+"


def split_fields(line: str, sep: str) -> list[str]:
    """The stripped fields of one line under a :func:`detect_separator` ``sep``."""
    return line.split() if sep == r"\s+" else [f.strip() for f in line.split(sep)]


KNOWN_NAMES = frozenset(SNAPSHOT_NAMES + EVENT_NAMES + AMBIGUOUS_TIME_NAMES + SRC_NAMES
                        + DST_NAMES + WEIGHT_NAMES)


def time_name_with_unit(name) -> bool:
    """A time column's name with a unit suffix: ``created_at_ms``, ``time_us``, ``ts_s``
    (a name of :data:`EVENT_NAMES` or :data:`AMBIGUOUS_TIME_NAMES` before the suffix of
    :data:`~gcngan.data.events.UNIT_SUFFIXES`); its values are event times in that unit."""
    from gcngan.data.events import split_unit_suffix

    stem, unit = split_unit_suffix(name)
    return unit is not None and stem in EVENT_NAMES + AMBIGUOUS_TIME_NAMES


def _read_header(path: Path, cfg: Optional[DataConfig] = None) -> _Header:
    """Separator and column names of the first line.

    The first line is a header when it holds a known column name or one named by a
    ``--*-col`` flag; otherwise when its first or last field is not a number
    (``0,a,b,1`` is data with string node ids; ``a,b,c,d`` is a header).
    """
    line = _first_line(path)
    sep = detect_separator(line)
    fields = split_fields(line, sep)
    flagged = {v for v in ((cfg.time_col, cfg.src_col, cfg.dst_col, cfg.weight_col)
                           if cfg is not None else ()) if v is not None}
    named = any(f.lower() in KNOWN_NAMES or f in flagged or time_name_with_unit(f)
                for f in fields)
    if named or not (fields and _is_number(fields[0]) and _is_number(fields[-1])):
        seen: set = set()
        for f in fields:
            key = f.strip().lower()
            if key in seen:
                raise InputError(f"{path}: line 1: duplicate column name {f!r}; give every "
                                 f"column its own name")
            seen.add(key)
        if len(fields) > 1 and fields[-1].strip().lower() in FEATURE_LIST_NAMES:
            return _Header(sep, fields[:-1], has_names=True, feature_list=True)
        return _Header(sep, fields, has_names=True)
    return _Header(sep, list(range(len(fields))), has_names=False)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _pick(names: list, wanted: Optional[str], choices: tuple, what: str, path: Path,
          header: _Header, flag: str) -> Optional[str]:
    if wanted is not None:
        if not header.has_names:
            raise InputError(f"{path}: {flag} {wanted!r} given but the file has no header line")
        if wanted not in names:
            raise InputError(f"{path}: line 1: {what} column {wanted!r} not found; columns are "
                             f"{header.names_text()}")
        return wanted
    lowered = {str(n).strip().lower(): n for n in names}
    for c in choices:
        if c in lowered:
            return lowered[c]
    return None


def _table_columns(path: Path, header: _Header, cfg: DataConfig,
                   allow_missing_time: bool = False) -> tuple[_Header, dict]:
    """Map logical columns (time, src, dst, weight) to file columns."""
    names = header.names
    no_weight = (cfg.weight_col is not None and cfg.weight_col.strip().lower() == NO_WEIGHT
                 and not any(str(n).strip().lower() == NO_WEIGHT for n in names))
    if not header.has_names:
        for flag, value in (("--time-col", cfg.time_col), ("--src-col", cfg.src_col),
                            ("--dst-col", cfg.dst_col),
                            ("--weight-col", None if no_weight else cfg.weight_col)):
            if value is not None:
                raise InputError(f"{path}: {flag} {value!r} given but the file has no header line")
        k = len(names)
        if k == 4:
            cols = _four_unnamed_columns(path, header)
        elif k > 4:
            cols = {"time": 0, "src": 1, "dst": 2, "weight": 3}
        elif k == 3:
            cols = _three_unnamed_columns(path, header)
        else:
            raise InputError(f"{path}: line 1: {k} unnamed column(s); expected t,src,dst[,weight]")
        if no_weight:
            cols["weight"] = None
        return header, cols
    cols = {
        "time": _pick(names, cfg.time_col, SNAPSHOT_NAMES + EVENT_NAMES + AMBIGUOUS_TIME_NAMES,
                      "time", path, header, "--time-col")
        or next((n for n in names if time_name_with_unit(n)), None),
        "src": _pick(names, cfg.src_col, SRC_NAMES, "source", path, header, "--src-col"),
        "dst": _pick(names, cfg.dst_col, DST_NAMES, "destination", path, header, "--dst-col"),
        "weight": None if no_weight else _pick(names, cfg.weight_col, WEIGHT_NAMES, "weight",
                                               path, header, "--weight-col"),
    }
    if cols["dst"] is None and cfg.src_col is None and cols["src"] is not None:
        paired = PAIRED_DST_NAMES.get(str(cols["src"]).strip().lower())
        cols["dst"] = _pick(names, None, (paired,), "destination", path, header, "--dst-col") \
            if paired else None
    _refuse_shared_column(path, cols, cfg)
    for key, flag in (("src", "--src-col"), ("dst", "--dst-col")):
        if cols[key] is None:
            raise InputError(f"{path}: line 1: no {key} column among {header.names_text()}; "
                             f"name it with {flag}")
    if cols["time"] is None and not allow_missing_time:
        raise InputError(f"{path}: line 1: no time column among {header.names_text()}; name it "
                         f"with --time-col (a snapshot index or a timestamp)")
    used = {c for c in cols.values() if c is not None}
    unknown = [n for n in names if n not in used]
    maybe_weight = [n for n in unknown if str(n).strip().lower() not in IGNORED_NAMES]
    if maybe_weight and cols["weight"] is None and not no_weight:
        maybe_weight = _numeric_columns(path, header, maybe_weight)   # text is never a weight
    if maybe_weight and cols["weight"] is None and not no_weight:
        raise InputError(f"{path}: line 1: unknown column(s) "
                         f"{', '.join(map(str, maybe_weight))}; say which is the weight with "
                         f"--weight-col NAME, or --weight-col none for a weight of 1 per row")
    if unknown:
        log.info("%s: ignoring column(s) %s", path, ", ".join(map(str, unknown)))
    return header, cols


#: Rows a headerless three-column file is judged on (:func:`_three_unnamed_columns`).
SAMPLE_ROWS = 10_000


def _sample_columns(path: Path, header: _Header, k: int) -> Optional[list]:
    """The first :data:`SAMPLE_ROWS` rows of a headerless ``k``-column file as ``k`` numeric
    ``pd.Series`` (NaN where a field is not a number); ``None`` when they do not parse as
    ``k`` columns (the full read reports why)."""
    kw = dict(sep=header.sep, header=None, index_col=False, na_filter=False, comment=None,
              nrows=SAMPLE_ROWS, skiprows=_first_data_line(path) - 1,
              encoding=file_encoding(path), compression=compression_of(path), dtype=str)
    try:
        sample = pd.read_csv(path, engine="c", **kw)
    except DECOMPRESSION_ERRORS as exc:
        raise InputError(_damaged(path, exc)) from None
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError):
        return None
    if sample.shape[1] != k or not len(sample):
        return None
    return [pd.to_numeric(sample[c].str.strip(), errors="coerce") for c in range(k)]


def _numeric_columns(path: Path, header: _Header, names: list) -> list:
    """Those of the named columns whose first :data:`SAMPLE_ROWS` values are all numbers (a
    column of text, e.g. a flight's call sign, cannot be the weight)."""
    kw = _csv_options(path, header, ())
    kw.update(nrows=SAMPLE_ROWS, dtype=str, usecols=list(names), skip_blank_lines=True)
    try:
        sample = pd.read_csv(path, engine="c", **kw)
    except DECOMPRESSION_ERRORS as exc:
        raise InputError(_damaged(path, exc)) from None
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError):
        return list(names)                              # cannot tell: ask
    return [n for n in names
            if not pd.to_numeric(sample[n].str.strip(), errors="coerce").isna().any()]


def _is_sorted(col: pd.Series) -> bool:
    """All numbers and non-decreasing."""
    return not col.isna().any() and bool(np.all(np.diff(col.to_numpy(dtype=np.float64)) >= 0))


def _holds_times(col: pd.Series) -> bool:
    """Values only a time column holds: a non-integer or a value above
    :data:`MAX_SNAPSHOT_INDEX` (Unix seconds), all numbers."""
    arr = col.to_numpy(dtype=np.float64)
    return not col.isna().any() and bool(np.any(arr != np.round(arr))
                                         or arr.max() > MAX_SNAPSHOT_INDEX)


def _three_unnamed_columns(path: Path, header: _Header) -> dict:
    """Which of a headerless file's three columns is the time, from its first
    :data:`SAMPLE_ROWS` rows: SNAP's temporal edge lists are ``src dst timestamp``, so the
    third column is the time when it holds a non-integer, a value above
    :data:`MAX_SNAPSHOT_INDEX` (Unix seconds), or is sorted while the first is not; the
    first (``t src dst``) when it is sorted and the third is not. Otherwise refused: only
    a header line can tell. (A non-number there, e.g. a bad value, is left to the reader
    of the time column to report.)"""
    snap = {"time": 2, "src": 0, "dst": 1, "weight": None}
    sample = _sample_columns(path, header, 3)
    if sample is not None:
        first, third = sample[0], sample[2]
        if third.isna().any() or _holds_times(third):
            return snap                                 # datetimes (or bad values: reported)
        if _is_sorted(third) and not _is_sorted(first):
            return snap
        if _is_sorted(first) and not _is_sorted(third):
            return {"time": 0, "src": 1, "dst": 2, "weight": None}
    raise InputError(f"{path}: line 1: 3 unnamed columns; cannot tell which is the time "
                     f"(SNAP's 'src dst timestamp' or 't src dst'): add a header line, e.g. "
                     f"src,dst,timestamp")


def _four_unnamed_columns(path: Path, header: _Header) -> dict:
    """A headerless four-column file is ``t src dst weight`` (this project's long format)
    unless its first :data:`SAMPLE_ROWS` rows show KONECT's and SNAP's ``src dst weight
    time`` (``out.*`` files, ``soc-sign-bitcoin*.csv``): every value of the last column
    above :data:`MAX_SNAPSHOT_INDEX` (Unix seconds, decimals allowed) while the first holds
    small integers, not sorted (a snapshot index column is, in every file this project
    writes; a weight column of large values beside unsorted indices is read as times)."""
    sample = _sample_columns(path, header, 4)
    if sample is not None and not _is_sorted(sample[0]) and not _holds_times(sample[0]):
        last = sample[3]
        if not last.isna().any() and float(last.min()) > MAX_SNAPSHOT_INDEX:
            log.info("%s: 4 unnamed columns read as src dst weight time (the last column "
                     "holds Unix times)", path)
            return {"time": 3, "src": 0, "dst": 1, "weight": 2}
    return {"time": 0, "src": 1, "dst": 2, "weight": 3}


COL_FLAGS = {"time": "--time-col", "src": "--src-col", "dst": "--dst-col",
             "weight": "--weight-col"}


def _refuse_shared_column(path: Path, cols: dict, cfg: DataConfig) -> None:
    """Refuse two roles (time, src, dst, weight) on one column, given or auto-detected."""
    seen: dict = {}
    for role, col in cols.items():
        if col is None:
            continue
        if col in seen:
            flags = [COL_FLAGS[r] + ("" if getattr(cfg, f"{r}_col") is not None
                                     else " (auto-detected)") for r in (seen[col], role)]
            raise InputError(f"{path}: column {col!r} is given for both {flags[0]} and "
                             f"{flags[1]}; each role needs its own column")
        seen[col] = role


def _csv_options(path: Path, header: _Header, text_cols: tuple) -> dict:
    """``pandas.read_csv`` options of :func:`_read_raw` and :func:`_iter_raw`: every column
    read (a feature-list header: only the named ones, the rest of each row ignored)."""
    kw = dict(sep=header.sep, index_col=False, na_filter=False, comment=None,
              skip_blank_lines=False, encoding=file_encoding(path),
              compression=compression_of(path))
    if text_cols:
        kw["dtype"] = {c: str for c in text_cols}
    kw["skiprows"] = _first_data_line(path) - 1          # leading blank/comment lines
    kw["header"] = 0 if header.has_names else None
    if header.feature_list:
        kw.update(header=None, names=list(header.names), usecols=list(header.names),
                  skiprows=kw["skiprows"] + 1)
    if header.sep != r"\s+":
        kw["skipinitialspace"] = True
    return kw


def _read_column(path: Path, header: _Header, name) -> pd.Series:
    frame = _read_raw(path, header, [name])
    return frame[name]


def _read_raw(path: Path, header: _Header, usecols: list, text_cols: tuple = ()) -> pd.DataFrame:
    # All columns are read (no ``usecols``) so that a row with extra fields is an error
    # instead of silently shifting into an implicit index. ``text_cols`` (node ids) stay
    # strings: their type is decided for both id columns together (:func:`_id_columns`).
    kw = _csv_options(path, header, text_cols)
    try:
        with warnings.catch_warnings():
            # pandas only warns (and drops data) when the first row outnumbers the header
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, engine="c", **kw)
    except pd.errors.ParserWarning:
        line = kw["skiprows"] + 2
        raise InputError(f"{path}: line {line}: more fields than the {len(header.names)} "
                         f"header columns") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty file (no rows)") from None
    except pd.errors.ParserError as exc:
        raise InputError(f"{path}: {parser_message(exc)}") from None
    except ValueError as exc:  # usecols not found etc.
        raise InputError(f"{path}: {str(exc).splitlines()[0]}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except DECOMPRESSION_ERRORS as exc:
        raise InputError(_damaged(path, exc)) from None
    missing = [c for c in usecols if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: line 1: column(s) {', '.join(map(str, missing))} not found")
    return frame[usecols]


def parser_message(exc: Exception) -> str:
    """The one-line message of a pandas parser error (``line L: expected F fields, found G``
    for a row with too many fields)."""
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if m:
        return f"line {m.group(2)}: expected {m.group(1)} fields, found {m.group(3)}"
    return text.replace("Error tokenizing data. C error: ", "")


# ----------------------------------------------------------------------------- tables
def check_data_path(path: Path) -> None:
    """Refuse a data path that is missing, or that is not a file or directory: a pipe
    (``<(zcat data.gz)``, /dev/stdin) reads empty the second time, and ingestion reads the
    data more than once (as do later commands on a run, from the path it records)."""
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if not (path.is_file() or path.is_dir()):
        raise InputError(f"{path}: not a regular file (a pipe?): the data is read more than "
                         f"once, by this command and by later ones on its run; save it to a "
                         f"file first")


def read_edges(path: str | Path, cfg: DataConfig) -> EdgeTable:
    """Read ``path`` (file, directory or zip) into an :class:`EdgeTable` (no aggregation).

    Raises:
        InputError: unreadable or empty file, missing/unknown columns, malformed values.
    """
    path = Path(path)
    check_data_path(path)
    kind = detect_format(path, cfg)
    if kind == "files":
        for role, flag in COL_FLAGS.items():
            value = getattr(cfg, f"{role}_col")
            if value is not None:
                raise InputError(f"{path}: {flag} {value!r} does not apply to a directory/zip "
                                 f"of per-snapshot files (columns: src dst weight)")
        return read_edge_files(path)
    return read_table(path, cfg, kind)


def read_table(path: Path, cfg: DataConfig, kind: Optional[str] = None) -> EdgeTable:
    """Read a long CSV/TSV (``snapshots`` or ``events``) into an :class:`EdgeTable`."""
    if path.is_dir() or path.suffix.lower() == ".zip":
        raise InputError(f"{path}: a directory/zip holds per-snapshot files; use --format files")
    header = _read_header(path, cfg)
    header, cols = _table_columns(path, header, cfg)
    usecols = [c for c in cols.values() if c is not None]
    raw = _read_raw(path, header, usecols, text_cols=(cols["src"], cols["dst"]))
    if file_encoding(path) == "latin-1":
        log.info("%s: not valid UTF-8; read as Latin-1", path)
    if len(raw) == 0:
        raise InputError(f"{path}: empty file (a header but no rows)")
    line0 = _first_data_line(path) + (1 if header.has_names else 0)
    # Blank lines are kept by the parser (skip_blank_lines=False) so row i is line line0 + i;
    # they appear as rows whose every field is empty and are dropped here.
    line = np.arange(line0, line0 + len(raw), dtype=np.int64)
    blank = _blank_rows(raw)
    if blank.any():
        raw, line = raw.loc[~blank].reset_index(drop=True), line[~blank]
        if len(raw) == 0:
            raise InputError(f"{path}: empty file (no rows)")
    table = EdgeTable(frame=pd.DataFrame(), kind=kind or "snapshots", source=str(path),
                      columns={k: v for k, v in cols.items()}, line=line)
    if header.has_names:
        _refuse_repeated_header(table, raw, usecols)
    if kind is None:
        kind = table.kind = _time_kind(path, header, cols, raw[cols["time"]])
    src, dst = _id_columns(table, raw[cols["src"]], cols["src"], raw[cols["dst"]], cols["dst"])
    frame = pd.DataFrame({
        "time": raw[cols["time"]] if kind == "events" else
        _int_column(table, raw[cols["time"]], cols["time"], "snapshot index"),
        "src": src,
        "dst": dst,
        "weight": (np.ones(len(raw)) if cols["weight"] is None else
                   _float_column(table, raw[cols["weight"]], cols["weight"])),
    })
    table.frame = frame
    log.debug("%s: %d %s rows, columns %s", path, len(frame), kind, cols)
    return table


def _first_data_line(path: Path) -> int:
    """1-based line number of the first non-blank, non-comment line."""
    with open_text(path) as fh:
        for i, line in enumerate(fh, start=1):
            if line.strip() and not line.lstrip().startswith(("#", "%")):
                return i
    return 1


def _blank_rows(raw: pd.DataFrame) -> np.ndarray:
    blank = np.ones(len(raw), dtype=bool)
    for c in raw.columns:
        col = raw[c]
        if col.dtype.kind in "iufb":
            return np.zeros(len(raw), dtype=bool)
        blank &= (col.astype(str).str.strip() == "").to_numpy()
    return blank


def _col_label(name) -> str:
    return f"column {name!r}" if isinstance(name, str) else f"column {int(name) + 1}"


def _bad(table: EdgeTable, pos: int, name, what: str, value) -> InputError:
    return InputError(f"{table.where(pos)}: {_col_label(name)}: {what} {str(value)!r}")


def _float_column(table: EdgeTable, col: pd.Series, name) -> np.ndarray:
    """Parse weights as float64; refuse empty, non-numeric, NaN and infinite values."""
    if col.dtype.kind in "iuf":
        arr = col.to_numpy(dtype=np.float64)
    else:
        text = col.astype(str).str.strip()
        arr = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
        bad = np.isnan(arr) & ~text.str.lower().isin(["nan", "+nan", "-nan"]).to_numpy()
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            value = col.iloc[pos]
            what = "empty weight" if str(value).strip() == "" else "non-numeric weight"
            raise _bad(table, pos, name, what, value)
    fin = np.isfinite(arr)
    if not fin.all():
        pos = int(np.flatnonzero(~fin)[0])
        raise _bad(table, pos, name, "weight must be a finite number, got", col.iloc[pos])
    return arr


def _int_column(table: EdgeTable, col: pd.Series, name, what: str) -> np.ndarray:
    """Parse a non-negative integer column (snapshot index)."""
    if col.dtype.kind in "iu":
        arr = col.to_numpy(dtype=np.int64)
    else:
        text = col.astype(str).str.strip()
        num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(num) | (num != np.round(num)) | (np.abs(num) > 2.0 ** 53)
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise _bad(table, pos, name, f"{what} must be an integer (timestamps: --format "
                       f"events), got", col.iloc[pos])
        arr = num.astype(np.int64)
    neg = arr < 0
    if neg.any():
        pos = int(np.flatnonzero(neg)[0])
        raise _bad(table, pos, name, f"{what} must be >= 0, got", col.iloc[pos])
    return arr


def _refuse_repeated_header(table: EdgeTable, raw: pd.DataFrame, usecols: list) -> None:
    """A header line repeated among the rows (concatenated exports) is an error, named."""
    rep = None
    for c in usecols:
        col = raw[c]
        if col.dtype.kind != "O":
            return                                       # a numeric column: no header text
        same = (col.astype(str).str.strip().str.lower() == str(c).strip().lower()).to_numpy()
        rep = same if rep is None else rep & same
        if not rep.any():
            return
    if rep is not None and rep.any():
        pos = int(np.flatnonzero(rep)[0])
        raise InputError(f"{table.where(pos)}: the header line is repeated here (concatenated "
                         f"files?); remove it")


def _id_text(table: EdgeTable, col: pd.Series, name) -> pd.Series:
    """Stripped id strings; refuses an empty id."""
    text = col.astype(str).str.strip()
    empty = (text == "").to_numpy()
    if empty.any():
        pos = int(np.flatnonzero(empty)[0])
        raise _bad(table, pos, name, "empty node id", col.iloc[pos])
    return text.reset_index(drop=True)


def _id_columns(table: EdgeTable, src: pd.Series, src_name, dst: pd.Series,
                dst_name) -> tuple[pd.Series, pd.Series]:
    """Node ids of both columns: int64 when *every* id is a 64-bit integer (``7``, ``+7``,
    ``7.0``), else the stripped text. Decided jointly, so an id is one node in either column;
    ids beyond int64 (or inexact as floats) stay text, never rounded together."""
    s, d = _id_text(table, src, src_name), _id_text(table, dst, dst_name)
    both = pd.concat([s, d], ignore_index=True)
    ints = _as_int64(both)
    if ints is None:
        return (pd.Series(s.to_numpy(dtype=object)), pd.Series(d.to_numpy(dtype=object)))
    return pd.Series(ints[: len(s)]), pd.Series(ints[len(s):])


def _as_int64(text: pd.Series) -> Optional[np.ndarray]:
    """int64 values of ``text`` when every entry is an exact 64-bit integer, else ``None``."""
    num = pd.to_numeric(text, errors="coerce")
    if len(num) == 0 or num.isna().any():
        return None
    if num.dtype.kind == "i":
        return num.to_numpy(dtype=np.int64)
    if num.dtype.kind == "f":
        arr = num.to_numpy(dtype=np.float64)
        if np.all(np.isfinite(arr) & (arr == np.round(arr)) & (np.abs(arr) < 2.0 ** 53)):
            return arr.astype(np.int64)
    return None                                     # uint64 beyond int64, or inexact


# ----------------------------------------------------------------------------- files
_NUMBER = re.compile(r"(\d+)")


def _snapshot_number(name: str) -> Optional[int]:
    stem = name.rsplit("/", 1)[-1]
    for suf in EDGE_FILE_SUFFIXES[1:]:
        if stem.lower().endswith(suf):
            stem = stem[: -len(suf)]
            break
    found = _NUMBER.findall(stem)
    return int(found[-1]) if found else None


def _is_edge_file(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    if not base or base.startswith(".") or "__MACOSX" in name:
        return False
    suffix = "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""
    return suffix in EDGE_FILE_SUFFIXES and _snapshot_number(base) is not None


def _member_texts(path: Path) -> list[tuple[str, bytes]]:
    """(name, content) of every edge-list file in a directory or zip."""
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file()
                 and _is_edge_file(p.relative_to(path).as_posix())]
        return [(p.relative_to(path).as_posix(), p.read_bytes()) for p in files]
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir() and _is_edge_file(i.filename)]
            return [(i.filename, zf.read(i)) for i in infos]
    except zipfile.BadZipFile:
        raise InputError(f"{path}: not a valid zip archive") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def read_edge_files(path: str | Path) -> EdgeTable:
    """Read a directory or ``.zip`` of per-snapshot ``src dst [weight]`` files.

    The snapshot index is the last number in each file name. All files are joined and
    parsed in one pandas call; ``#``/``%`` comment lines and blank lines are skipped.

    Raises:
        InputError: no edge-list files, two files with the same index, malformed rows.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    members = _member_texts(path)
    if not members:
        kind = "directory" if path.is_dir() else "zip"
        raise InputError(f"{path}: {kind} holds no edge-list files (expected names with a "
                         f"snapshot number, e.g. edge_list_0.txt)")
    members.sort(key=lambda m: (_snapshot_number(m[0]), m[0]))
    index = np.array([_snapshot_number(n) for n, _ in members], dtype=np.int64)
    dup = np.flatnonzero(np.diff(index) == 0)
    if dup.size:
        a, b = members[dup[0]][0], members[dup[0] + 1][0]
        raise InputError(f"{path}: files {a} and {b} both give snapshot {index[dup[0]]}")
    names, chunks, counts, lines = [], [], [], []
    for name, data in members:
        text = decode_bytes(data, f"{path}/{name}")
        rows = text.splitlines()
        keep = [(i, r) for i, r in enumerate(rows, start=1)
                if r.strip() and not r.lstrip().startswith(("#", "%"))]
        names.append(name)
        counts.append(len(keep))
        lines.append(np.fromiter((i for i, _ in keep), dtype=np.int64, count=len(keep)))
        chunks.append("\n".join(r for _, r in keep))
    counts_arr = np.array(counts, dtype=np.int64)
    if counts_arr.sum() == 0:
        raise InputError(f"{path}: every edge-list file is empty")
    body = "\n".join(c for c in chunks if c)
    file_of_row = np.repeat(np.arange(len(names)), counts_arr)
    table = EdgeTable(frame=pd.DataFrame(), kind="files", source=str(path),
                      columns={"time": "file name", "src": 1, "dst": 2, "weight": 3},
                      line=np.concatenate(lines), file=np.array(names, dtype=object)[file_of_row],
                      snapshots=int(index.max()) + 1)
    try:
        raw = pd.read_csv(io.StringIO(body), sep=r"\s+", header=None, na_filter=False,
                          engine="c", dtype=str)
    except pd.errors.ParserError as exc:
        msg = parser_message(exc)
        m = re.match(r"line (\d+): (.*)", msg)
        if m:
            row = int(m.group(1)) - 1
            raise InputError(f"{table.where(row)}: {m.group(2)}") from None
        raise InputError(f"{path}: {msg}") from None
    k = raw.shape[1]
    if k < 2:
        raise InputError(f"{table.where(0)}: expected 'src dst [weight]', found {k} field(s)")
    if k > 3:
        log.info("%s: using the first 3 of %d whitespace-separated fields", path, k)
    if k >= 3:
        short = (raw[2].astype(str) == "").to_numpy()
        if short.any():
            pos = int(np.flatnonzero(short)[0])
            raise InputError(f"{table.where(pos)}: expected 'src dst weight', found 2 fields")
    src, dst = _id_columns(table, raw[0], 0, raw[1], 1)
    frame = pd.DataFrame({
        "time": index[file_of_row],
        "src": src,
        "dst": dst,
        "weight": np.ones(len(raw)) if k < 3 else _float_column(table, raw[2], 2),
    })
    table.frame = frame
    table.columns = {"time": "file name", "src": 0, "dst": 1, "weight": 2 if k >= 3 else None}
    log.debug("%s: %d files, %d rows", path, len(names), len(frame))
    return table


# ----------------------------------------------------------------------------- node ids
def node_index(src: pd.Series, dst: pd.Series, num_nodes: Optional[int] = None,
               source: str = "data") -> tuple[list, np.ndarray, np.ndarray]:
    """Map original node ids to ``0..N-1``.

    Integer ids are sorted numerically and strings lexicographically. With ``num_nodes``
    given and every id an integer in ``0..num_nodes-1``, ids are kept as they are (so node
    ``i`` is row ``i``, and nodes that never appear still get a row).

    Returns:
        ``(node_ids, src_index, dst_index)``: ``node_ids[k]`` is the original id of node ``k``.

    Examples:
        >>> ids, s, d = node_index(pd.Series(["b", "a"]), pd.Series(["c", "b"]))
        >>> ids, s.tolist(), d.tolist()
        (['a', 'b', 'c'], [1, 0], [2, 1])
    """
    both = pd.concat([src, dst], ignore_index=True)
    integer = both.dtype.kind in "iu"
    if integer:
        vals = both.to_numpy(dtype=np.int64)
        if num_nodes is not None and len(vals) and vals.min() >= 0 and vals.max() < num_nodes:
            node_ids = list(range(num_nodes))
            return node_ids, vals[: len(src)].copy(), vals[len(src):].copy()
        uniq, inv = np.unique(vals, return_inverse=True)
        node_ids = [int(x) for x in uniq]
    else:
        vals = both.astype(str).to_numpy(dtype=object)
        uniq, inv = np.unique(vals, return_inverse=True)
        node_ids = [str(x) for x in uniq]
    if num_nodes is not None and len(node_ids) != num_nodes:
        hint = (f"ids are not the integers 0..{num_nodes - 1}" if len(node_ids) < num_nodes
                else "more ids than that")
        raise InputError(f"{source}: --nodes {num_nodes} but the data has {len(node_ids)} "
                         f"distinct node ids ({hint})")
    inv = inv.astype(np.int64)
    return node_ids, inv[: len(src)], inv[len(src):]


def write_edges(path: str | Path, adj, node_ids: Optional[list] = None,
                times: Optional[list] = None, offset: float = 0.0, scores=None) -> int:
    """Write ``adj`` (T, N, N) as a long CSV ``t,src,dst,weight`` (non-zero entries only).

    Node ids are written back in their original form (``node_ids``); weights with the
    shortest repr that reads back to the same float32, minus ``offset`` (the ingestion
    shift of ``negative='shift'``; rows are still the non-zero entries of ``adj``).
    With ``scores`` (same shape) a ``score`` column is added and the rows are the entries
    where the weight or the score is non-zero (a scored entry without a predicted link
    has weight 0, not shifted by ``offset``). Atomic; returns the row count.
    """
    from gcngan.io import atomic_path

    a = np.asarray(adj.numpy() if hasattr(adj, "numpy") else adj, dtype=np.float32)
    sc = None if scores is None else \
        np.asarray(scores.numpy() if hasattr(scores, "numpy") else scores, dtype=np.float32)
    if sc is not None and sc.shape != a.shape:
        raise ValueError(f"scores {sc.shape} and weights {a.shape} differ in shape")
    t, i, j = np.nonzero(a if sc is None else (a != 0) | (sc != 0))
    ids = np.asarray(node_ids if node_ids is not None else range(a.shape[1]), dtype=object)
    w = a[t, i, j]
    if offset:
        w = np.where(w != 0, w - np.float32(offset), w)
    frame = pd.DataFrame({"t": t if times is None else np.asarray(times, dtype=object)[t],
                          "src": ids[i], "dst": ids[j],
                          "weight": _f32_text(w)})
    if sc is not None:
        frame["score"] = _f32_text(sc[t, i, j])
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return len(frame)


def _f32_text(w: np.ndarray) -> np.ndarray:
    """Shortest decimal text of each float32 (integers without a decimal point)."""
    out = np.empty(len(w), dtype=object)
    integral = w == np.round(w)
    out[integral] = w[integral].astype(np.int64).astype(str)
    rest = np.flatnonzero(~integral)
    out[rest] = [np.format_float_positional(x, trim="-") for x in w[rest]]
    return out


# ----------------------------------------------------------------------------- streamed columns
#: Rows parsed per pandas chunk when a long CSV/TSV is streamed (bounded memory: only one
#: chunk's text is held as Python objects at a time).
CHUNK_ROWS = 1 << 19


class _LineMap:
    """File line of each kept row, stored per chunk: a start line where the chunk had no
    blank rows (lines are consecutive), else that chunk's line array."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._lines: list = []
        self._rows = 0

    def add(self, lines: np.ndarray) -> None:
        if len(lines) == 0:
            return
        self._starts.append(self._rows)
        consecutive = int(lines[-1]) - int(lines[0]) == len(lines) - 1
        self._lines.append(int(lines[0]) if consecutive else lines.copy())
        self._rows += len(lines)

    def __getitem__(self, row: int) -> int:
        import bisect

        k = bisect.bisect_right(self._starts, int(row)) - 1
        part = self._lines[k]
        off = int(row) - self._starts[k]
        return part + off if isinstance(part, int) else int(part[off])

    def __len__(self) -> int:
        return self._rows


@dataclass
class EdgeColumns:
    """Edge rows as compact numpy columns (no Python objects per row), what ingestion needs.

    Attributes:
        time: (E,) int64 snapshot index (``snapshots``/``files``), float64 Unix seconds
            (``events`` whose timestamps were parsed), or ``None`` (``events`` read without a
            valid ``--granularity``: ingestion refuses them).
        src, dst: (E,) int32/int64 index into ``ids``.
        ids: the distinct original node ids (int or str), sorted (integers numerically,
            strings lexicographically), as :func:`node_index` orders them.
        weight: (E,) float64.
        kind, source, columns, line, file, snapshots: as in :class:`EdgeTable`.
    """

    time: Optional[np.ndarray]
    src: np.ndarray
    dst: np.ndarray
    ids: list
    weight: np.ndarray
    kind: str
    source: str
    columns: dict
    line: object
    file: Optional[np.ndarray] = None
    snapshots: Optional[int] = None
    numeric_times: bool = True   # events: numbers (in a unit to resolve), not datetimes

    where = EdgeTable.where      # ``path:line`` (or ``path/member:line``) of row ``row``

    def __len__(self) -> int:
        return len(self.src)


class _IdCodes:
    """Incremental id -> code map over chunks (codes in first-appearance order)."""

    def __init__(self) -> None:
        self.known: Optional[pd.Index] = None

    def codes(self, ids: pd.Series) -> np.ndarray:
        local, uniques = pd.factorize(ids)
        uniques = pd.Index(uniques, dtype=np.int64 if ids.dtype == np.int64 else object)
        if self.known is None:
            self.known = uniques[:0]
        glob = self.known.get_indexer(uniques)
        new = glob < 0
        if new.any():
            glob[new] = np.arange(len(self.known), len(self.known) + int(new.sum()))
            self.known = self.known.append(uniques[new])
        if len(self.known) >= 2 ** 31:
            raise InputError("more than 2**31 distinct node ids")
        return glob.astype(np.int32)[local]

    def finish(self, src: np.ndarray, dst: np.ndarray) -> tuple[list, np.ndarray, np.ndarray]:
        """Decide the id type for all ids at once (int64 when every id is a 64-bit integer,
        as :func:`_id_columns` does), sort them and re-code ``src``/``dst``."""
        known = self.known if self.known is not None else pd.Index([], dtype=object)
        text = pd.Series(known.to_numpy(dtype=object))
        if known.dtype == np.int64:                   # typed by the parser: int64 already
            ints = known.to_numpy(dtype=np.int64)
        else:
            ints = _as_int64(text.astype(str)) if len(text) else None
        if ints is not None:
            uniq, remap = np.unique(ints, return_inverse=True)
            ids = [int(x) for x in uniq]
        else:
            uniq, remap = np.unique(text.astype(str).to_numpy(dtype=object), return_inverse=True)
            ids = [str(x) for x in uniq]
        remap = remap.astype(np.int32 if len(ids) < 2 ** 31 else np.int64)
        return ids, remap[src], remap[dst]


def numeric_times(col: pd.Series) -> bool:
    """Whether a parsed time column holds numbers (Unix times in some unit), not datetimes
    (:func:`~gcngan.data.events.parse_timestamps` refuses a column that mixes them)."""
    return bool(col.dtype.kind in "iuf" or (len(col) and _is_number(str(col.iloc[0]).strip())))


def _parse_times(chunk_table: EdgeTable, col: pd.Series, name, state: dict) -> np.ndarray:
    """Timestamps of one chunk -> float64 seconds; refuses a column whose chunks mix Unix
    seconds and datetimes (within one chunk :func:`parse_timestamps` refuses it)."""
    from gcngan.data.events import parse_timestamps

    secs = parse_timestamps(col, chunk_table.where, str(name))
    first = col.iloc[0]
    numeric = numeric_times(col)
    if state.setdefault("numeric", numeric) != numeric:
        raise InputError(f"{chunk_table.where(0)}: column {str(name)!r}: unparseable timestamp "
                         f"{first!r} (the column mixes Unix seconds and datetimes)")
    return secs


def _iter_raw(path: Path, header: "_Header", usecols: list, text_cols: tuple,
              chunk_rows: int):
    """The rows of a long CSV/TSV as pandas chunks (all columns read, as :func:`_read_raw`,
    so a row with extra fields is an error); the same one-line errors."""
    kw = _csv_options(path, header, text_cols)
    kw["chunksize"] = chunk_rows

    def guarded(step):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                return step()
        except pd.errors.ParserWarning:
            line = kw["skiprows"] + 2
            raise InputError(f"{path}: line {line}: more fields than the {len(header.names)} "
                             f"header columns") from None
        except pd.errors.EmptyDataError:
            raise InputError(f"{path}: empty file (no rows)") from None
        except pd.errors.ParserError as exc:
            raise InputError(f"{path}: {parser_message(exc)}") from None
        except ValueError as exc:
            raise InputError(f"{path}: {str(exc).splitlines()[0]}") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") \
                from None
        except DECOMPRESSION_ERRORS as exc:
            raise InputError(_damaged(path, exc)) from None

    reader = guarded(lambda: pd.read_csv(path, engine="c", **kw))
    with reader:
        while True:
            chunk = guarded(lambda: next(reader, None))
            if chunk is None:
                return
            missing = [c for c in usecols if c not in chunk.columns]
            if missing:
                raise InputError(f"{path}: line 1: column(s) {', '.join(map(str, missing))} "
                                 f"not found")
            yield chunk[usecols]


def _time_kind_streamed(path: Path, header: "_Header", cols: dict,
                        chunk_rows: int = CHUNK_ROWS) -> str:
    """:func:`_time_kind` over the time column read chunk by chunk (the same
    :class:`_TimeScan`)."""
    name = cols.get("time")
    low = str(name).strip().lower()
    if name is None or (header.has_names and (low in SNAPSHOT_NAMES + EVENT_NAMES
                                              or time_name_with_unit(name))):
        return _time_kind(path, header, cols, pd.Series([0]))
    scan = _TimeScan()
    for chunk in _iter_raw(path, header, [name], (), chunk_rows):
        scan.add(chunk[name])
        if scan.text:
            break
    return scan.kind(path, name)


def read_columns(path: str | Path, cfg: DataConfig,
                 chunk_rows: Optional[int] = None) -> EdgeColumns:
    """Read ``path`` into :class:`EdgeColumns`; long CSV/TSV files are streamed in chunks of
    ``chunk_rows`` rows (default :data:`CHUNK_ROWS`), so memory is the numeric columns plus
    one chunk. Directories/zips of per-snapshot files go through :func:`read_edge_files`.

    Every check of :func:`read_edges` is made, with the same one-line errors; with several
    chunks, the first problem is reported chunk by chunk (in file order).

    Raises:
        InputError: as :func:`read_edges`.
    """
    from gcngan.data.events import is_auto, parse_granularity

    path = Path(path)
    chunk_rows = int(chunk_rows or CHUNK_ROWS)
    check_data_path(path)
    if cfg.format is not None:
        kind = cfg.format
    elif path.is_dir() or path.suffix.lower() == ".zip":
        kind = "files"
    else:
        kind = None
    if kind == "files":
        table = read_edges(path, cfg)
        return columns_from_table(table, cfg)
    if path.is_dir() or path.suffix.lower() == ".zip":
        raise InputError(f"{path}: a directory/zip holds per-snapshot files; use --format files")
    header = _read_header(path, cfg)
    if kind is None:                                     # the checks of detect_format first
        _, found = _table_columns(path, header, cfg, allow_missing_time=True)
        if found.get("time") is None:
            _time_kind(path, header, found, None)        # raises: no time column
    header, cols = _table_columns(path, header, cfg)
    if kind is None:
        kind = _time_kind_streamed(path, header, cols, chunk_rows)
    parse_times = kind == "events"
    if parse_times and not is_auto(cfg.granularity):
        try:
            parse_granularity(cfg.granularity)
        except InputError:
            parse_times = False                    # refused after reading, as before
    usecols = [c for c in cols.values() if c is not None]
    if file_encoding(path) == "latin-1":
        log.info("%s: not valid UTF-8; read as Latin-1", path)
    line0 = _first_data_line(path) + (1 if header.has_names else 0)
    try:                            # integer ids typed by the parser: no text per id
        return _stream_columns(path, header, cols, kind, parse_times, chunk_rows, True)
    except _TextIds:
        pass                        # some id is not an integer: every id is text
    return _stream_columns(path, header, cols, kind, parse_times, chunk_rows, False)


class _TextIds(Exception):
    """A chunk's id column is not typed int64 by the parser: read the ids as text."""


def _stream_columns(path: Path, header: "_Header", cols: dict, kind: str, parse_times: bool,
                    chunk_rows: int, int_ids: bool) -> EdgeColumns:
    """One pass of :func:`read_columns`. ``int_ids``: let the parser type the id columns and
    give up (:class:`_TextIds`) at the first chunk where either is not int64; the ids are
    then the same integers that :func:`_id_columns` finds in their text."""
    usecols = [c for c in cols.values() if c is not None]
    line0 = _first_data_line(path) + (1 if header.has_names else 0)
    ids = _IdCodes()
    lines = _LineMap()
    parts: dict = {"time": [], "src": [], "dst": [], "weight": []}
    raw_rows, time_state = 0, {}
    text_cols = () if int_ids else (cols["src"], cols["dst"])
    for raw in _iter_raw(path, header, usecols, text_cols, chunk_rows):
        if int_ids and not (raw[cols["src"]].dtype == np.int64
                            and raw[cols["dst"]].dtype == np.int64):
            raise _TextIds()
        line = np.arange(line0 + raw_rows, line0 + raw_rows + len(raw), dtype=np.int64)
        raw_rows += len(raw)
        blank = _blank_rows(raw)
        if blank.any():
            raw, line = raw.loc[~blank].reset_index(drop=True), line[~blank]
        if len(raw) == 0:
            continue
        chunk = EdgeTable(frame=pd.DataFrame(), kind=kind, source=str(path),
                          columns=dict(cols), line=line)
        if header.has_names:
            _refuse_repeated_header(chunk, raw, usecols)
        if int_ids:
            s, d = raw[cols["src"]], raw[cols["dst"]]
        else:
            s = _id_text(chunk, raw[cols["src"]], cols["src"])
            d = _id_text(chunk, raw[cols["dst"]], cols["dst"])
        codes = ids.codes(pd.concat([s, d], ignore_index=True))
        parts["src"].append(codes[: len(s)])
        parts["dst"].append(codes[len(s):])
        del s, d, codes
        if kind != "events":
            parts["time"].append(_int_column(chunk, raw[cols["time"]], cols["time"],
                                             "snapshot index"))
        parts["weight"].append(np.ones(len(raw)) if cols["weight"] is None else
                               _float_column(chunk, raw[cols["weight"]], cols["weight"]))
        if parse_times:
            parts["time"].append(_parse_times(chunk, raw[cols["time"]], cols["time"],
                                              time_state))
        lines.add(line)
    if raw_rows == 0:
        raise InputError(f"{path}: empty file (a header but no rows)")
    if len(lines) == 0:
        raise InputError(f"{path}: empty file (no rows)")
    out = {}
    for key in ("src", "dst", "weight", "time"):
        arrs = parts.pop(key)
        out[key] = np.concatenate(arrs) if arrs else None
        del arrs
    node_ids, src, dst = ids.finish(out["src"], out["dst"])
    log.debug("%s: %d %s rows, columns %s", path, len(src), kind, cols)
    return EdgeColumns(time=out["time"], src=src, dst=dst, ids=node_ids,
                       weight=out["weight"], kind=kind, source=str(path),
                       columns=dict(cols), line=lines,
                       numeric_times=time_state.get("numeric", True))


def columns_from_table(table: EdgeTable, cfg: DataConfig) -> EdgeColumns:
    """:class:`EdgeColumns` of an :class:`EdgeTable` already read (timestamps of events are
    parsed unless ``cfg.granularity`` is not a valid width: ingestion refuses that)."""
    from gcngan.data.events import is_auto, parse_timestamps

    frame = table.frame
    ids = _IdCodes()
    codes = ids.codes(pd.concat([frame["src"], frame["dst"]], ignore_index=True))
    node_ids, src, dst = ids.finish(codes[: len(frame)], codes[len(frame):])
    time = None
    if table.kind != "events":
        time = frame["time"].to_numpy(dtype=np.int64)
    elif is_auto(cfg.granularity) or _granularity_error(cfg) is None:
        time = parse_timestamps(frame["time"], table.where, str(table.columns["time"]))
    return EdgeColumns(time=time, src=src, dst=dst, ids=node_ids,
                       weight=frame["weight"].to_numpy(dtype=np.float64), kind=table.kind,
                       source=table.source, columns=dict(table.columns), line=table.line,
                       file=table.file, snapshots=table.snapshots,
                       numeric_times=table.kind != "events" or numeric_times(frame["time"]))


def _granularity_error(cfg: DataConfig) -> Optional[InputError]:
    from gcngan.data.events import parse_granularity

    try:
        parse_granularity(cfg.granularity)
    except InputError as exc:
        return exc
    return None
