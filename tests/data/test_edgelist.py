"""Reading edge-list files: format detection, column mapping, node ids, files/zip layout."""
from __future__ import annotations

import os
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch

from gcngan.config import DataConfig
from gcngan.data.edgelist import (detect_format, node_index, read_edge_files, read_edges,
                                  write_edges)
from gcngan.errors import InputError


@pytest.mark.parametrize("text, expected", [
    ("t,src,dst,weight\n0,1,2,3\n", "snapshots"),
    ("snapshot,source,target,value\n0,1,2,3\n", "snapshots"),
    ("timestamp,src,dst,weight\n1082040961,1,2,1\n", "events"),
    ("date,src,dst\n2004-01-02,a,b\n", "events"),
    ("time,src,dst,weight\n0,1,2,3\n5,1,2,3\n", "snapshots"),        # small integers
    ("time,src,dst,weight\n1082040961,1,2,3\n", "events"),          # Unix seconds
    ("time,src,dst,weight\n2.5,1,2,3\n", "events"),                 # fractional
    ("0,1,2,3\n1,2,1,3\n", "snapshots"),                            # no header
])
def test_detect_format_by_time_column(write, text, expected):
    assert detect_format(write("f.csv", text), DataConfig()) == expected


def test_detect_format_directory_zip_and_override(tmp_path):
    (tmp_path / "d").mkdir()
    assert detect_format(tmp_path / "d", DataConfig()) == "files"
    assert detect_format(tmp_path / "x.zip", DataConfig()) == "files"
    assert detect_format(tmp_path / "x.csv", DataConfig(format="events")) == "events"


@pytest.mark.parametrize("sep", [",", "\t", " ", ";"])
def test_separators(write, sep):
    text = sep.join(["t", "src", "dst", "weight"]) + "\n" + sep.join(["0", "a", "b", "1.5"]) + "\n"
    table = read_edges(write("f.txt", text), DataConfig())
    assert table.frame["src"].tolist() == ["a"] and table.frame["weight"].tolist() == [1.5]


def test_headerless_with_string_ids(write):
    table = read_edges(write("f.tsv", "0\ta\tb\t1\n1\tb\tc\t2\n"), DataConfig())
    assert table.kind == "snapshots"
    assert table.frame["dst"].tolist() == ["b", "c"]


def test_column_mapping_flags(write):
    path = write("f.csv", "when,from_id,to_id,kbps,comment\n0,1,2,5,x\n1,2,1,7,y\n")
    cfg = DataConfig(time_col="when", src_col="from_id", dst_col="to_id", weight_col="kbps")
    table = read_edges(path, cfg)
    assert table.kind == "snapshots"
    assert table.frame["weight"].tolist() == [5.0, 7.0]


def test_missing_weight_column_means_weight_one(write):
    table = read_edges(write("f.csv", "t,src,dst\n0,1,2\n0,1,2\n"), DataConfig())
    assert table.frame["weight"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("text, kind, time, src, dst, weight", [
    ("6,2,4,1289241911.72836\n6,5,2,1289241941.53378\n1,15,1,1289243140.39049\n", "events",
     [1289241911.72836, 1289241941.53378, 1289243140.39049], [6, 6, 1], [2, 5, 15],
     [4.0, 2.0, 1.0]),                                       # SNAP bitcoin: src dst rating time
    ("% sym positive\n% 3 2 2\n5 1 1 980000000\n2 7 1 980000007\n", "events",
     [980000000, 980000007], [5, 2], [1, 7], [1.0, 1.0]),     # KONECT out.*: sorted times
    ("3 1 2 7\n1 2 4 1\n", "snapshots", [3, 1], [1, 2], [2, 4], [7.0, 1.0]),  # t src dst w
    ("3 1 2 1\n1 2 4 1\n", "snapshots", [3, 1], [1, 2], [2, 4], [1.0, 1.0]),  # weights of 1
    ("1 0 0 1.5\n0 0 0 2.5\n", "snapshots", [1, 0], [0, 0], [0, 0], [1.5, 2.5]),  # sorted w
    ("0 1 2 5000000\n1 2 4 9000000\n", "snapshots", [0, 1], [1, 2], [2, 4], [5e6, 9e6]),
])
def test_four_unnamed_columns_find_the_time(write, text, kind, time, src, dst, weight):
    """A headerless four-column file is ``t src dst weight`` unless the rows show
    ``src dst weight time`` (SNAP's bitcoin ratings, KONECT): the last column holding Unix
    times while the first holds unsorted small integers."""
    table = read_edges(write("f.txt", text), DataConfig())
    assert table.kind == kind
    assert table.frame["time"].tolist() == pytest.approx(time)
    assert table.frame["src"].tolist() == src and table.frame["dst"].tolist() == dst
    assert table.frame["weight"].tolist() == weight


@pytest.mark.parametrize("text, src, dst", [
    (",u,i,ts,label,idx\n0,7,9,1082040961,0,1\n1,9,7,1082040999,1,2\n", [7, 9], [9, 7]),  # TGB
    ("user_id,item_id,timestamp,state_label\n7,9,1082040961,0\n9,7,1082040999,0\n",
     [7, 9], [9, 7]),                                                                    # JODIE
    ("i,j,t\n7,9,0\n9,7,1\n", [7, 9], [9, 7]),             # i is a source beside j
    ("user_id,item_id,timestamp,state_label,comma_separated_list_of_features\n"    # JODIE raw
     "7,9,1082040961.0,0,0.1,-0.5,0.3\n9,7,1082040999.0,0,0.2,0.1,0.0\n", [7, 9], [9, 7]),
])
def test_tgb_and_jodie_columns_read_as_events_of_weight_one(write, text, src, dst):
    """``u,i`` is source, destination (user, item); an index and the state label are never
    the weight: each row weighs 1."""
    table = read_edges(write("f.csv", text), DataConfig())
    assert table.frame["src"].tolist() == src and table.frame["dst"].tolist() == dst
    assert table.frame["weight"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("text, kind, time, src, dst", [
    ("1 2 1082040961\n3 4 1082155839\n1 3 1082155840\n", "events",       # SNAP: Unix time
     [1082040961, 1082155839, 1082155840], [1, 3, 1], [2, 4, 3]),
    ("582 364 0\n168 472 2797\n1 2 4200\n", "events",      # seconds from the start, sorted
     [0, 2797, 4200], [582, 168, 1], [364, 472, 2]),
    ("0 5 9\n0 9 5\n1 5 2\n", "snapshots", [0, 0, 1], [5, 9, 5], [9, 5, 2]),   # t src dst
])
def test_three_unnamed_columns_find_the_time(write, text, kind, time, src, dst):
    """A headerless three-column file: SNAP's ``src dst timestamp`` when the third column
    holds times (Unix seconds, or sorted while the first is not), else
    ``t src dst`` when only the first is sorted; each row weighs 1."""
    table = read_edges(write("f.txt", text), DataConfig())
    assert table.kind == kind
    assert table.frame["time"].tolist() == time
    assert table.frame["src"].tolist() == src and table.frame["dst"].tolist() == dst
    assert table.frame["weight"].tolist() == [1.0] * len(src)


def test_text_columns_are_never_the_weight(write):
    """TGB's flight stream: call sign and aircraft type are text, so not a weight; each
    row weighs 1 and the columns are ignored."""
    text = ("timestamp,src,dst,callsign,typecode\n1600000000,JFK,LAX,AA1,B738\n"
            "1600003600,LAX,SFO,UA2,A320\n")
    table = read_edges(write("f.csv", text), DataConfig())
    assert table.kind == "events" and table.frame["weight"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("text", ["time,src,dst,f1,f2\n0,a,b,0.3,1\n1,b,c,0.2,2\n",
                                  "0,a,b,0.3\n1,b,c,0.2\n"])
def test_weight_col_none_gives_every_row_a_weight_of_one(write, text):
    """Numeric columns that are not a weight (edge features): ``--weight-col none``."""
    table = read_edges(write("f.csv", text), DataConfig(weight_col="none"))
    assert table.frame["weight"].tolist() == [1.0, 1.0]
    assert table.frame["time"].tolist() == [0, 1]


@pytest.mark.parametrize("text, kind, src", [
    ("day,source_id,target_id,amount\n0,a,b,3\n1,b,c,2\n", "snapshots", ["a", "b"]),
    ("day,from_id,to_id,edge_weight\n1600000000,a,b,3\n1600086400,b,c,2\n", "events",
     ["a", "b"]),
    ("time_stamp,sender_id,recipient\n2020-01-01,a,b\n2020-01-02,b,c\n", "events", ["a", "b"]),
])
def test_more_column_names(write, text, kind, src):
    """``day``/``week``/... hold snapshot indices or Unix times (the values tell), with the
    common id and weight names of downloaded edge lists."""
    table = read_edges(write("f.csv", text), DataConfig())
    assert table.kind == kind
    assert [str(x) for x in table.frame["src"].tolist()] == src


@pytest.mark.parametrize("text, cfg, fragment", [
    ("t,src,weight\n0,1,2\n", {}, "no dst column"),
    ("t,u,label\n0,1,2\n", {}, "no dst column"),           # u pairs with i only
    ("t,src,dst,label,bytes\n0,1,2,0,5\n", {}, "unknown column(s) bytes"),
    ("a,b,c,d\n0,1,2,1\n", {}, "no src column among a, b, c, d"),
    ("t,src,dst,weight\n0,1,2,1\n", {"src_col": "sender"}, "column 'sender' not found"),
    ("t,src,dst,x,y\n0,1,2,1,1\n", {}, "unknown column(s) x, y"),
    ("t,src,dst,x\n0,1,2,1\n\n1,2,1,4\n", {}, "unknown column(s) x"),  # a blank line: still numbers
    ("u,i,ts,x,features\n1,2,100,3,0.5\n", {}, "unknown column(s) x"),  # before a feature list
    ("0,1,2,3\n", {"src_col": "s"}, "no header line"),
    ("1,2,3\n", {}, "3 unnamed columns; cannot tell which is the time"),
    ("0,1,2\n1,2,3\n", {}, "add a header line, e.g. src,dst,timestamp"),   # both sorted
    ("3,1,2\n1,2,0\n", {}, "3 unnamed columns; cannot tell which is the time"),  # neither
])
def test_column_errors(write, text, cfg, fragment):
    with pytest.raises(InputError, match=None) as err:
        read_edges(write("f.csv", text), DataConfig(**cfg))
    assert fragment in str(err.value)
    assert "f.csv" in str(err.value)


MESH_HEADER = "t,src,dst,weight\n0,1,2,1\n"


@pytest.mark.parametrize("cfg, fragment", [
    ({"src_col": "weight"}, "column 'weight' is given for both --src-col and --weight-col "
                            "(auto-detected)"),
    ({"dst_col": "src"}, "column 'src' is given for both --src-col (auto-detected) and "
                         "--dst-col"),
    ({"weight_col": "src"}, "column 'src' is given for both --src-col (auto-detected) and "
                            "--weight-col"),
    ({"time_col": "src"}, "column 'src' is given for both --time-col and --src-col "
                          "(auto-detected)"),
    ({"time_col": "weight"}, "column 'weight' is given for both --time-col and --weight-col "
                             "(auto-detected)"),
    ({"src_col": "t"}, "column 't' is given for both --time-col (auto-detected) and --src-col"),
    ({"src_col": "dst", "dst_col": "dst"}, "column 'dst' is given for both --src-col and "
                                           "--dst-col;"),
])
def test_two_roles_on_one_column_refused(write, cfg, fragment):
    path = write("f.csv", MESH_HEADER)
    for fmt in (None, "snapshots", "events"):                # detected or forced format
        with pytest.raises(InputError) as err:
            read_edges(path, DataConfig(format=fmt, **cfg))
        msg = str(err.value)
        assert msg.startswith(f"{path}: ") and fragment in msg, msg
        assert msg.endswith("each role needs its own column") and "\n" not in msg


@pytest.mark.parametrize("row, fragment", [
    ("0,1,2,abc", "f.csv:3: column 'weight': non-numeric weight 'abc'"),
    ("0,1,2,nan", "f.csv:3: column 'weight': weight must be a finite number, got 'nan'"),
    ("0,1,2,inf", "f.csv:3: column 'weight': weight must be a finite number, got 'inf'"),
    ("0,1,2,", "f.csv:3: column 'weight': empty weight ''"),
    ("0,1,2", "f.csv:3: column 'weight': empty weight ''"),
    ("0,1,2,3,4", "f.csv: line 3: expected 4 fields, found 5"),
    ("0,1,2,3,4\n0,1,2,3", "f.csv: line 3: expected 4 fields, found 5"),
    ("0.5,1,2,3", "f.csv:3: column 't': snapshot index must be an integer"),
    ("-1,1,2,3", "f.csv:3: column 't': snapshot index must be >= 0"),
    ("0,,2,3", "f.csv:3: column 'src': empty node id"),
])
def test_bad_values_name_file_line_column_value(write, row, fragment):
    path = write("f.csv", f"t,src,dst,weight\n0,1,2,1\n{row}\n")
    with pytest.raises(InputError) as err:
        read_edges(path, DataConfig())
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_feature_list_header_ignores_the_fields_past_its_named_columns(write):
    """JODIE's and TGB's raw files end their header in ``comma_separated_list_of_features``
    and each row in any number of feature values: only the named columns are read (rows
    with fewer features too); errors still name the file's own line and column."""
    text = ("u,i,ts,amount,features\n1,2,100,3,0.5,0.5\n2,1,200,4\n"
            "1,3,300,5,0.1,0.2,0.3,0.4\n")
    table = read_edges(write("f.csv", text), DataConfig())
    assert table.frame["src"].tolist() == [1, 2, 1] and table.frame["dst"].tolist() == [2, 1, 3]
    assert table.frame["weight"].tolist() == [3.0, 4.0, 5.0]
    assert table.columns["weight"] == "amount" and table.line.tolist() == [2, 3, 4]
    bad = write("g.csv", "u,i,ts,amount,features\n1,2,100,3,0.5\n2,1,200,x,0.5,0.5\n")
    with pytest.raises(InputError, match=r"g\.csv:3: column 'amount': non-numeric weight 'x'"):
        read_edges(bad, DataConfig())


def test_first_row_longer_than_header(write):
    with pytest.raises(InputError, match=r"f\.csv: line 3: more fields than the 3 header"):
        read_edges(write("f.csv", "# note\nt,src,dst\n0,1,2,3\n"), DataConfig())


def test_line_numbers_count_blank_and_comment_lines(write):
    path = write("f.csv", "# comment\nt,src,dst,weight\n0,1,2,1\n\n0,2,1,x\n")
    with pytest.raises(InputError, match=r"f\.csv:5: column 'weight'"):
        read_edges(path, DataConfig())


@pytest.mark.parametrize("text", ["", "\n\n", "t,src,dst,weight\n"])
def test_empty_files(write, text):
    with pytest.raises(InputError, match="empty file"):
        read_edges(write("f.csv", text), DataConfig())


def test_missing_path(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_edges(tmp_path / "nope.csv", DataConfig())


@pytest.mark.skipif(not os.path.isdir("/dev/fd"), reason="no /dev/fd here")
def test_a_pipe_is_refused_by_name_not_read_as_empty():
    """``gcngan train <(zcat data.gz)``: the data is read more than once, a pipe only once;
    both readers say so instead of 'empty file'."""
    from gcngan.data.edgelist import read_columns

    read_end, write_end = os.pipe()
    os.write(write_end, b"t,src,dst\n0,a,b\n")
    os.close(write_end)
    try:
        for reader in (read_edges, read_columns):
            with pytest.raises(InputError, match=r"/dev/fd/\d+: not a regular file \(a pipe"):
                reader(f"/dev/fd/{read_end}", DataConfig())
    finally:
        os.close(read_end)


# ----------------------------------------------------------------------------- node ids
def test_node_index_integers_sorted_numerically():
    ids, s, d = node_index(pd.Series([10, 2]), pd.Series([1, 10]))
    assert ids == [1, 2, 10]
    assert s.tolist() == [2, 1] and d.tolist() == [0, 2]


def test_node_index_keeps_ids_with_nodes():
    ids, s, d = node_index(pd.Series([3, 1]), pd.Series([1, 3]), num_nodes=6)
    assert ids == list(range(6)) and s.tolist() == [3, 1]


def test_node_index_strings_and_count_mismatch():
    ids, s, _ = node_index(pd.Series(["bob", "al"]), pd.Series(["al", "cy"]))
    assert ids == ["al", "bob", "cy"] and s.tolist() == [1, 0]
    with pytest.raises(InputError, match="--nodes 5 but the data has 3 distinct node ids"):
        node_index(pd.Series(["bob", "al"]), pd.Series(["al", "cy"]), num_nodes=5)


# ----------------------------------------------------------------------------- files / zip
def _edge_files(root, n=3):
    root.mkdir(parents=True, exist_ok=True)
    for t in range(n):
        (root / f"edge_list_{t}.txt").write_text(f"0 1 {t + 1}.5\n# note\n\n1 0 {t + 2}\n")
    (root / "README.md").write_text("not an edge list\n")


def test_read_edge_files_directory(tmp_path):
    _edge_files(tmp_path / "d", n=12)
    table = read_edge_files(tmp_path / "d")
    assert table.frame["time"].tolist()[:4] == [0, 0, 1, 1]       # numeric, not lexical order
    assert table.frame["time"].max() == 11
    assert table.frame["weight"].tolist()[:2] == [1.5, 2.0]
    assert table.where(1).endswith("edge_list_0.txt:4")


def test_read_edge_files_zip_and_errors(tmp_path):
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("data/UCSB/edge_list_1.txt", "0 1 2\n1 0 x\n")
        zf.writestr("data/UCSB/", "")
    with pytest.raises(InputError, match=r"a\.zip/data/UCSB/edge_list_1\.txt:2: column 3: "
                                         r"non-numeric weight 'x'"):
        read_edge_files(zpath)
    with zipfile.ZipFile(tmp_path / "none.zip", "w") as zf:
        zf.writestr("notes.md", "hello")
    with pytest.raises(InputError, match="zip holds no edge-list files"):
        read_edge_files(tmp_path / "none.zip")
    (tmp_path / "dup").mkdir()
    (tmp_path / "dup" / "g_1.txt").write_text("0 1 1\n")
    (tmp_path / "dup" / "h_01.txt").write_text("0 1 1\n")
    with pytest.raises(InputError, match="both give snapshot 1"):
        read_edge_files(tmp_path / "dup")
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a valid zip"):
        read_edge_files(tmp_path / "bad.zip")


@pytest.mark.parametrize("flag, cfg", [
    ("--weight-col 'kbps'", {"weight_col": "kbps"}), ("--time-col 't'", {"time_col": "t"}),
    ("--src-col 'src'", {"src_col": "src"}), ("--dst-col 'dst'", {"dst_col": "dst"})])
def test_edge_files_refuse_column_flags(tmp_path, flag, cfg):
    _edge_files(tmp_path / "d", n=2)
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("data/edge_list_0.txt", "0 1 2\n")
    for path in (tmp_path / "d", zpath):
        with pytest.raises(InputError) as err:
            read_edges(path, DataConfig(**cfg))
        assert str(err.value) == (f"{path}: {flag} does not apply to a directory/zip of "
                                  f"per-snapshot files (columns: src dst weight)")


def test_write_edges_round_trip(tmp_path, tiny_adj):
    ids = [f"n{i}" for i in range(8)]
    rows = write_edges(tmp_path / "out.csv", tiny_adj / 7, ids)
    frame = pd.read_csv(tmp_path / "out.csv")
    assert rows == len(frame) == int((tiny_adj > 0).sum())
    back = np.zeros(tuple(tiny_adj.shape), dtype=np.float32)
    idx = {n: i for i, n in enumerate(ids)}
    back[frame.t, frame.src.map(idx), frame.dst.map(idx)] = frame.weight
    assert torch.equal(torch.from_numpy(back), (tiny_adj / 7).float())


def test_write_edges_with_scores_adds_the_scored_entries_unshifted(tmp_path):
    adj = torch.tensor([[[0.0, 4.0], [0.0, 0.0]]])
    scores = torch.tensor([[[0.0, 0.9], [0.25, 0.0]]])
    rows = write_edges(tmp_path / "s.csv", adj, ["a", "b"], offset=3.0, scores=scores)
    frame = pd.read_csv(tmp_path / "s.csv")
    assert rows == 2 and list(frame.columns) == ["t", "src", "dst", "weight", "score"]
    assert frame.to_dict("list") == {"t": [0, 0], "src": ["a", "b"], "dst": ["b", "a"],
                                     "weight": [1.0, 0.0], "score": [0.9, 0.25]}
    with pytest.raises(ValueError, match="differ in shape"):
        write_edges(tmp_path / "x.csv", adj, ["a", "b"], scores=scores[0])
