"""``gcngan evaluate --protocol ranking`` and ``gcngan score`` through ``gcngan.cli.main``."""
from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pandas as pd
import pytest

from gcngan.cli import main
from gcngan.ranking import query_ranks
from gcngan.structural import ALL_PREDICTORS, PAIR_PREDICTORS, StackedHeuristics

SMALL = ["--set", "noise_dim=4", "--set", "gcn_channels=4,3", "--set", "lstm_hidden=16",
         "--set", "critic_hidden=12,6"]
SPLIT = ["--window", "3", "--val", "3", "--test", "4"]


@pytest.fixture(scope="module")
def run(string_id_graph_csv, tmp_path_factory):
    """A tiny trained run (1 epoch) on the 6-node string-id graph."""
    out = tmp_path_factory.mktemp("run") / "run"
    assert main(["train", str(string_id_graph_csv), "--out", str(out), "--epochs", "1",
                 "--quiet", "--device", "cpu", "--batch-size", "4", "--preset", "dense", *SMALL,
                 *SPLIT]) == 0
    return out


def ranking_json(capsys, argv) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_baselines_only_ranking_writes_and_reuses_the_negatives(string_id_graph_csv, tmp_path,
                                                                capsys):
    neg = tmp_path / "neg.csv"
    base = ["evaluate", "--data", str(string_id_graph_csv), "--protocol", "ranking", *SPLIT,
            "--q", "3", "--json"]
    first = ranking_json(capsys, [*base, "--negatives-out", str(neg)])
    assert set(first["predictors"]) == set(ALL_PREDICTORS) > set(PAIR_PREDICTORS)
    fit = first["fitted"]["stacked-heuristics"]       # fitted on training targets 3 .. 12 only
    assert 3 <= fit["targets"][0] <= fit["targets"][1] <= 12
    assert set(fit["coefficients"]) == set(StackedHeuristics.FEATURES)
    digest = hashlib.sha256(neg.read_bytes()).hexdigest()
    assert first["negatives"]["sha256"] == digest and first["negatives"]["generated"]
    assert (tmp_path / "neg.csv.sha256").read_text().split()[0] == digest
    df = pd.read_csv(neg)
    assert sorted(df["t"].unique()) == [16, 17, 18, 19]                  # the 4 test targets
    assert first["queries"] == df["query"].nunique() == first["new"] + first["repeated"]
    again = ranking_json(capsys, [*base, "--negatives", str(neg)])
    assert again["predictors"] == first["predictors"]
    assert again["negatives"] == {"path": str(neg), "generated": False, "sha256": digest}
    # text mode: a table with the best in bold and the sha256 printed
    assert main([*base[:-1], "--negatives", str(neg), "--baselines", "ewma,adamic-adar"]) == 0
    text = capsys.readouterr().out
    assert digest in text and "| ewma |" in text and "**" in text


def test_uniform_from_reaches_the_negatives_and_names_their_file(tmp_path, capsys):
    """``--uniform-from destinations`` on a user -> item stream: no user is a negative,
    the draw is recorded in the JSON; ``all`` draws users too."""
    rng = np.random.default_rng(2)
    rows = [(t, f"user{u}", f"item{int(rng.integers(0, 8))}") for t in range(8)
            for u in range(30)]
    data = tmp_path / "user_item.csv"
    pd.DataFrame(rows, columns=["t", "src", "dst"]).to_csv(data, index=False)
    base = ["evaluate", "--data", str(data), "--protocol", "ranking", "--window", "3",
            "--val", "1", "--test", "2", "--q", "6", "--baselines", "window-mean", "--json"]
    for kind in ("all", "destinations"):
        neg = tmp_path / f"neg-{kind}.csv"
        res = ranking_json(capsys, [*base, "--uniform-from", kind, "--negatives-out", str(neg)])
        assert res["negatives"]["uniform_from"] == kind
        cand = pd.read_csv(neg)
        users_drawn = cand.loc[cand["label"] == 0, "dst"].str.startswith("user").any()
        assert users_drawn == (kind == "all")


def test_model_is_ranked_on_the_same_candidates_as_score_gives(run, string_id_graph_csv,
                                                                tmp_path, capsys):
    data = str(string_id_graph_csv)
    res = ranking_json(capsys, ["evaluate", str(run), "--data", data, "--protocol", "ranking",
                                "--q", "3", "--baselines", "window-mean", "--json"])
    neg = run / "negatives-test-q3-m1000-s0.csv"
    assert res["negatives"]["path"] == str(neg) and neg.is_file()
    assert set(res["predictors"]) == {"model", "window-mean"}
    scores = tmp_path / "scores.csv"
    assert main(["score", str(run), "--data", data, "--pairs", str(neg),
                 "--out", str(scores)]) == 0
    cand, got = pd.read_csv(neg), pd.read_csv(scores)
    assert list(got.columns) == ["t", "src", "dst", "score", "weight"]
    assert (got[["t", "src", "dst"]].astype(str).values
            == cand[["t", "src", "dst"]].astype(str).values).all()
    ranks = query_ranks(got["score"].to_numpy(), pd.factorize(cand["query"])[0],
                        cand["label"].to_numpy() == 1)
    assert res["predictors"]["model"]["all"]["mrr"] == pytest.approx(np.mean(1 / ranks),
                                                                      abs=1e-6)
    # the same link scores as predict --scores writes for the same targets
    pred = tmp_path / "pred.csv"
    assert main(["predict", str(run), "--data", data, "--out", str(pred), "--scores"]) == 0
    p = pd.read_csv(pred, dtype={"src": str, "dst": str})
    merged = got.astype({"src": str, "dst": str}).merge(p, on=["t", "src", "dst"],
                                                        suffixes=("", "_pred"))
    assert len(merged) > 0
    np.testing.assert_allclose(merged["score"], merged["score_pred"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(merged["weight"], merged["weight_pred"], rtol=1e-6, atol=1e-6)


def test_score_with_a_baseline(string_id_graph_csv, tmp_path):
    pairs = tmp_path / "pairs.csv"
    ids = pd.read_csv(string_id_graph_csv, dtype=str)
    a, b = ids["src"].iloc[0], ids["dst"].iloc[0]
    pairs.write_text(f"t,src,dst\n5,{a},{b}\n20,{a},{b}\n")            # t = T: after the data
    out = tmp_path / "s.csv"
    assert main(["score", "--data", str(string_id_graph_csv), "--predictor", "window-count",
                 "--pairs", str(pairs), "--out", str(out), *SPLIT]) == 0
    got = pd.read_csv(out, dtype={"src": str, "dst": str})
    assert got[["src", "dst"]].values.tolist() == [[a, b], [a, b]]
    assert ((got["score"] >= 0) & (got["score"] <= 3)).all()
    named = tmp_path / "named.tsv"                     # snapshot data: 'time' is an index
    named.write_text(f"Source\tTarget\ttime\n{a}\t{b}\t5\n{a}\t{b}\t20\n")
    assert main(["score", "--data", str(string_id_graph_csv), "--predictor", "window-count",
                 "--pairs", str(named), "--out", str(tmp_path / "n.csv"), *SPLIT]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "n.csv", dtype={"src": str, "dst": str}),
                                  got)


def test_score_with_stacked_heuristics_matches_the_ranking_fit(string_id_graph_csv, tmp_path):
    """``score --predictor stacked-heuristics`` fits on the training targets of --val/--test,
    as ``evaluate --protocol ranking`` does: the same scores for the same pairs."""
    from gcngan.config import DataConfig
    from gcngan.data import chronological_split, load_snapshots
    from gcngan.structural import PairIndex

    ids = pd.read_csv(string_id_graph_csv, dtype=str)
    pairs = tmp_path / "pairs.csv"
    rows = [(t, a, b) for t in (13, 19) for a, b in zip(ids["src"][:4], ids["dst"][::-1][:4])]
    pairs.write_text("t,src,dst\n" + "".join(f"{t},{a},{b}\n" for t, a, b in rows))
    out = tmp_path / "s.csv"
    assert main(["score", "--data", str(string_id_graph_csv), "--predictor",
                 "stacked-heuristics", "--pairs", str(pairs), "--out", str(out), *SPLIT]) == 0
    got = pd.read_csv(out, dtype={"src": str, "dst": str})
    seq = load_snapshots(string_id_graph_csv, DataConfig(window=3, val=3, test=4))
    index = PairIndex(seq)
    model = StackedHeuristics().fit(index, list(chronological_split(20, 3, 3, 4).train), 3)
    pos = {str(x): i for i, x in enumerate(seq.node_ids)}
    for t in (13, 19):
        sel = got["t"] == t
        want, _ = model.score_pairs(index, t, [pos[x] for x in got["src"][sel]],
                                    [pos[x] for x in got["dst"][sel]], 3)
        np.testing.assert_allclose(got["score"][sel], want, rtol=1e-8)


@pytest.mark.parametrize("row, message", [
    ("5,{a},nobody", "pairs.csv:3: unknown node id 'nobody' in column dst"),
    ("2,{a},{b}", "pairs.csv:3: t=2 out of range"),
    ("21,{a},{b}", "pairs.csv:3: t=21 out of range"),
])
def test_score_refuses_bad_rows_and_writes_nothing(string_id_graph_csv, tmp_path, capsys,
                                                   row, message):
    ids = pd.read_csv(string_id_graph_csv, dtype=str)
    a, b = ids["src"].iloc[0], ids["dst"].iloc[0]
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"t,src,dst\n5,{a},{b}\n" + row.format(a=a, b=b) + "\n")
    out = tmp_path / "s.csv"
    capsys.readouterr()
    rc = main(["score", "--data", str(string_id_graph_csv), "--predictor", "adamic-adar",
               "--pairs", str(pairs), "--out", str(out), "--strict", *SPLIT])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [pairs]


def test_score_with_a_run_refuses_an_unknown_node(run, string_id_graph_csv, tmp_path, capsys):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("t,src,dst\n17,ghost,ghost\n")
    out = tmp_path / "s.csv"
    rc = main(["score", str(run), "--data", str(string_id_graph_csv), "--pairs", str(pairs),
               "--out", str(out), "--strict"])
    assert rc == 2 and "pairs.csv:2: unknown node id 'ghost'" in capsys.readouterr().err
    assert not out.exists()


def test_score_ranks_unknown_nodes_last_and_reads_late_rows_from_the_last_window(
        run, string_id_graph_csv, tmp_path, caplog):
    """Without --strict (an external evaluator's queries may reach past the data, its
    negatives name nodes the data never saw): a row past the snapshot after the data is
    scored as t = T (the last window), a row with a node not in the data below every other
    row with weight 0; one warning each, naming the first row; t written as given."""
    ids = pd.read_csv(string_id_graph_csv, dtype=str)
    pairs_ = list(zip(ids["src"][:5], ids["dst"][::-1][:5]))
    rows = ([(20, a, b) for a, b in pairs_] + [(23, a, b) for a, b in pairs_]
            + [(18, "ghost", pairs_[0][1]), (23, pairs_[1][0], "ghost")])
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("t,src,dst\n" + "".join(f"{t},{a},{b}\n" for t, a, b in rows))
    out = tmp_path / "s.csv"
    with caplog.at_level("WARNING", logger="gcngan"):
        assert main(["score", str(run), "--data", str(string_id_graph_csv), "--pairs",
                     str(pairs), "--out", str(out)]) == 0
    got = pd.read_csv(out, dtype={"src": str, "dst": str})
    assert got["t"].tolist() == [t for t, _, _ in rows]
    np.testing.assert_allclose(got["score"][5:10], got["score"][:5])        # 23 as 20 = T
    np.testing.assert_allclose(got["weight"][5:10], got["weight"][:5])
    known = got["score"][:10]
    assert (got["score"][10:] == min(0.0, known.min()) - 1).all()
    assert (got["weight"][10:] == 0).all()
    text = caplog.text
    assert "pairs.csv:7: t=23 is past the snapshot after the data (20) (6 rows): scored " \
           "from the last window, snapshots 17 .. 19" in text
    assert "pairs.csv:12: node id 'ghost' is not in the data (2 rows name such nodes)" in text


def test_cli_refusals(string_id_graph_csv, tmp_path, capsys):
    data = str(string_id_graph_csv)
    pairs = tmp_path / "p.csv"
    pairs.write_text("t,src,dst\n")
    assert main(["score", "--data", data, "--pairs", str(pairs), "--out",
                 str(tmp_path / "o.csv")]) == 2
    assert "exactly one" in capsys.readouterr().err
    assert main(["evaluate", "--data", data]) == 2                       # dense needs a run
    assert "RUN_DIR" in capsys.readouterr().err
    bad = tmp_path / "neg.csv"
    bad.write_text("query,t,src,dst,label\n0,17,x,y,0\n")
    rc = main(["evaluate", "--data", data, "--protocol", "ranking", *SPLIT,
               "--negatives", str(bad)])
    err = capsys.readouterr().err
    assert rc == 2 and "neg.csv:2:" in err and len(err.strip().splitlines()) == 1
    assert main(["evaluate", "--data", data, "--protocol", "ranking", *SPLIT,
                 "--baselines", "katz"]) == 2
    assert "unknown baseline 'katz'" in capsys.readouterr().err


def test_score_past_the_end_matches_a_one_step_forecast(run, string_id_graph_csv, tmp_path):
    """t = T (the snapshot after the data) is scored from the last window, as
    ``predict --steps 1 --scores`` forecasts it."""
    data = str(string_id_graph_csv)
    fc = tmp_path / "fc.csv"
    assert main(["predict", str(run), "--data", data, "--out", str(fc), "--steps", "1",
                 "--scores"]) == 0
    f = pd.read_csv(fc, dtype={"src": str, "dst": str})
    assert len(f) > 0 and (f["t"] == 20).all()
    pairs = tmp_path / "pairs.csv"
    f[["t", "src", "dst"]].to_csv(pairs, index=False)
    out = tmp_path / "s.csv"
    assert main(["score", str(run), "--data", data, "--pairs", str(pairs),
                 "--out", str(out)]) == 0
    got = pd.read_csv(out, dtype={"src": str, "dst": str})
    np.testing.assert_allclose(got["score"], f["score"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got["weight"], f["weight"], rtol=1e-6, atol=1e-6)


def test_model_diagnostics_on_the_validation_targets(run, string_id_graph_csv, tmp_path,
                                                     capsys):
    """``--split val`` ranks the run's 3 validation targets; the trained model (not the
    heuristic) gets the link diagnostics, counted over the distinct candidate pairs with the
    weights ``score`` gives for them."""
    data = str(string_id_graph_csv)
    neg = tmp_path / "val.csv"
    base = ["evaluate", str(run), "--data", data, "--protocol", "ranking", "--split", "val",
            "--q", "3", "--baselines", "window-mean", "--negatives-out", str(neg)]
    res = ranking_json(capsys, [*base, "--json"])
    cand = pd.read_csv(neg, dtype={"src": str, "dst": str})
    assert sorted(cand["t"].unique()) == [13, 14, 15] and res["split"] == "val"
    assert set(res["diagnostics"]) == {"model"}
    d = res["diagnostics"]["model"]
    scores = tmp_path / "scores.csv"
    assert main(["score", str(run), "--data", data, "--pairs", str(neg), "--out",
                 str(scores)]) == 0
    got = pd.read_csv(scores, dtype={"src": str, "dst": str})
    first = ~cand.duplicated(["t", "src", "dst"])
    pos = cand["label"] == 1
    assert d["true_links"] == int((first & pos).sum())
    assert d["predicted_links"] == int((first & (got["weight"] > 0)).sum())
    assert set(d["per_target"]) == {"13", "14", "15"}
    assert sum(p for p, _ in d["per_target"].values()) == d["predicted_links"]
    capsys.readouterr()
    assert main(base) == 0
    assert f"model: {d['predicted_links']} links predicted" in capsys.readouterr().out


def _event_stream(path, hours: int = 12, seed: int = 3) -> None:
    """``timestamp,src,dst`` events over ``hours`` hours, 6 nodes; the first at 1,000,000 s
    (the origin of the hourly snapshots: ingestion buckets from the first event)."""
    rng = np.random.default_rng(seed)
    rows = [(1_000_000 + 3600 * h + int(rng.integers(0, 3600)), *rng.choice(6, 2, replace=False))
            for h in range(hours) for _ in range(8)]
    rows[0] = (1_000_000, 0, 1)
    path.write_text("timestamp,src,dst\n" + "".join(f"{s},n{a},n{b}\n" for s, a, b in rows))


def test_score_reads_event_times_as_the_snapshot_they_fall_in(tmp_path):
    """Pairs given by event time (TGB's queries carry their event's timestamp) are scored at
    the snapshot each falls in — the same scores as by its index ``t`` — and keep the
    given column first; a time in the hour after the data is the snapshot after it."""
    data = tmp_path / "events.csv"
    _event_stream(data)
    base = 1_000_000
    stamps = [base + 3600 * 5, base + 3600 * 7 + 3599, base + 3600 * 12 + 10]   # 5, 7, 12
    rows = [(s, a, b) for s in stamps for a, b in (("n0", "n1"), ("n2", "n3"), ("n4", "n0"))]
    by_time, by_index = tmp_path / "by_time.csv", tmp_path / "by_index.csv"
    by_time.write_text("timestamp,src,dst\n" + "".join(f"{s},{a},{b}\n" for s, a, b in rows))
    by_index.write_text("t,src,dst\n" + "".join(f"{(s - base) // 3600},{a},{b}\n"
                                                 for s, a, b in rows))
    got = {}
    for name, pairs in (("time", by_time), ("index", by_index)):
        got[name] = _window_count_scores(data, pairs, tmp_path / f"scores_{name}.csv")
    assert list(got["time"].columns) == ["timestamp", "t", "src", "dst", "score", "weight"]
    assert got["time"]["t"].tolist() == [5] * 3 + [7] * 3 + [12] * 3
    assert got["time"]["timestamp"].tolist() == [s for s, _, _ in rows]
    pd.testing.assert_frame_equal(got["time"].drop(columns="timestamp"), got["index"])
    assert got["index"]["score"].gt(0).any()           # the pairs were seen in the windows


def _window_count_scores(data, pairs, out, *flags) -> pd.DataFrame:
    """``gcngan score --predictor window-count`` of ``pairs`` on the hourly event stream
    ``data`` (window 3), read back."""
    assert main(["score", "--data", str(data), "--granularity", "1h", "--predictor",
                 "window-count", "--pairs", str(pairs), "--out", str(out), "--window", "3",
                 *flags]) == 0
    return pd.read_csv(out)


def test_score_reads_compressed_pairs_and_negatives(tmp_path):
    """``--pairs pairs.csv.gz`` scores as the plain file; a gzip negatives file is read as
    its text, its digest checked against the file's bytes (``sha256sum`` of the .gz)."""
    import gzip
    import hashlib

    from gcngan.config import DataConfig
    from gcngan.data import load_snapshots
    from gcngan.ranking import read_negatives

    data = tmp_path / "events.csv"
    _event_stream(data)
    text = "t,src,dst\n" + "".join(f"{t},{a},{b}\n" for t in (5, 7) for a, b in
                                   (("n0", "n1"), ("n2", "n3")))
    plain, packed = tmp_path / "pairs.csv", tmp_path / "pairs.csv.gz"
    plain.write_text(text)
    packed.write_bytes(gzip.compress(text.encode()))
    got = []
    for pairs in (plain, packed):
        got.append(_window_count_scores(data, pairs, tmp_path / f"{pairs.name}.scores.csv"))
    pd.testing.assert_frame_equal(got[0], got[1])
    seq = load_snapshots(data, DataConfig(granularity="1h"))
    neg = "query,t,src,dst,label\n0,5,n0,n1,1\n0,5,n0,n2,0\n1,6,n2,n3,1\n1,6,n2,n4,0\n"
    gz = tmp_path / "neg.csv.gz"
    gz.write_bytes(gzip.compress(neg.encode()))
    (tmp_path / "neg.csv.gz.sha256").write_text(
        hashlib.sha256(gz.read_bytes()).hexdigest() + "  neg.csv.gz\n")
    cands = read_negatives(gz, seq, window=3)
    assert cands.label.tolist() == [True, False, True, False]
    assert cands.sha256 == hashlib.sha256(gz.read_bytes()).hexdigest()


def test_score_reads_pairs_timed_in_the_datas_own_time_column(tmp_path):
    """Data read with ``--time-col NAME``: a pairs file with a column of that name holds
    event times (the same scores as by ``t``)."""
    data = tmp_path / "events.csv"
    _event_stream(data)
    named = tmp_path / "named.csv"
    named.write_text(data.read_text().replace("timestamp,", "when_sent,", 1))
    base = 1_000_000
    rows = [(base + 3600 * 5 + 7, "n0", "n1"), (base + 3600 * 7, "n2", "n3")]
    by_time, by_index = tmp_path / "by_time.csv", tmp_path / "by_index.csv"
    by_time.write_text("when_sent,src,dst\n" + "".join(f"{s},{a},{b}\n" for s, a, b in rows))
    by_index.write_text("t,src,dst\n" + "".join(f"{(s - base) // 3600},{a},{b}\n"
                                                 for s, a, b in rows))
    got = _window_count_scores(named, by_time, tmp_path / "a.csv", "--time-col", "when_sent")
    want = _window_count_scores(named, by_index, tmp_path / "b.csv", "--time-col", "when_sent")
    assert got["t"].tolist() == [5, 7]
    pd.testing.assert_frame_equal(got.drop(columns="when_sent"), want)


def test_score_reads_event_times_in_the_unit_of_the_data(tmp_path):
    """A stream of Unix milliseconds (found from the values, or from a ``_ms`` column name)
    is queried in milliseconds: the same snapshots and scores as the stream and its queries
    in seconds."""
    base = 1_600_000_000
    rng = np.random.default_rng(5)
    rows = [(base + 3600 * h + int(rng.integers(0, 3600)), *rng.choice(6, 2, replace=False))
            for h in range(12) for _ in range(8)]
    rows[0] = (base, 0, 1)                          # the origin of the hourly snapshots
    stamps = [base + 3600 * 5, base + 3600 * 7 + 3599, base + 3600 * 12 + 10]
    pairs = [(s, a, b) for s in stamps for a, b in (("n0", "n1"), ("n2", "n3"), ("n4", "n0"))]
    got = {}
    for unit, scale, name in (("s", 1, "timestamp"), ("ms", 1000, "timestamp"),
                              ("ms-named", 1000, "created_at_ms")):
        data, query = tmp_path / f"events_{unit}.csv", tmp_path / f"pairs_{unit}.csv"
        data.write_text(f"{name},src,dst\n" + "".join(f"{s * scale},n{a},n{b}\n"
                                                     for s, a, b in rows))
        query.write_text(f"{name},src,dst\n" + "".join(f"{s * scale},{a},{b}\n"
                                                      for s, a, b in pairs))
        got[unit] = _window_count_scores(data, query, tmp_path / f"scores_{unit}.csv"
                                         ).drop(columns=name)
    assert got["s"]["t"].tolist() == [5] * 3 + [7] * 3 + [12] * 3
    assert got["s"]["score"].gt(0).any()
    pd.testing.assert_frame_equal(got["ms"], got["s"])
    pd.testing.assert_frame_equal(got["ms-named"], got["s"])


@pytest.mark.parametrize("header, row", [
    ("ts,source,target", "{s},{a},{b}"), ("Timestamp\tu\ti", "{s}\t{a}\t{b}"),
    ("time From To", "{s} {a} {b}"), ("day;sender;recipient", "{s};{a};{b}"),
    # JODIE/TGB raw: any number of feature values after the named columns
    ("user_id,item_id,timestamp,state_label,comma_separated_list_of_features",
     "{a},{b},{s}.0,0{features}"),
])
def test_score_reads_pairs_named_and_separated_as_edge_lists_are(tmp_path, header, row):
    """A pairs file may name its columns as the edge list does (any case; ``u,i`` user ->
    item; a JODIE raw file), and use tabs, semicolons or spaces: the same scores as
    ``timestamp,src,dst``."""
    data = tmp_path / "events.csv"
    _event_stream(data)
    stamps = [1_000_000 + 3600 * 5, 1_000_000 + 3600 * 9 + 7]
    rows = [(s, a, b) for s in stamps for a, b in (("n0", "n1"), ("n2", "n3"), ("n4", "n0"))]
    plain, named = tmp_path / "plain.csv", tmp_path / "named.txt"
    plain.write_text("timestamp,src,dst\n" + "".join(f"{s},{a},{b}\n" for s, a, b in rows))
    named.write_text(header + "\n" + "".join(
        row.format(s=s, a=a, b=b, features=",0.5" * (k % 3)) + "\n"
        for k, (s, a, b) in enumerate(rows)))
    got = []
    for pairs in (plain, named):
        got.append(_window_count_scores(data, pairs, tmp_path / f"scores_{pairs.stem}.csv"))
    assert got[1].columns[1:].tolist() == ["t", "src", "dst", "score", "weight"]
    assert got[1]["t"].tolist() == [5] * 3 + [9] * 3
    pd.testing.assert_frame_equal(got[0].iloc[:, 1:], got[1].iloc[:, 1:])
    assert got[1]["score"].gt(0).any()


@pytest.mark.skipif(not os.path.isdir("/dev/fd"), reason="no /dev/fd here")
def test_score_reads_pairs_from_a_pipe(tmp_path):
    """``--pairs <(...)`` names a pipe (/dev/fd/N), which can be read only once: the same
    scores as from the file (it was refused as 'not a CSV', its head read twice)."""
    data = tmp_path / "events.csv"
    _event_stream(data)
    text = "t,src,dst\n" + "".join(f"{t},n{a},n{b}\n" for t in (5, 7)
                                   for a, b in ((0, 1), (2, 3), (4, 0)))
    plain = tmp_path / "plain.csv"
    plain.write_text(text)
    read_end, write_end = os.pipe()
    os.write(write_end, text.encode())                    # far below a pipe's buffer
    os.close(write_end)
    got = []
    try:
        for name, pairs in (("pipe", f"/dev/fd/{read_end}"), ("plain", str(plain))):
            out = tmp_path / f"scores_{name}.csv"
            assert main(["score", "--data", str(data), "--granularity", "1h", "--predictor",
                         "window-count", "--pairs", pairs, "--out", str(out),
                         "--window", "3"]) == 0
            got.append(pd.read_csv(out))
    finally:
        os.close(read_end)
    pd.testing.assert_frame_equal(got[0], got[1])
    assert len(got[0]) == 6 and got[0]["score"].gt(0).any()


@pytest.mark.parametrize("text, where", [
    ("t,src,dst\n5,n0,n1,7\n", ":2: more fields than the 3 header"),
    ("t,src,dst\n5,n0,n1\n6,n0,n1,7\n", ": line 3: expected 3 fields, found 4"),
])
def test_score_refuses_pair_rows_longer_than_the_header(tmp_path, capsys, text, where):
    """A row longer than its header (not a feature-list header) is refused with its line:
    pandas would shift it into an index and read the wrong columns."""
    data, bad, out = tmp_path / "events.csv", tmp_path / "bad.csv", tmp_path / "scores.csv"
    _event_stream(data)
    bad.write_text(text)
    assert main(["score", "--data", str(data), "--granularity", "1h", "--predictor",
                 "window-count", "--window", "3", "--pairs", str(bad), "--out", str(out)]) == 2
    assert f"{bad}{where}" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize("snapshots_data, row, message", [
    (False, "{s},n0,n1", "timestamp={s} (snapshot 2) out of range: a target needs a full "
                         "window of 3 before it (3 .. 12)"),
    (False, "yesterday,n0,n1", "column 'timestamp': unparseable timestamp 'yesterday'"),
    (True, "{s},x,y", "column 'timestamp' holds event times, but the data are snapshots"),
])
def test_score_refuses_bad_event_times(string_id_graph_csv, tmp_path, capsys, snapshots_data,
                                       row, message):
    data = tmp_path / "events.csv"
    _event_stream(data)
    s = 1_000_000 + 3600 * 2 + 5
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("timestamp,src,dst\n" + row.format(s=s) + "\n")
    out = tmp_path / "s.csv"
    args = (["--data", str(string_id_graph_csv), *SPLIT] if snapshots_data
            else ["--data", str(data), "--granularity", "1h", "--window", "3"])
    capsys.readouterr()
    rc = main(["score", "--predictor", "window-count", *args, "--pairs", str(pairs),
               "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and message.format(s=s) in err and len(err.strip().splitlines()) == 1, err
    assert "pairs.csv:" in err and not out.exists()


def test_score_says_t_is_an_index_when_event_data_get_times_in_t(tmp_path, capsys):
    """``predict`` labels an event stream's snapshots with their start times: such a ``t``
    given back to ``score`` is refused with a pointer to the timestamp column."""
    data = tmp_path / "events.csv"
    _event_stream(data)
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"t,src,dst\n{1_000_000 + 3600 * 5},n0,n1\n")
    capsys.readouterr()
    rc = main(["score", "--predictor", "window-count", "--data", str(data), "--granularity",
               "1h", "--window", "3", "--pairs", str(pairs), "--out", str(tmp_path / "s.csv"),
               "--strict"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "t=1018000 out of range" in err and "column named timestamp" in err


def test_ranking_reads_negatives_given_by_event_time(tmp_path, capsys):
    """A negatives file whose rows carry event times instead of t (TGB's, on event data)
    ranks as the same file with t: each row at the snapshot its time falls in."""
    data = tmp_path / "events.csv"
    _event_stream(data, hours=16)
    base = ["evaluate", "--data", str(data), "--granularity", "1h", "--protocol", "ranking",
            "--window", "3", "--val", "2", "--test", "3", "--q", "3", "--json",
            "--baselines", "window-count,ewma"]
    neg = tmp_path / "neg.csv"
    first = ranking_json(capsys, [*base, "--negatives-out", str(neg)])
    df = pd.read_csv(neg, dtype=str)
    timed = tmp_path / "timed.csv"
    df.assign(timestamp=[1_000_000 + 3600 * int(t) + 59 for t in df["t"]]).drop(
        columns="t").to_csv(timed, index=False)
    again = ranking_json(capsys, [*base, "--negatives", str(timed)])
    assert again["predictors"] == first["predictors"] and again["queries"] == first["queries"]
