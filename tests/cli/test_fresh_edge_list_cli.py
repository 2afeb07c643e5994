"""An event stream as users download it, straight through the command line: SNAP's
headerless ``src dst timestamp`` file, no ``--granularity``, ``--val`` or ``--test``; then
``score`` / ``evaluate`` / ``predict`` without ``--data`` (the run remembers its data)."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from gcngan.cli import main

SMALL = ["--set", "noise_dim=4", "--set", "gcn_channels=4,3", "--set", "lstm_hidden=8",
         "--set", "critic_hidden=8", "--set", "decoder_hidden=8", "--set", "max_links=20"]
DAY = 86_400
START = 1_082_000_000                                     # a Unix time (2004)


def _snap_stream(path, days: int = 60, seed: int = 0) -> None:
    """SNAP's temporal layout: ``src dst unixtime`` per line, no header, time-sorted; a
    few nodes that message their usual partners, ``days`` days long."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(days):
        for _ in range(6):
            a = int(rng.integers(0, 12))
            b = (a + int(rng.integers(1, 3))) % 12
            rows.append((a, b, START + d * DAY + int(rng.integers(0, DAY))))
    rows.sort(key=lambda r: r[2])
    rows[0] = (*rows[0][:2], START)                       # the origin of the snapshots
    path.write_text("".join(f"{a} {b} {s}\n" for a, b, s in rows))


@pytest.fixture(scope="module")
def fresh_run(tmp_path_factory):
    """``gcngan train STREAM`` with no data flags at all (sparse preset, one epoch)."""
    root = tmp_path_factory.mktemp("fresh")
    data = root / "stream.txt"
    _snap_stream(data)
    out = root / "run"
    assert main(["train", str(data), "--out", str(out), "--epochs", "1", "--quiet",
                 "--preset", "sparse", *SMALL]) == 0
    return data, out


def test_train_reads_a_snap_stream_without_flags_and_records_its_choices(fresh_run):
    """60 days: 12-hour snapshots (120: the round width closest to 100 snapshots), 110
    targets with the window of 10: 10 validation and 27 test targets (50, or 25% if fewer);
    config.json says so."""
    _, out = fresh_run
    data = json.loads((out / "config.json").read_text())["data"]
    assert data["granularity"] == "12h" and data["time_unit"] == "s"
    assert (data["val"], data["test"]) == (10, 27)


def test_a_run_records_the_unit_of_its_event_times(tmp_path):
    """The unit the stream's times were read in (here Unix milliseconds, from the values)
    is written into the run's data config beside the width, so later commands and their
    event-time queries read it the same way whatever ``auto`` decides then."""
    from gcngan.cli.train import resolved_data_config
    from gcngan.config import build_config
    from gcngan.data import load_snapshots

    seconds, ms = tmp_path / "s.txt", tmp_path / "ms.txt"
    _snap_stream(seconds)
    ms.write_text("".join(f"{a} {b} {int(t) * 1000}\n" for a, b, t in
                          (line.split() for line in seconds.read_text().splitlines())))
    config = build_config("sparse")
    for path, unit in ((seconds, "s"), (ms, "ms")):
        seq = load_snapshots(path, config.data)
        data = resolved_data_config(config, seq).data
        assert (data.granularity, data.time_unit) == ("12h", unit)


def test_later_commands_find_the_data_the_run_was_trained_on(fresh_run, tmp_path, capsys):
    data, out = fresh_run
    pairs = tmp_path / "pairs.csv"
    stamp = START + 58 * DAY + 5
    pairs.write_text(f"timestamp,src,dst\n{stamp},0,1\n{stamp},0,7\n")
    got = {}
    for name, extra in (("recorded", []), ("given", ["--data", str(data)])):
        scores = tmp_path / f"{name}.csv"
        assert main(["score", str(out), "--pairs", str(pairs), "--out", str(scores),
                     *extra]) == 0
        got[name] = pd.read_csv(scores)
    pd.testing.assert_frame_equal(got["recorded"], got["given"])
    assert got["recorded"]["t"].tolist() == [116, 116]
    capsys.readouterr()
    assert main(["evaluate", str(out), "--protocol", "ranking", "--q", "3", "--json",
                 "--baselines", "edgebank-inf"]) == 0
    assert "model" in json.loads(capsys.readouterr().out)["predictors"]
    assert main(["predict", str(out), "--out", str(tmp_path / "pred.csv")]) == 0


def test_a_run_whose_data_moved_asks_for_data(fresh_run, tmp_path, capsys):
    data, out = fresh_run
    moved = tmp_path / "run"
    shutil.copytree(out, moved)
    hidden = data.with_name("elsewhere.txt")
    data.rename(hidden)
    try:
        capsys.readouterr()
        rc = main(["score", str(moved), "--pairs", str(tmp_path / "p.csv"),
                   "--out", str(tmp_path / "s.csv")])
    finally:
        hidden.rename(data)
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert "pass --data" in err and str(moved) in err
    capsys.readouterr()
    rc = main(["score", "--predictor", "edgebank-inf", "--pairs", str(tmp_path / "p.csv"),
               "--out", str(tmp_path / "s.csv")])
    assert rc == 2 and "--data is required" in capsys.readouterr().err
