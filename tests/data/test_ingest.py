"""load_snapshots: aggregation, node ids, direction, clipping/scaling, events, real datasets."""
from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gcngan.config import DataConfig
from gcngan.data import load_snapshots
from gcngan.data.edgelist import write_edges
from gcngan.data.events import bucket, granularity_label, parse_granularity
from gcngan.errors import InputError


def test_tiny_undirected(tiny_csv):
    seq = load_snapshots(tiny_csv)
    assert (seq.num_nodes, seq.num_snapshots, seq.num_rows) == (4, 3, 8)
    assert not seq.directed
    assert seq.adj.dtype == torch.float32
    assert float(seq.adj[0, 0, 1]) == 2.5 and float(seq.adj[2, 3, 1]) == 8
    assert seq.scaler.denom == 8.0 and float(seq.scaled().max()) == 1.0


DUPS = "t,src,dst,weight\n0,a,b,1\n0,a,b,4\n0,a,b,2\n1,b,a,3\n"


@pytest.mark.parametrize("agg, expected", [
    ("sum", 7.0), ("mean", 7 / 3), ("max", 4.0), ("count", 3.0), ("last", 2.0)])
def test_duplicates_aggregated(write, agg, expected):
    seq = load_snapshots(write("d.csv", DUPS), DataConfig(agg=agg))
    assert seq.node_ids == ["a", "b"]
    assert float(seq.adj[0, 0, 1]) == pytest.approx(expected)
    assert float(seq.adj[1, 1, 0]) == (1.0 if agg == "count" else 3.0)


def test_direction_detection_and_overrides(write):
    asym = write("a.csv", "t,src,dst,weight\n0,0,1,2\n0,1,0,5\n")
    assert load_snapshots(asym).directed
    sym = load_snapshots(asym, DataConfig(directed=False))
    assert not sym.directed and torch.equal(sym.adj[0], torch.tensor([[0.0, 5.0], [5.0, 0.0]]))
    mirrored = write("m.csv", "t,src,dst,weight\n0,0,1,2\n0,1,0,2\n")
    assert not load_snapshots(mirrored).directed
    assert load_snapshots(mirrored, DataConfig(directed=True)).directed


def test_self_loops_keep_and_drop(write):
    path = write("s.csv", "t,src,dst,weight\n0,0,0,9\n0,0,1,2\n0,1,0,2\n")
    assert float(load_snapshots(path).adj[0, 0, 0]) == 9
    assert float(load_snapshots(path, DataConfig(self_loops="drop")).adj[0, 0, 0]) == 0


def test_nodes_and_snapshots_pad(write):
    path = write("p.csv", "t,src,dst,weight\n0,1,2,1\n1,2,1,1\n")
    seq = load_snapshots(path, DataConfig(nodes=5, snapshots=4))
    assert tuple(seq.adj.shape) == (4, 5, 5) and seq.node_ids == [0, 1, 2, 3, 4]
    assert float(seq.adj[0, 1, 2]) == 1 and float(seq.adj[3].sum()) == 0
    with pytest.raises(InputError, match=r"p\.csv:3: snapshot 1 is beyond --snapshots 1"):
        load_snapshots(path, DataConfig(snapshots=1))
    with pytest.raises(InputError, match="--nodes 1 but the data has 2 distinct node ids"):
        load_snapshots(path, DataConfig(nodes=1))
    # integer ids outside 0..N-1 but exactly N of them: mapped in numeric order
    assert load_snapshots(path, DataConfig(nodes=2)).node_ids == [1, 2]


def test_top_k_keeps_most_active(write):
    rows = ["t,src,dst,weight"] + [f"0,hub,n{i},1" for i in range(5)] + ["0,n0,n1,1", "0,x,y,1"]
    seq = load_snapshots(write("k.csv", "\n".join(rows) + "\n"), DataConfig(top_k=3))
    assert seq.node_ids == ["hub", "n0", "n1"]
    assert float(seq.adj.sum()) == 3.0
    with pytest.raises(InputError, match="cannot be combined"):
        load_snapshots(write("k2.csv", "t,src,dst\n0,1,2\n"), DataConfig(top_k=3, nodes=3))


# hubs a, b (top 2) link in snapshots 0-1 only; snapshot 3 holds other nodes' rows only
TAIL = "t,src,dst,weight\n0,a,b,1\n1,b,a,2\n1,a,c,1\n0,b,d,1\n3,c,d,5\n3,d,c,5\n"


def test_time_axis_comes_from_all_rows_before_filtering(write):
    path = write("tail.csv", TAIL)
    full = load_snapshots(path)
    assert full.num_snapshots == 4 and full.num_rows == 6
    seq = load_snapshots(path, DataConfig(top_k=2))
    assert seq.node_ids == ["a", "b"] and seq.num_snapshots == 4       # was 2
    assert float(seq.adj[0, 0, 1]) == 1 and float(seq.adj[1, 1, 0]) == 2
    assert not seq.adj[2:].any() and seq.num_rows == 2                 # rows kept
    assert seq.summary()["empty_snapshots"] == 2
    # dropping rows by weight or self-loop does not shorten the time axis either
    loops = write("loops.csv", "t,src,dst,weight\n0,a,b,1\n2,a,a,1\n")
    assert load_snapshots(loops, DataConfig(self_loops="drop")).num_snapshots == 3
    neg = write("neg.csv", "t,src,dst,weight\n0,a,b,1\n2,b,a,-1\n")
    assert load_snapshots(neg, DataConfig(negative="drop")).num_snapshots == 3
    # --snapshots still pads, and still refuses rows beyond it (kept or not)
    assert load_snapshots(path, DataConfig(top_k=2, snapshots=6)).num_snapshots == 6
    with pytest.raises(InputError, match=r"tail\.csv:6: snapshot 3 is beyond --snapshots 2"):
        load_snapshots(path, DataConfig(top_k=2, snapshots=2))


def test_event_buckets_come_from_all_events_before_top_k(write):
    # the first and last events involve only nodes that --top-k 2 drops
    path = write("ev.csv", "timestamp,src,dst\n1000,x,y\n4600,a,b\n4700,b,a\n"
                           "8300,a,b\n15000,y,z\n")
    seq = load_snapshots(path, DataConfig(granularity="1h", top_k=2))
    assert seq.node_ids == ["a", "b"] and seq.num_snapshots == 4
    assert seq.times == [1000, 4600, 8200, 11800]
    assert float(seq.adj[1, 0, 1]) == 1 and float(seq.adj[2, 0, 1]) == 1
    assert not seq.adj[0].any() and not seq.adj[3].any()


def test_top_k_below_two_refused(write):
    path = write("k.csv", "t,src,dst,weight\n0,a,b,1\n0,a,a,1\n")
    with pytest.raises(InputError, match=r"k\.csv: --top-k 1: must be >= 2 \(a link needs two "
                                         r"nodes\)"):
        load_snapshots(path, DataConfig(top_k=1))


def test_empty_after_filtering_names_the_cause(write):
    # two stars: --top-k 2 keeps both hubs, which never link to each other
    rows = [f"0,a,a{i}" for i in range(3)] + [f"1,b,b{i}" for i in range(3)]
    path = write("stars.csv", "t,src,dst\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError) as err:
        load_snapshots(path, DataConfig(top_k=2))
    assert str(err.value) == (f"{path}: no edges left after filtering: --top-k 2 keeps 2 "
                              f"node(s) with no link between them")
    loops = write("loops.csv", "t,src,dst\n0,a,a\n")
    with pytest.raises(InputError, match=r"no edges left after filtering \(self-loops=drop, "
                                         r"negative=shift\)"):
        load_snapshots(loops, DataConfig(self_loops="drop", top_k=2))
    neg = write("neg.csv", "t,src,dst,weight\n0,a,b,-1\n")
    with pytest.raises(InputError, match=r"\(self-loops=keep, negative=drop\)"):
        load_snapshots(neg, DataConfig(negative="drop"))


def test_clip_and_scale(write):
    path = write("c.csv", "t,src,dst,weight\n0,0,1,10\n0,1,0,3000\n")
    seq = load_snapshots(path, DataConfig(max_threshold=2000))
    assert float(seq.adj.max()) == 2000 and seq.scaler.denom == 2000
    assert float(seq.scaled()[0, 0, 1]) == pytest.approx(10 / 2000)
    log = load_snapshots(path, DataConfig(scale="log1p"))
    assert log.scaler.denom == 3000
    assert torch.allclose(log.scaler.inverse(log.scaled()), log.adj, rtol=1e-5)


@pytest.mark.parametrize("policy, expected", [
    ("abs", [3.0, 2.0]), ("drop", [0.0, 2.0]), ("shift", [1.0, 6.0])])
def test_negative_policies(write, policy, expected):
    path = write("n.csv", "t,src,dst,weight\n0,0,1,-3\n0,1,0,2\n")
    seq = load_snapshots(path, DataConfig(negative=policy))
    assert [float(seq.adj[0, 0, 1]), float(seq.adj[0, 1, 0])] == expected


def test_negative_weights_shifted_by_default_refused_on_request(write, caplog):
    """A signed edge list (trust ratings) loads without flags: every weight moves up by one
    logged offset; --negative error refuses it with the file, line and value."""
    path = write("n.csv", "t,src,dst,weight\n0,0,1,2\n0,1,0,-3.5\n")
    with caplog.at_level("WARNING", logger="gcngan"):
        seq = load_snapshots(path)
    assert [float(seq.adj[0, 0, 1]), float(seq.adj[0, 1, 0])] == \
        pytest.approx([2 + 3.5 + 0.0055, 0.0055])
    assert "shifted every weight" in caplog.text
    with pytest.raises(InputError, match=r"n\.csv:3: column 'weight': negative weight -3\.5 "
                                         r"\(choose --negative shift\|abs\|drop\)"):
        load_snapshots(path, DataConfig(negative="error"))


# ----------------------------------------------------------------------------- events
@pytest.mark.parametrize("text, seconds", [
    ("3600", 3600.0), ("1h", 3600.0), ("7d", 604800.0), ("30min", 1800.0), ("1.5h", 5400.0),
    ("2w", 1209600.0), ("90s", 90.0)])
def test_parse_granularity(text, seconds):
    assert parse_granularity(text) == seconds


@pytest.mark.parametrize("text", ["0", "-1h", "1y", "h", "", "1 fortnight"])
def test_parse_granularity_rejects(text):
    with pytest.raises(InputError, match="--granularity"):
        parse_granularity(text)


def test_bucket():
    idx, t0 = bucket(np.array([10.0, 3609.0, 3610.0, 7300.0]), 3600.0)
    assert idx.tolist() == [0, 0, 1, 2] and t0 == 10.0


def test_events_unix_and_iso_agree(write):
    unix = write("u.csv", "timestamp,src,dst,weight\n0,a,b,1\n100,a,b,2\n86400,b,a,5\n")
    iso = write("i.csv", "timestamp,src,dst,weight\n1970-01-01T00:00:00Z,a,b,1\n"
                         "1970-01-01 00:01:40,a,b,2\n1970-01-02T00:00:00+00:00,b,a,5\n")
    for path in (unix, iso):
        seq = load_snapshots(path, DataConfig(granularity="1d", agg="sum"))
        assert seq.num_snapshots == 2 and seq.directed
        assert float(seq.adj[0, 0, 1]) == 3 and float(seq.adj[1, 1, 0]) == 5
        assert seq.times == [0, 86400]
    seq = load_snapshots(unix, DataConfig(granularity="1d", agg="count"))
    assert float(seq.adj[0, 0, 1]) == 2


def test_event_errors(write):
    path = write("e.csv", "timestamp,src,dst\n2004-01-01,a,b\nsoon,b,a\n")
    with pytest.raises(InputError, match=r"e\.csv:3: .*unparseable timestamp 'soon'"):
        load_snapshots(path)                                   # auto granularity: parsed too
    with pytest.raises(InputError, match=r"e\.csv:3: column 'timestamp': unparseable timestamp "
                                         r"'soon'"):
        load_snapshots(path, DataConfig(granularity="1d"))
    num = write("n.csv", "timestamp,src,dst\n1000,a,b\n10x0,b,a\n2000,a,b\n")
    with pytest.raises(InputError, match=r"n\.csv:3: .*unparseable timestamp '10x0'"):
        load_snapshots(num, DataConfig(granularity="1d"))
    snap = write("s.csv", "t,src,dst\n0,a,b\n")
    with pytest.raises(InputError, match="applies to event streams"):
        load_snapshots(snap, DataConfig(granularity="1d"))
    # --format events forces bucketing of a snapshot-index column
    seq = load_snapshots(write("s2.csv", "t,src,dst\n0,a,b\n5,a,b\n"),
                         DataConfig(format="events", granularity="2"))
    assert seq.num_snapshots == 3


def test_too_large_for_dense(write):
    rows = "\n".join(f"{i},{i},{i + 1}" for i in range(0, 3000, 3))
    path = write("big.csv", "timestamp,src,dst\n" + rows + "\n")
    seq = load_snapshots(path, DataConfig(granularity="1"))     # sparse: ingests fine
    assert (seq.num_snapshots, seq.num_nodes, seq.num_edges) == (2998, 2000, 1000)
    assert not seq.fits_dense and seq.summary()["num_nonzero"] == 1000
    with pytest.raises(InputError, match=r"too large for dense snapshots \(.*\); .*--top-k"):
        seq.adj                                                  # the dense view is refused


def test_too_large_hint_names_the_largest_top_k_that_fits(write):
    rows = "\n".join(f"{i},{i},{i + 1}" for i in range(0, 3000, 3))
    path = write("big.csv", "timestamp,src,dst\n" + rows + "\n")
    with pytest.raises(InputError) as err:
        load_snapshots(path, DataConfig(granularity="1", top_k=400)).adj
    msg = str(err.value)             # 2998 snapshots: 299^2 * 2998 <= 2^28 < 300^2 * 2998
    assert "2998 snapshots x 400 x 400 nodes is too large" in msg
    assert msg.endswith("keep the 299 most active nodes with --top-k 299 or use a coarser "
                        "--granularity")
    assert load_snapshots(path, DataConfig(granularity="1", top_k=299)).num_nodes <= 299
    # snapshot indices: no granularity to change
    rows = "\n".join(f"0,{i},{i + 1}" for i in range(60)) + "\n99999,0,1"
    path = write("long.csv", "t,src,dst\n" + rows + "\n")
    with pytest.raises(InputError, match=r"100000 snapshots x 60 x 60 nodes is too large for "
                                         r"dense snapshots \(at most 268,435,456 entries\); "
                                         r"keep the 51 most active nodes with --top-k 51$"):
        load_snapshots(path, DataConfig(top_k=60)).scaled()


# ----------------------------------------------------------------------------- properties
FIXTURE = HealthCheck.function_scoped_fixture
edges = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 6), st.integers(0, 6),
                           st.integers(1, 50)), min_size=1, max_size=40)


@settings(max_examples=30, deadline=None, suppress_health_check=[FIXTURE])
@given(rows=edges, agg=st.sampled_from(["sum", "max", "count", "last"]))
def test_dense_matches_reference(tmp_path, rows, agg):
    frame = pd.DataFrame(rows, columns=["t", "src", "dst", "weight"])
    path = tmp_path / "h.csv"
    frame.to_csv(path, index=False)
    seq = load_snapshots(path, DataConfig(agg=agg))
    ids = sorted(set(frame.src) | set(frame.dst))
    assert seq.node_ids == ids
    pos = {n: i for i, n in enumerate(ids)}
    ref = np.zeros((frame.t.max() + 1, len(ids), len(ids)), dtype=np.float64)
    for (t, s, d), g in frame.groupby(["t", "src", "dst"], sort=False):
        w = g.weight.to_numpy()
        ref[t, pos[s], pos[d]] = {"sum": w.sum(), "max": w.max(), "count": len(w),
                                  "last": w[-1]}[agg]
    assert np.array_equal(seq.adj.numpy(), ref.astype(np.float32))
    assert seq.directed == (not np.array_equal(ref, ref.transpose(0, 2, 1)))


@settings(max_examples=20, deadline=None, suppress_health_check=[FIXTURE])
@given(data=st.data())
def test_write_then_load_round_trip(tmp_path, data):
    t = data.draw(st.integers(1, 6))
    n = data.draw(st.integers(2, 6))
    vals = data.draw(st.lists(st.floats(2.0 ** -10, 2.0 ** 14, width=32), min_size=t * n * n,
                              max_size=t * n * n))
    mask = data.draw(st.lists(st.booleans(), min_size=t * n * n, max_size=t * n * n))
    adj = torch.tensor(vals).view(t, n, n) * torch.tensor(mask, dtype=torch.float32).view(t, n, n)
    adj[-1, 0, 1] = 1.0                                         # fix T and N
    adj[0, n - 1, 0] = 1.0
    write_edges(tmp_path / "r.csv", adj)
    seq = load_snapshots(tmp_path / "r.csv", DataConfig(nodes=n, snapshots=t))
    assert torch.equal(seq.adj, adj)


# ----------------------------------------------------------------------------- real data
def _reference(path) -> np.ndarray:
    frame = pd.read_csv(path)
    ref = np.zeros((frame.t.max() + 1, frame[["src", "dst"]].max().max() + 1,
                    frame[["src", "dst"]].max().max() + 1), dtype=np.float32)
    ref[frame.t, frame.src, frame.dst] = frame.weight
    return ref


def test_mesh1_exact_and_fast(shared_file):
    path = shared_file("mesh1/mesh1.csv")
    start = time.perf_counter()
    seq = load_snapshots(path, DataConfig())
    elapsed = time.perf_counter() - start
    assert (seq.num_nodes, seq.num_snapshots, seq.directed) == (38, 445, False)
    assert seq.num_rows == 122_684
    assert np.array_equal(seq.adj.numpy(), _reference(path))
    assert elapsed < 2.0


def test_ucsb_zip_equals_converted_csv(shared_file):
    zpath = shared_file("raw/gcngan_ucsb_data.zip")
    seq = load_snapshots(zpath)
    assert (seq.num_nodes, seq.num_snapshots, seq.directed) == (38, 1005, True)
    assert seq.num_rows == 352_965
    assert np.array_equal(seq.adj.numpy(), _reference(shared_file(
        "ucsb_meshnet_1005/ucsb_meshnet_1005.csv")))
    capped = load_snapshots(zpath, DataConfig(max_threshold=2000))
    assert float(capped.adj.max()) == 2000 and capped.scaler.denom == 2000


@pytest.mark.parametrize("name", ["enron184", "twitter_tennis_rg17", "contact_haggle_elstmd"])
def test_other_snapshot_datasets_exact(shared_file, name):
    import json

    path = shared_file(f"{name}/{name}.csv")
    meta = json.loads(shared_file(f"{name}/{name}.json").read_text())
    n, t = meta["num_nodes"], meta["num_snapshots"]
    seq = load_snapshots(path, DataConfig(nodes=n, snapshots=t))
    frame = pd.read_csv(path)
    ref = np.zeros((t, n, n), dtype=np.float32)
    ref[frame.t, frame.src, frame.dst] = frame.weight
    assert np.array_equal(seq.adj.numpy(), ref)
    assert seq.directed == (not meta.get("symmetric", not meta["directed"]))


def test_collegemsg_weekly(shared_file):
    path = shared_file("collegemsg/collegemsg_events.csv")
    seq = load_snapshots(path, DataConfig(granularity="7d", top_k=200))
    frame = pd.read_csv(path)
    week = (frame.timestamp - frame.timestamp.min()) // (7 * 86400)
    assert seq.num_snapshots == int(week.max()) + 1 == 28
    assert seq.times[1] - seq.times[0] == 7 * 86400 and seq.directed
    keep = frame.src.isin(seq.node_ids) & frame.dst.isin(seq.node_ids)
    pos = {v: i for i, v in enumerate(seq.node_ids)}
    ref = np.zeros(tuple(seq.adj.shape), dtype=np.float32)
    g = frame[keep].assign(week=week[keep]).groupby(["week", "src", "dst"]).weight.sum()
    ref[g.index.get_level_values(0), g.index.get_level_values(1).map(pos),
        g.index.get_level_values(2).map(pos)] = g.to_numpy()
    assert np.array_equal(seq.adj.numpy(), ref)


@pytest.mark.parametrize("rel, cfg, expected", [
    ("contact_haggle_elstmd/contact_haggle_elstmd.csv", {}, 583),
    ("bitcoin_alpha/bitcoin_alpha_events.csv", {"granularity": "7d", "negative": "shift"}, 272),
    ("bitcoin_alpha/bitcoin_alpha_events.csv", {"granularity": "30d", "negative": "shift"}, 64),
])
def test_top_k_keeps_every_snapshot_of_real_data(shared_file, rel, cfg, expected):
    seq = load_snapshots(shared_file(rel), DataConfig(top_k=60, **cfg))
    assert seq.num_nodes == 60 and seq.num_snapshots == expected


def test_bitcoin_signed_ratings_load_shifted_by_default(shared_file):
    path = shared_file("bitcoin_alpha/bitcoin_alpha_events.csv")
    with pytest.raises(InputError, match="negative weight"):
        load_snapshots(path, DataConfig(granularity="30d", top_k=100, negative="error"))
    seq = load_snapshots(path, DataConfig(granularity="30d", top_k=100, agg="mean"))
    assert seq.num_nodes == 100 and float(seq.adj.min()) >= 0


cell = st.one_of(st.integers(-3, 20).map(str), st.sampled_from(
    ["", "nan", "inf", "x", "1.5", "1e400", "2004-01-01", " 7", "-0", "a b", '"q"', "#",
     "1e300", "\u00e9"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[FIXTURE])
@given(header=st.sampled_from(["t,src,dst,weight", "timestamp,src,dst,weight", "t,src,dst",
                               "a,b,c", ""]),
       rows=st.lists(st.lists(cell, min_size=2, max_size=5), max_size=6),
       granularity=st.sampled_from([None, "1h"]))
def test_malformed_text_raises_input_error_only(tmp_path, header, rows, granularity):
    """Whatever the text, ingestion returns a sequence or raises InputError (one line)."""
    path = tmp_path / "fuzz.csv"
    path.write_text("\n".join([header] + [",".join(r) for r in rows]) + "\n")
    try:
        seq = load_snapshots(path, DataConfig(granularity=granularity))
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert seq.adj.dim() == 3 and bool(torch.isfinite(seq.adj).all())
        assert float(seq.adj.min()) >= 0


@pytest.mark.parametrize("agg", ["sum", "mean", "max"])
def test_shift_after_combining_duplicates_is_undone_by_one_offset(write, agg):
    path = write("d.csv", "t,src,dst,weight\n0,0,1,-3\n0,0,1,-2\n0,1,0,2\n1,0,1,4\n")
    seq = load_snapshots(path, DataConfig(negative="shift", agg=agg))
    combined = {"sum": -5.0, "mean": -2.5, "max": -2.0}[agg]
    assert float(seq.adj[0, 0, 1]) - seq.weight_offset == pytest.approx(combined)
    assert float(seq.adj[1, 0, 1]) - seq.weight_offset == pytest.approx(4.0)
    assert float(seq.adj[0, 1, 0]) - seq.weight_offset == pytest.approx(2.0)
    assert float(seq.adj.min()) == 0 and float(seq.adj[seq.adj > 0].min()) > 0
    assert load_snapshots(path, DataConfig(negative="abs")).weight_offset == 0.0


def test_user_item_ids_are_two_id_spaces(write):
    """A ``user_id -> item_id`` stream (JODIE's raw files count users and items each from
    0) reads its sides apart: user 5 and item 5 are two nodes, the sources first
    (``num_sources``), each side in id order; every link goes from the first block to the
    second, and is directed."""
    path = write("u.csv", "user_id,item_id,timestamp\n0,0,10\n1,0,20\n0,1,30\n2,2,30\n")
    seq = load_snapshots(path, DataConfig(granularity="10"))
    assert (seq.node_ids, seq.num_sources, seq.directed) == ([0, 1, 2, 0, 1, 2], 3, True)
    assert seq.id_space("src") == ([0, 1, 2], 0) and seq.id_space("dst") == ([0, 1, 2], 3)
    links = {(int(t), int(a), int(b)) for t in range(seq.num_snapshots)
             for a, b, _ in zip(*seq.edges(t))}
    assert links == {(0, 0, 3), (1, 1, 3), (2, 0, 4), (2, 2, 5)}      # 2 -> 2 is no self-loop
    dropped = load_snapshots(path, DataConfig(granularity="10", self_loops="drop"))
    assert dropped.fingerprint == seq.fingerprint
    assert load_snapshots(path, DataConfig(granularity="10", bipartite=True)).fingerprint == \
        seq.fingerprint
    one = load_snapshots(path, DataConfig(granularity="10", bipartite=False))
    assert (one.node_ids, one.num_sources) == ([0, 1, 2], None) and one.fingerprint != \
        seq.fingerprint
    assert one.id_space("dst") == ([0, 1, 2], 0)


def test_two_id_spaces_on_any_columns_and_with_top_k(write):
    """``bipartite=True`` counts the sides apart whatever the column names; ``--top-k``
    keeps the most active nodes of both sides, the sources still first."""
    path = write("e.csv", "timestamp,src,dst\n10,a,x\n20,a,y\n30,b,x\n30,c,a\n40,a,x\n")
    seq = load_snapshots(path, DataConfig(granularity="10", bipartite=True))
    assert (seq.node_ids, seq.num_sources) == (["a", "b", "c", "a", "x", "y"], 3)
    assert load_snapshots(path, DataConfig(granularity="10")).num_sources is None
    top = load_snapshots(path, DataConfig(granularity="10", bipartite=True, top_k=3))
    assert (top.node_ids, top.num_sources) == (["a", "b", "x"], 2)     # a:3 x:3 b:1 c:1 a':1
    assert {(int(a), int(b)) for t in range(top.num_snapshots)
            for a, b, _ in zip(*top.edges(t))} == {(0, 2), (1, 2)}


@pytest.mark.parametrize("cfg, message", [
    ({"nodes": 6}, "--nodes 6 needs one id space"),
    ({"directed": False}, "--undirected needs one id space"),
])
def test_two_id_spaces_refuse_what_needs_one(write, cfg, message):
    path = write("u.csv", "user_id,item_id,timestamp\n0,0,10\n1,0,20\n")
    with pytest.raises(InputError, match=message + r".*add --one-id-space"):
        load_snapshots(path, DataConfig(granularity="10", **cfg))


@pytest.mark.parametrize("header, rows, warned", [
    ("user_id,item_id,timestamp", "0,0,10\n1,0,20\n0,1,30\n", True),      # JODIE raw: shared
    ("user_id,item_id,timestamp", "1,8228,10\n2,8228,20\n1,8229,30\n", False),  # offset
    ("src,dst,timestamp", "0,1,10\n1,0,20\n0,1,30\n", False),            # one kind of node
])
def test_user_item_ids_read_as_one_space_are_warned_about(write, caplog, header, rows, warned):
    """Read as one id space (``--one-id-space``), a ``user_id -> item_id`` stream whose ids
    count from 0 on both sides makes user 5 and item 5 one node: ingestion says so."""
    path = write("u.csv", f"{header}\n{rows}")
    with caplog.at_level(logging.WARNING, logger="gcngan"):
        load_snapshots(path, DataConfig(granularity="10", bipartite=False))
    said = [r.getMessage() for r in caplog.records if "used as both" in r.getMessage()]
    assert said == ([f"{path}: 2 ids are used as both user_id and item_id: read as one id "
                     f"space, each is one node (without --one-id-space they are counted "
                     f"apart)"] if warned else [])


# ----------------------------------------------------------------------------- chunked reading
CHUNK_CASES = [
    ("t,src,dst,weight\n0,a,b,1\n\n0,b,c,2\n1,c,a,3\n0,a,b,4\n2,b,a,-1\n\n3,a,c,5\n",
     {"negative": "drop"}),
    ("t,src,dst,weight\n0,1,2,1\n0,2,1,1\n1,+2,3,2\n1,3,2,2\n2,007,1,9\n2,1,7,9\n", {}),
    ("t,src,dst,weight\n0,1,2,1\n0,2,1,1\n1,2,3,2\n1,x,2,2\n2,1,1,9\n2,1,7,9\n",
     {"self_loops": "drop", "directed": False}),
    ("timestamp,src,dst,weight\n2004-01-01T00:00:00,a,b,2\n2004-01-01T05:00:00,b,a,-3\n"
     "2004-01-03,a,c,1\n2004-01-03,a,c,7\n2004-01-09,c,b,2\n",
     {"granularity": "1d", "negative": "shift", "agg": "mean"}),
    ("timestamp,src,dst,weight\n100,1,2,2\n150,2,1,3\n7300,1,3,1\n7300,1,3,7\n9000,3,2,2\n",
     {"granularity": "1h", "agg": "last", "max_threshold": 5.0}),
    ("time,src,dst\n0,1,2\n1,2,3\n2,3,1\n0,1,2\n", {"agg": "count", "nodes": 5}),
    ("user_id,item_id,timestamp,state_label,comma_separated_list_of_features\n"
     "1,2,0.0,0,0.5,0.1\n2,3,3600.0,0\n3,1,7200.0,1,0.1,0.2,0.3\n", {"granularity": "1h"}),
]


@pytest.mark.parametrize("text, cfg", CHUNK_CASES)
def test_chunked_ingestion_equals_one_chunk(write, text, cfg):
    path = write("c.csv", text)
    whole = load_snapshots(path, DataConfig(**cfg))
    for rows in (1, 2, 3):
        part = load_snapshots(path, DataConfig(**cfg), chunk_rows=rows)
        assert part.node_ids == whole.node_ids and part.times == whole.times
        assert (part.directed, part.scaler, part.num_rows, part.weight_offset) == \
            (whole.directed, whole.scaler, whole.num_rows, whole.weight_offset)
        assert part.fingerprint == whole.fingerprint and torch.equal(part.adj, whole.adj)


def test_chunked_errors_name_the_line_in_a_later_chunk(write):
    text = "t,src,dst,weight\n0,a,b,1\n\n0,b,c,2\n1,c,a,oops\n"
    path = write("e.csv", text)
    for rows in (None, 1, 2):
        with pytest.raises(InputError, match=r"e\.csv:5: column 'weight': non-numeric weight "
                                             r"'oops'"):
            load_snapshots(path, chunk_rows=rows)
    neg = write("n.csv", "t,src,dst,weight\n0,a,b,1\n\n0,b,c,2\n1,c,a,-4\n")
    with pytest.raises(InputError, match=r"n\.csv:5: column 'weight': negative weight -4"):
        load_snapshots(neg, DataConfig(negative="error"), chunk_rows=1)
    mixed = write("m.csv", "timestamp,src,dst\n1000,a,b\n2000,b,a\n2004-01-01,a,b\n")
    with pytest.raises(InputError, match=r"m\.csv:4: .*mixes Unix seconds and datetimes"):
        load_snapshots(mixed, DataConfig(granularity="1d"), chunk_rows=2)


def test_ingestion_builds_no_dense_tensor(tiny_csv):
    seq = load_snapshots(tiny_csv)
    assert seq._dense is None and seq.num_edges == 8
    assert seq.summary()["num_nonzero"] == 8 and seq._dense is None


@pytest.mark.parametrize("days, label, width", [(31, "6h", 21600), (193, "2d", 172800),
                                                 (804, "7d", 604800), (1900, "14d", 1209600),
                                                 (0.5, "5min", 300)])
def test_event_stream_without_granularity_gets_about_100_snapshots(write, days, label, width):
    """No --granularity (or 'auto'): the round width whose snapshot count is closest to 100;
    the sequence keeps it and data inspect shows it."""
    span = int(days * 86400)
    rows = "".join(f"{1_600_000_000 + k * span // 9 + (k == 1)},{k % 3},{(k + 1) % 3}\n"
                   for k in range(10))                       # whole seconds, on no grid
    path = write("e.csv", "timestamp,src,dst\n" + rows)
    for granularity in (None, "auto"):
        seq = load_snapshots(path, DataConfig(granularity=granularity))
        assert seq.granularity == width
        assert seq.num_snapshots == span // width + 1
        assert seq.summary()["granularity"] == label
    assert load_snapshots(path, DataConfig(granularity="1d")).summary()["granularity"] == "1d"
    snap = write("s.csv", "t,src,dst\n0,a,b\n")
    assert load_snapshots(snap, DataConfig(granularity="auto")).summary()["granularity"] is None


@pytest.mark.parametrize("stamps, label, snapshots", [
    ([k * 86400 for k in range(20)], "1d", 20),               # once a day: never 6h
    ([k * 86400 for k in (0, 1, 2, 5, 9, 19)], "1d", 20),     # a daily grid with gaps
    ([k * 7 * 86400 for k in range(300)], "14d", 150),        # weekly: a round multiple
    ([k * 5 * 86400 for k in range(40)], "432000", 40),       # every 5 days: the step
    (list(range(20)), "1", 20),                                # 20 whole seconds
    ([k * 3600 + (k == 1) for k in range(48)], "30min", 95)])  # whole seconds on no grid
def test_automatic_width_follows_the_time_grid(write, stamps, label, snapshots):
    """A stream whose timestamps lie on a grid (data stamped once a day) is cut at whole
    multiples of the grid's step, so no snapshot is empty by construction; the width the
    run records reads back the same (``--granularity LABEL``)."""
    rows = "".join(f"{1_600_000_000 + s},{k % 3},{(k + 1) % 3}\n" for k, s in enumerate(stamps))
    path = write("g.csv", "timestamp,src,dst\n" + rows)
    seq = load_snapshots(path)
    assert seq.summary()["granularity"] == label and seq.num_snapshots == snapshots
    again = load_snapshots(path, DataConfig(granularity=label))
    assert again.granularity == seq.granularity and again.num_snapshots == snapshots


def test_granularity_labels_read_back():
    """Every width's label parses back to it: no ``1e+06`` in a run's config.json."""
    for width in (60.0, 86400.0, 432000.0, 1_000_000.0, 3.0e9, 0.5, 1.25):
        assert parse_granularity(granularity_label(width)) == width


@pytest.mark.parametrize("text,snapshots", [
    ("time,src,dst\n-1,a,b\n3,b,a\n", 5),        # negative: seconds -1 .. 3
    ("time,src,dst\n0.5,a,b\n3,b,a\n", 3),       # fractional: 2.5 s from the first event
    ("-1,a,b,1\n3,b,a,1\n", 5)])                  # no header
def test_small_negative_or_fractional_times_need_a_granularity(write, text, snapshots):
    """Neither a snapshot index nor surely a time (not named as a timestamp, no value above
    1,000,000 s): no automatic width; with --granularity the seconds are bucketed."""
    path = write("f.csv", text)
    with pytest.raises(InputError, match=r"f\.csv: column .* holds small negative or "
                                         r"fractional numbers.*give --granularity"):
        load_snapshots(path)
    assert load_snapshots(path, DataConfig(granularity="1")).num_snapshots == snapshots


@pytest.mark.parametrize("chunk_rows", [None, 700])
def test_sparse_small_integer_times_are_seconds(write, chunk_rows):
    """A headerless SNAP stream of ten days timed from its start (``src dst seconds``, all
    below 1,000,000) is an event stream, not 864,000 mostly empty snapshots: about 100
    snapshots of an automatic width; ``--format snapshots`` keeps them as indices."""
    rng = np.random.default_rng(0)
    secs = np.sort(rng.integers(0, 864_000, 3_000))
    secs[0], secs[-1] = 0, 863_999
    rows = "".join(f"{a} {b} {s}\n" for a, b, s in zip(rng.integers(0, 50, 3_000),
                                                       rng.integers(0, 50, 3_000), secs))
    path = write("stream.txt", rows)
    seq = load_snapshots(path, DataConfig(), chunk_rows=chunk_rows)
    assert seq.summary()["granularity"] == "2h" and seq.num_snapshots == 120
    assert load_snapshots(path, DataConfig(format="snapshots"),
                          chunk_rows=chunk_rows).num_snapshots == 864_000


def _messages(scale: int, name: str = "timestamp") -> str:
    """Six messages over three days, Unix times in seconds times ``scale``."""
    secs = [1082040961, 1082045000, 1082130000, 1082140000, 1082220000, 1082230000]
    pairs = [("a", "b"), ("b", "c"), ("a", "c"), ("c", "a"), ("b", "a"), ("a", "b")]
    rows = "".join(f"{s * scale},{u},{v}\n" for s, (u, v) in zip(secs, pairs))
    return f"{name},src,dst\n{rows}"


@pytest.mark.parametrize("scale, name, unit", [
    (1000, "timestamp", "ms"), (1_000_000, "ts", "us"), (1_000_000_000, "timestamp", "ns"),
    (1000, "created_at_ms", "ms"), (1000, "event_time_ms", "ms")])
def test_unix_milli_micro_nanoseconds_read_as_the_same_stream(write, scale, name, unit):
    """A stream of Unix times in ms/us/ns is the stream in seconds: same snapshots, same
    automatic width, ``--granularity`` in real time; the unit is kept on the sequence."""
    if name == "event_time_ms":            # not a known name: --time-col names it
        cfg = dict(time_col=name)
    else:
        cfg = {}
    seconds = load_snapshots(write("s.csv", _messages(1)), DataConfig(granularity="1d"))
    for granularity in ("1d", None):
        seq = load_snapshots(write("x.csv", _messages(scale, name)),
                             DataConfig(granularity=granularity, **cfg))
        ref = (seconds if granularity else load_snapshots(write("s.csv", _messages(1))))
        assert seq.fingerprint == ref.fingerprint and seq.times == ref.times
        assert seq.granularity == ref.granularity and seq.time_unit == unit
        assert seq.summary()["time_unit"] == unit
    assert seconds.time_unit == "s" and "time_unit" not in seconds.summary()


def test_time_unit_flag_wins_and_is_refused_where_it_cannot_apply(write):
    ms = write("ms.csv", _messages(1000))
    as_seconds = load_snapshots(ms, DataConfig(time_unit="s", granularity="1d"))
    assert as_seconds.time_unit == "s" and as_seconds.num_snapshots > 1000   # 1 day = 86 s
    named = write("n.csv", _messages(1, "timestamp_ms"))                        # name says ms
    assert load_snapshots(named, DataConfig(time_unit="s")).time_unit == "s"
    dates = write("d.csv", "timestamp,src,dst\n2024-01-01,a,b\n2024-01-02,b,a\n")
    with pytest.raises(InputError, match=r"d\.csv: --time-unit ms: column 'timestamp' holds "
                                         r"datetimes"):
        load_snapshots(dates, DataConfig(time_unit="ms"))
    assert load_snapshots(dates).time_unit == "s"
    snap = write("t.csv", "t,src,dst\n0,a,b\n1,b,a\n")
    with pytest.raises(InputError, match=r"t\.csv: --time-unit us applies to event streams"):
        load_snapshots(snap, DataConfig(time_unit="us"))
    assert load_snapshots(snap, DataConfig(time_unit="s")).time_unit is None
    with pytest.raises(Exception, match="time_unit"):
        DataConfig(time_unit="hours")


@pytest.mark.parametrize("kind", ["gzip", "bz2", "xz"])
@pytest.mark.parametrize("name, text", [
    ("snap.txt", "".join(f"{a} {b} {1082040961 + 5000 * k}\n"                    # SNAP
                         for k, (a, b) in enumerate([(1, 2), (2, 3), (3, 1)] * 30))),
    ("long.csv", "t,src,dst,weight\n" + "".join(f"{k % 4},n{k % 5},n{(k + 2) % 5},{k}\n"
                                                for k in range(40))),
    ("events.tsv", "created_at_ms\tsender\treceiver\n" + "".join(
        f"{1_600_000_000_000 + 3_600_000 * k}\tu{k % 3}\tv{k % 4}\n" for k in range(60)))])
def test_compressed_files_read_as_the_plain_file(tmp_path, kind, name, text):
    """A gzip/bzip2/xz file (told by its first bytes, whatever its name: SNAP's .txt.gz
    downloads, or a .csv that is compressed) reads exactly as the file it compresses."""
    import bz2
    import gzip
    import lzma

    plain = tmp_path / name
    plain.write_text(text)
    packed = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[kind]
    for target in (tmp_path / f"{name}.{kind}", tmp_path / f"renamed_{name}"):
        target.write_bytes(packed(text.encode()))
        for cfg in (DataConfig(), DataConfig(granularity="1h")):
            if name == "long.csv" and cfg.granularity:
                continue
            got, want = load_snapshots(target, cfg), load_snapshots(plain, cfg)
            assert got.fingerprint == want.fingerprint and got.node_ids == want.node_ids


def test_broken_compressed_files_get_one_line(tmp_path):
    import gzip

    whole = gzip.compress(b"t,src,dst\n" + b"".join(b"%d,a%d,b\n" % (k, k) for k in range(500)))
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match=r"cut\.csv\.gz: cannot decompress it .*truncated or "
                                         r"damaged gzip file"):
        load_snapshots(cut)
    zst = tmp_path / "data.csv.zst"
    zst.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 20)
    try:
        import zstandard  # noqa: F401
    except ImportError:
        with pytest.raises(InputError, match=r"data\.csv\.zst: compressed with zstd; "
                                             r"decompress it first"):
            load_snapshots(zst)
