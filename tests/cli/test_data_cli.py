"""``gcngan data ...`` end to end through ``gcngan.cli.main`` (in ``tmp_path``)."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from gcngan.cli import main


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GCNGAN_DATA", str(tmp_path / "cache"))


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def inspect_json(capsys, *argv) -> dict:
    code, out, err = run(capsys, "data", "inspect", *argv, "--json")
    assert code == 0, err
    return json.loads(out)                      # exactly one JSON object, nothing else


# ----------------------------------------------------------------------------- inspect
def test_inspect_json_tiny(capsys, tiny_csv):
    s = inspect_json(capsys, str(tiny_csv))
    assert (s["num_nodes"], s["num_snapshots"], s["num_rows"]) == (4, 3, 8)
    assert s["directed"] is False and (s["weight_min"], s["weight_max"]) == (1.0, 8.0)


def test_inspect_human_and_plot(capsys, tiny_csv, tmp_path):
    code, out, err = run(capsys, "data", "inspect", str(tiny_csv), "--plot", "fig.png")
    assert code == 0, err
    assert "nodes       4" in out and "directed    no" in out and "per snapshot" in out
    assert (tmp_path / "fig.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_inspect_flags_reach_config(capsys, write):
    path = write("e.tsv", "when\tfrom\tto\n0\ta\tb\n100\ta\tb\n5000\tb\ta\n")
    s = inspect_json(capsys, str(path), "--time-col", "when", "--format", "events",
                     "--granularity", "1h", "--agg", "count", "--undirected")
    assert (s["num_snapshots"], s["num_nodes"], s["directed"]) == (2, 2, False)
    assert s["weight_max"] == 2.0
    s = inspect_json(capsys, str(path), "--format", "events", "--granularity", "1h",
                     "--time-col", "when", "--max-threshold", "1", "--scale", "log1p")
    assert s["weight_max"] == 1.0 and s["scale"] == {"kind": "log1p", "denom": 1.0}


def test_inspect_says_the_unit_of_the_timestamps(capsys, write):
    rows = "".join(f"{1_600_000_000_000 + k * 3_600_000},a{k % 3},b{k % 2}\n" for k in range(48))
    path = write("ms.csv", "created_at_ms,src,dst\n" + rows)
    assert main(["data", "inspect", str(path)]) == 0
    assert "of 1h each (timestamps in ms)" in capsys.readouterr().out
    assert main(["data", "inspect", str(path), "--time-unit", "ms", "--granularity", "1d",
                 "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["num_snapshots"], got["granularity"], got["time_unit"]) == (2, "1d", "ms")


def test_inspect_split_flags(capsys, tiny_csv):
    s = inspect_json(capsys, str(tiny_csv), "--window", "1", "--val", "0", "--test", "1")
    assert s["split"] == {"window": 1, "train": 1, "val": 0, "test": 1}


def test_inspect_warns_when_validation_falls_on_empty_snapshots(capsys, write):
    rows = "".join(f"{t},0,1,1\n" for t in (0, 1, 2, 3, 6, 7))          # 4 and 5 empty
    path = write("gap.csv", "t,src,dst,weight\n" + rows)
    s = inspect_json(capsys, str(path), "--window", "2", "--val", "2", "--test", "2")
    assert "validation targets (snapshots 4..5) are all empty" in s["split"]["warning"]
    assert "warning" not in inspect_json(capsys, str(path), "--window", "2", "--val", "2",
                                         "--test", "1")["split"]
    code, out, _ = run(capsys, "data", "inspect", str(path), "--window", "2", "--val", "2",
                       "--test", "2")
    assert code == 0 and "warning: the validation targets" in out


def test_inspect_a_graph_too_large_for_dense_snapshots(capsys, write):
    """No --top-k needed: 6,000 nodes x 40 daily snapshots is beyond the dense limit, yet
    inspect, --json and --plot work (from the edges); the split check runs too."""
    import numpy as np

    rng = np.random.default_rng(1)
    e = 8_000
    ts = np.sort(rng.integers(0, 40 * 86400, e))
    src, dst = rng.integers(0, 6_000, e), rng.integers(0, 6_000, e)
    src[:3000], dst[:3000] = np.arange(3000), np.arange(3000, 6000)
    rows = "\n".join(f"{a},{b},{c},{w}" for a, b, c, w in
                     zip(ts, src, dst, rng.integers(-3, 9, e)))
    path = write("big.csv", "timestamp,src,dst,weight\n" + rows + "\n")
    s = inspect_json(capsys, str(path), "--granularity", "1d", "--negative", "shift",
                     "--plot", "big.png", "--window", "5", "--val", "5", "--test", "5")
    assert (s["num_nodes"], s["num_snapshots"], s["num_rows"]) == (6000, 40, e)
    assert s["split"] == {"window": 5, "train": 25, "val": 5, "test": 5}
    assert s["plot"] == "big.png" and (Path.cwd() / "big.png").stat().st_size > 0
    code, out, _ = run(capsys, "data", "inspect", str(path), "--granularity", "1d",
                       "--negative", "shift")
    assert code == 0 and "nodes       6000" in out and "per snapshot" in out


def test_synth_then_inspect(capsys, tmp_path):
    code, out, _ = run(capsys, "data", "synth", "--out", "mesh.csv", "--nodes", "8",
                       "--snapshots", "12", "--seed", "2")
    assert code == 0 and "8 nodes, 12 snapshots" in out
    s = inspect_json(capsys, "mesh.csv")
    assert (s["num_nodes"], s["num_snapshots"], s["directed"]) == (8, 12, False)


def test_list_and_verify(capsys):
    code, out, _ = run(capsys, "data", "list")
    assert code == 0 and "synthetic-mesh" in out and "ucsb-mesh" in out
    code, out, _ = run(capsys, "data", "verify", "synthetic-mesh")
    assert code == 0 and "sha256 ok" in out


# ----------------------------------------------------------------------------- bad input
def _nofiles_zip(tmp_path):
    with zipfile.ZipFile(tmp_path / "nofiles.zip", "w") as zf:
        zf.writestr("README.txt", "no edge lists here")
    return "nofiles.zip"


BAD = {
    "empty": ("", [], "empty file"),
    "header-only": ("t,src,dst,weight\n", [], "empty file"),
    "missing-column": ("t,src,weight\n0,1,2\n", [], "no dst column among t, src, weight"),
    "unknown-column": ("t,src,dst,weight\n0,1,2,3\n", ["--weight-col", "kbps"],
                       "weight column 'kbps' not found"),
    "extra-columns": ("a,b,c,d\n0,1,2,3\n", [], "no src column among a, b, c, d"),
    "non-numeric": ("t,src,dst,weight\n0,1,2,1\n0,2,1,fast\n", [],
                    ":3: column 'weight': non-numeric weight 'fast'"),
    "nan": ("t,src,dst,weight\n0,1,2,NaN\n", [], ":2: column 'weight': weight must be a finite "
            "number, got 'NaN'"),
    "inf": ("t,src,dst,weight\n0,1,2,-inf\n", [], ":2: column 'weight': weight must be a finite"),
    "negative": ("t,src,dst,weight\n0,1,2,-1\n", ["--negative", "error"],
                 ":2: column 'weight': negative weight -1"),
    "timestamp": ("timestamp,src,dst\n2004-05-01T10:00:00,a,b\n2004-13-45,b,a\n",
                  ["--granularity", "1d"], ":3: column 'timestamp': unparseable timestamp "
                  "'2004-13-45'"),
    "granularity": ("timestamp,src,dst\n0,a,b\n", ["--granularity", "1fortnight"],
                    "--granularity '1fortnight'"),
    "window": ("t,src,dst\n0,a,b\n1,b,a\n2,a,b\n", ["--window", "5"],
               "window 5 is longer than the data: 3 snapshots"),
    "fields": ("t,src,dst,weight\n0,1,2,1\n0,1,2,1,9\n", [], "line 3: expected 4 fields, found 5"),
    "no-edge-files": (None, [], "zip holds no edge-list files"),
    "missing-file": (None, [], "no such file or directory"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, write, case):
    text, flags, fragment = BAD[case]
    if case == "no-edge-files":
        name = _nofiles_zip(tmp_path)
    elif case == "missing-file":
        name = "absent.csv"
    else:
        name = str(write(f"{case}.csv", text).name)
    before = set(tmp_path.iterdir())
    code, out, err = run(capsys, "data", "inspect", name, *flags, "--plot", "out.png", "--json")
    assert code == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("gcngan: error: ") and "Traceback" not in err
    assert fragment in err
    if case not in ("granularity", "window", "unknown-column", "missing-file"):
        assert name in err                                   # the message names the file
    assert set(tmp_path.iterdir()) == before                 # nothing written on failure


def test_synth_bad_args_write_nothing(capsys, tmp_path):
    code, _, err = run(capsys, "data", "synth", "--out", "x.csv", "--nodes", "1")
    assert code == 2 and "num_nodes=1" in err and not (tmp_path / "x.csv").exists()


def test_fetch_wrong_checksum_exits_2(capsys, tmp_path):
    (tmp_path / "fake.zip").write_bytes(b"not the archive")
    code, out, err = run(capsys, "data", "fetch", "ucsb-mesh", "--url",
                         (tmp_path / "fake.zip").as_uri(), "--root", "root")
    assert code == 2 and "sha256 mismatch" in err and err.count("\n") == 1
    assert not (tmp_path / "root").exists()
    code, _, err = run(capsys, "data", "verify", "ucsb-mesh", "--root", "root")
    assert code == 2 and "gcngan data fetch ucsb-mesh" in err


# ----------------------------------------------------------------------------- real data
def test_mesh1_json(capsys, shared_file):
    s = inspect_json(capsys, str(shared_file("mesh1/mesh1.csv")))
    assert (s["num_nodes"], s["num_snapshots"], s["directed"]) == (38, 445, False)
    assert s["num_rows"] == 122_684 and s["weight_max"] == 2000.0


def test_ucsb_zip_json(capsys, shared_file):
    s = inspect_json(capsys, str(shared_file("raw/gcngan_ucsb_data.zip")))
    assert (s["num_nodes"], s["num_snapshots"], s["directed"]) == (38, 1005, True)


def test_collegemsg_weekly_json(capsys, shared_file):
    s = inspect_json(capsys, str(shared_file("collegemsg/collegemsg_events.csv")),
                     "--granularity", "7d", "--top-k", "300")
    assert (s["num_snapshots"], s["num_nodes"], s["directed"]) == (28, 300, True)


def test_fetch_ucsb_offline(capsys, shared_file, tmp_path):
    url = shared_file("raw/gcngan_ucsb_data.zip").as_uri()
    code, out, err = run(capsys, "data", "fetch", "ucsb-mesh", "--url", url, "--json")
    assert code == 0, err
    s = json.loads(out)
    assert (s["num_nodes"], s["num_snapshots"], s["directed"]) == (38, 1005, True)
    assert s["path"].startswith(str(tmp_path / "cache"))
    code, out, _ = run(capsys, "data", "verify", "ucsb-mesh")
    assert code == 0 and "sha256 ok" in out
