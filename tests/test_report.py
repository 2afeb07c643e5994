"""Plain-words summary of an evaluation table (gcngan/report.py): winners are read off the
numbers, reasons appear only when the numbers show them."""
import math

from gcngan.report import summarize_table, winners


def table(**cols):
    """``table(rmse=(model, copy-last, ewma), ...)`` -> evaluate-style rows."""
    names = ("model", "copy-last", "ewma")
    return {n: {m: {"mean": v[i], "std": 0.1} for m, v in cols.items()}
            for i, n in enumerate(names)}


def test_winners_follow_the_direction_of_each_metric():
    rows = table(rmse=(3.0, 2.0, 1.0), auc=(0.9, 0.8, 0.7), ap=(0.1, 0.5, 0.5),
                 mae=(1.0, math.nan, 2.0), kl=(None, None, 1.0))
    assert winners(rows) == {"rmse": ["ewma"], "mae": ["model"], "auc": ["model"],
                             "ap": ["copy-last", "ewma"]}          # tie; kl: one value only


def test_summary_counts_wins_and_gaps_and_changes_with_the_numbers():
    rows = table(rmse=(22.43, 25.0, 20.94), mae=(5.0, 6.0, 5.5), mismatch_rate=(0.05, 0.03, 0.06),
                 mlsd=(0.5, 0.3, 0.6), auc=(0.97, 0.96, 0.95))
    lines = summarize_table(rows)
    assert lines[0].startswith("reading the table: lower is better except for auc "
                               "(higher is better); best: rmse ewma, mae model, ")
    assert lines[1] == ("the model wins 2 of 5 metrics (mae, auc); copy-last wins 2 "
                        "(mlsd 40% lower, mismatch_rate 40% lower than the model); "
                        "ewma wins 1 (rmse 7% lower than the model)")
    assert any(line.startswith("why copy-last wins mlsd, mismatch_rate: the links persist; "
                               "only 3.0% of entries switch") for line in lines)
    assert any(line.startswith("why ewma wins rmse: the weights fluctuate") for line in lines)
    # the model gets better on rmse: the summary follows, and the ewma reason goes away
    rows["model"]["rmse"]["mean"] = 20.0
    lines = summarize_table(rows)
    assert lines[1].startswith("the model wins 3 of 5 metrics (rmse, mae, auc)")
    assert not any("ewma wins" in line for line in lines)


def test_reasons_only_when_the_numbers_show_them():
    # copy-last wins mismatch, but links flip at 40% of entries: no "links persist"
    rows = table(mismatch_rate=(0.5, 0.4, 0.45), rmse=(1.0, 3.0, 2.0))
    lines = summarize_table(rows)
    assert len(lines) == 2 and "persist" not in " ".join(lines)
    # no copy-last row: no claim about averaging vs repeating
    rows = {"model": {"rmse": {"mean": 2.0}}, "ewma": {"rmse": {"mean": 1.0}}}
    assert len(summarize_table(rows)) == 2


def test_wrapped_lines_hold_the_same_words():
    rows = table(rmse=(22.43, 25.0, 20.94), mae=(5.0, 6.0, 5.5), mismatch_rate=(0.05, 0.03, 0.06),
                 mlsd=(0.5, 0.3, 0.6), auc=(0.97, 0.96, 0.95))
    one, wrapped = summarize_table(rows), summarize_table(rows, width=60)
    assert len(wrapped) > len(one) and max(map(len, wrapped)) <= 60
    assert " ".join(one).split() == " ".join(wrapped).split()
    assert sum(not line.startswith("    ") for line in wrapped) == len(one)


def test_other_model_name_and_nothing_to_compare():
    rows = {"gcn": {"rmse": {"mean": 1.0}, "auc": {"mean": 0.6}},
            "mean": {"rmse": {"mean": 2.0}, "auc": {"mean": 0.7}}}
    lines = summarize_table(rows, model="gcn")
    assert lines[1] == ("the gcn wins 1 of 2 metrics (rmse); "
                        "mean wins 1 (auc 17% higher than the gcn)")
    assert summarize_table({"model": {"rmse": {"mean": 1.0}}}) == []
    assert summarize_table({"a": {"auc": {"mean": 0.5}}, "b": {"auc": {"mean": 0.6}}})[0] \
        .startswith("reading the table: higher is better for every metric; best: auc b")


def test_evaluate_text_ends_with_the_summary_of_its_own_numbers(tmp_path, string_id_graph_csv,
                                                                 capsys):
    import json

    from gcngan.cli import main

    data, run = str(string_id_graph_csv), tmp_path / "run"
    small = ["--set", "noise_dim=4", "--set", "gcn_channels=4,3", "--set", "lstm_hidden=16",
             "--set", "critic_hidden=12,6", "--window", "3", "--val", "3", "--test", "4"]
    assert main(["train", data, "--out", str(run), "--epochs", "1", "--device", "cpu",
                 "--preset", "paper", "--quiet", *small]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(run), "--data", data, "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    expected = summarize_table({"model": res["model"], **res["baselines"]}, width=100)
    assert len(expected) >= 2 and max(map(len, expected)) <= 100
    assert main(["evaluate", str(run), "--data", data]) == 0
    out = capsys.readouterr().out.rstrip("\n").splitlines()
    assert out[-len(expected):] == expected
