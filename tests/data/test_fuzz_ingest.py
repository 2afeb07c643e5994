"""Property-based fuzzing of the ingestion layer (``load_snapshots`` and ``gcngan data``).

Each case draws a small dynamic network as logical rows ``(t, src, dst, weight)``, renders it
as a file with random surface features (header or not, separator, UTF-8 BOM, CRLF, Latin-1
node names, huge ids, unsorted rows, gaps in the snapshot indices, all-zero snapshots,
blank and comment lines, a single node or snapshot), and optionally corrupts it (bad
weight, missing or extra field, negative or fractional snapshot index, empty id, a
repeated or duplicated header, NaN/inf/float32-overflowing weights).

The contract: a clean file ingests to exactly what an independent reference rebuild (plain
Python dicts, below) says; a corrupted one raises :class:`InputError` — and through the CLI
exits 2 with one line on stderr. Never a traceback, never a silently wrong tensor.
"""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pathlib import Path

from gcngan.cli import main
from gcngan.config import DataConfig
from gcngan.data import load_snapshots
from gcngan.errors import InputError

FIXTURE = HealthCheck.function_scoped_fixture
F32_MAX = float(np.finfo(np.float32).max)
LATIN = ["café", "Zürich", "señor", "Ærø", "naïve", "façade"]


# ----- reference rebuild ----------------------------------------------------------------------
def reference(rows: list[tuple]) -> dict:
    """Expected node ids, (T, N, N) tensor and direction of clean logical rows.

    Ids are integers when every id is a 64-bit integer (sorted numerically), else their text
    (sorted as strings); duplicate ``(t, src, dst)`` rows add up; the data are undirected
    when every link is mirrored with the same weight.
    """
    ids = [r[1] for r in rows] + [r[2] for r in rows]
    if all(isinstance(i, int) and -2**63 <= i < 2**63 for i in ids):
        node_ids = sorted(set(ids))
    else:
        node_ids = sorted({str(i) for i in ids})
    pos = {str(n): k for k, n in enumerate(node_ids)}
    T, N = max(r[0] for r in rows) + 1, len(node_ids)
    acc: dict = {}
    for t, s, d, w in rows:
        key = (t, pos[str(s)], pos[str(d)])
        acc[key] = acc.get(key, 0.0) + w
    adj = torch.zeros(T, N, N, dtype=torch.float32)
    for (t, i, j), w in acc.items():
        adj[t, i, j] = w
    directed = not torch.equal(adj, adj.transpose(1, 2))
    return {"node_ids": node_ids, "adj": adj, "directed": directed}


# ----- strategies -------------------------------------------------------------------------
@dataclass
class Case:
    rows: list                      # logical rows (t, src, dst, weight)
    header: bool
    sep: str
    bom: bool
    crlf: bool
    latin1: bool                    # encode the file as Latin-1 (non-ASCII ids)
    leading: list = field(default_factory=list)    # comment/blank lines before the header
    extras: list = field(default_factory=list)     # (position, blank line) among the rows
    corruption: str | None = None


def _id_pool(kind: str) -> st.SearchStrategy:
    if kind == "int":
        return st.integers(0, 12)
    if kind == "huge":
        return st.sampled_from([0, 1, 7, 2**53 + 1, 2**62, 2**63 - 1, 10**20, 2**64 + 5,
                                -(2**63)])
    if kind == "latin":
        return st.sampled_from(LATIN + ["a", "b"])
    return st.sampled_from(["a", "b", "c", "n1", "n10", "n2", "x y", "Z"])


@st.composite
def cases(draw) -> Case:
    kind = draw(st.sampled_from(["int", "int", "huge", "str", "latin"]))
    ids = _id_pool(kind)
    single_node = draw(st.booleans()) and draw(st.booleans())
    if single_node:
        node = draw(ids)
        ids = st.just(node)
    max_t = draw(st.sampled_from([0, 1, 3, 8]))                     # 0: a single snapshot
    weights = st.one_of(st.integers(0, 50).map(float),
                        st.floats(0.0, 1e6, allow_nan=False, width=32).map(float))
    row = st.tuples(st.integers(0, max_t), ids, ids, weights)
    rows = draw(st.lists(row, min_size=1, max_size=25))
    if draw(st.booleans()):                                      # mirror every link
        rows = rows + [(t, d, s, w) for t, s, d, w in rows if s != d]
    if draw(st.booleans()):
        rows = sorted(rows, key=lambda r: r[0])
    else:
        rows = draw(st.permutations(rows))
    sep = draw(st.sampled_from([",", "\t", ";", " "]))
    if sep == " " and kind == "str":
        sep = ","                                                # 'x y' would split
    leading = draw(st.lists(st.sampled_from(["", "# exported by a tool", "% comment"]),
                            max_size=2))
    extras = draw(st.lists(st.tuples(st.integers(0, len(rows)), st.sampled_from(["", "  "])),
                           max_size=2))
    corruption = draw(st.sampled_from(
        [None] * 6 + ["weight-text", "weight-empty", "missing-field", "extra-field",
                      "negative-t", "fractional-t", "empty-id", "repeated-header",
                      "duplicate-header", "nan-weight", "inf-weight", "f32-overflow"]))
    header = draw(st.booleans()) or corruption in ("repeated-header", "duplicate-header",
                                                   "empty-id") or kind != "int"
    if corruption == "empty-id" and sep == " ":
        sep = ","
    if corruption == "extra-field" and len(rows) == 1:
        header = True               # a lone 5-field row without a header is a 5-column file
    return Case(rows=list(rows), header=header, sep=sep, bom=draw(st.booleans()),
                crlf=draw(st.booleans()), latin1=(kind == "latin" and draw(st.booleans())),
                leading=leading, extras=extras, corruption=corruption)


def _fmt_w(w: float) -> str:
    return repr(float(w)) if not float(w).is_integer() else str(int(w))


def render(case: Case) -> bytes:
    """The file's bytes for ``case`` (with its corruption applied)."""
    sep = case.sep
    names = ["t", "src", "dst", "weight"]
    if case.corruption == "duplicate-header":
        names = ["t", "src", "dst", "weight", "weight"]
    lines = [[str(t), str(s), str(d), _fmt_w(w)] for t, s, d, w in case.rows]
    if case.corruption == "duplicate-header":
        lines = [ln + [ln[3]] for ln in lines]
    bad = len(lines) // 2                                        # the corrupted row
    c = case.corruption
    if c == "weight-text":
        lines[bad][3] = "heavy"
    elif c == "weight-empty":
        lines[bad][3] = ""
    elif c == "missing-field":
        lines[bad] = lines[bad][:3]
    elif c == "extra-field":
        lines[bad] = lines[bad] + ["9"]
    elif c == "negative-t":
        lines[bad][0] = "-1"
    elif c == "fractional-t":
        lines[bad][0] = "1.5"
    elif c == "empty-id":
        lines[bad][1] = ""
    elif c == "nan-weight":
        lines[bad][3] = "nan"
    elif c == "inf-weight":
        lines[bad][3] = "inf"
    elif c == "f32-overflow":
        lines[bad][3] = "1e39"
    text_lines = [sep.join(ln) for ln in lines]
    if c == "repeated-header":
        text_lines.insert(bad, sep.join(names))
    for at, extra in sorted(case.extras, reverse=True):
        text_lines.insert(min(at, len(text_lines)), extra)
    if case.header:
        text_lines.insert(0, sep.join(names))
    text_lines = list(case.leading) + text_lines
    eol = "\r\n" if case.crlf else "\n"
    text = eol.join(text_lines) + eol
    data = text.encode("latin-1" if case.latin1 else "utf-8")
    return (b"\xef\xbb\xbf" if case.bom and not case.latin1 else b"") + data


# ----- the property -------------------------------------------------------------------------
def _cli_one_line_exit_2(path, capsys) -> None:
    capsys.readouterr()
    rc = main(["data", "inspect", str(path), "--json"])
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert err.startswith("gcngan: error:") and len(err.splitlines()) == 1, err
    assert "Traceback" not in err


@settings(max_examples=300, deadline=None, suppress_health_check=[FIXTURE])
@given(case=cases(), detect=st.booleans())
def test_fuzzed_files_ingest_exactly_or_fail_with_one_line(tmp_path, capsys, case, detect):
    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "fuzz.csv"
    path.write_bytes(render(case))
    cfg = DataConfig() if detect else DataConfig(format="snapshots")
    if case.corruption is not None:
        with pytest.raises(InputError) as info:
            load_snapshots(path, cfg)
        msg = str(info.value)
        assert "\n" not in msg and str(path) in msg, msg
        _cli_one_line_exit_2(path, capsys)
        return
    seq = load_snapshots(path, cfg)
    ref = reference(case.rows)
    assert seq.node_ids == ref["node_ids"]
    assert seq.directed == ref["directed"]
    torch.testing.assert_close(seq.adj, ref["adj"], rtol=1e-6, atol=0.0)
    assert bool(torch.isfinite(seq.adj).all()) and float(seq.adj.min()) >= 0.0
    assert seq.scaler.denom > 0 and math.isfinite(seq.scaler.denom)


# ----- per-snapshot file archives -------------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[FIXTURE])
@given(snaps=st.dictionaries(st.integers(0, 6), st.lists(
           st.tuples(st.sampled_from(["1", "2", "3", "café", "b"]),
                     st.sampled_from(["1", "2", "3", "café", "b"]),
                     st.integers(0, 9)), max_size=5), min_size=1, max_size=4),
       latin1=st.booleans(), crlf=st.booleans(), corrupt=st.sampled_from([None, None, "w"]))
def test_fuzzed_edge_file_directories(tmp_path, capsys, snaps, latin1, crlf, corrupt):
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    rows = []
    for t, edges in snaps.items():
        eol = "\r\n" if crlf else "\n"
        lines = [f"{s} {d} {w}" for s, d, w in edges]
        if corrupt and lines:
            lines[0] = lines[0].rsplit(" ", 1)[0] + " x"
        data = (eol.join(lines) + eol).encode("latin-1" if latin1 else "utf-8")
        (root / f"edge_list_{t}.txt").write_bytes(data)
        rows += [(t, s, d, float(w)) for s, d, w in edges]
    cfg = DataConfig(format="files")
    bad = corrupt and any(snaps.values())
    if not rows or bad:
        with pytest.raises(InputError):
            load_snapshots(root, cfg)
        _cli_one_line_exit_2(root, capsys)
        return
    seq = load_snapshots(root, cfg)
    if all(s.isdigit() and d.isdigit() for _, s, d, _ in rows):
        rows = [(t, int(s), int(d), w) for t, s, d, w in rows]
    ref = reference(rows)
    assert seq.node_ids == ref["node_ids"]
    # the archive has one snapshot per file index up to the largest (empty files count)
    assert seq.num_snapshots == max(snaps) + 1
    k = ref["adj"].shape[0]
    torch.testing.assert_close(seq.adj[:k], ref["adj"])
    assert not seq.adj[k:].any()


# ----- event streams ------------------------------------------------------------------------
@settings(max_examples=80, deadline=None, suppress_health_check=[FIXTURE])
@given(events=st.lists(st.tuples(st.integers(1_600_000_000, 1_600_200_000),
                                 st.sampled_from(["u1", "u2", "u3", "u4"]),
                                 st.sampled_from(["u1", "u2", "u3", "u4"]),
                                 st.integers(1, 5)), min_size=1, max_size=30),
       width=st.sampled_from([("3600", 3600), ("1h", 3600), ("1d", 86400), ("7200", 7200)]),
       iso=st.booleans(), corrupt=st.sampled_from([None, None, None, "ts"]))
def test_fuzzed_event_streams(tmp_path, capsys, events, width, iso, corrupt):
    import pandas as pd

    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "events.csv"
    stamp = (lambda ts: pd.Timestamp(ts, unit="s", tz="UTC").isoformat()) if iso else str
    lines = [f"{stamp(ts)},{s},{d},{w}" for ts, s, d, w in events]
    if corrupt:
        lines[len(lines) // 2] = "yesterday," + lines[len(lines) // 2].split(",", 1)[1]
    path.write_text("timestamp,src,dst,weight\n" + "\n".join(lines) + "\n", encoding="utf-8")
    cfg = DataConfig(granularity=width[0])
    if corrupt:
        with pytest.raises(InputError, match="unparseable timestamp"):
            load_snapshots(path, cfg)
        return
    seq = load_snapshots(path, cfg)
    t0 = min(ts for ts, *_ in events)
    ref = reference([((ts - t0) // width[1], s, d, float(w)) for ts, s, d, w in events])
    assert seq.node_ids == ref["node_ids"]
    torch.testing.assert_close(seq.adj, ref["adj"])
    assert seq.times[0] == t0 and all(b - a == width[1] for a, b in zip(seq.times, seq.times[1:]))
