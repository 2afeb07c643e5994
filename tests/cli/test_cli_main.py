"""The error boundary of ``gcngan.cli.main``: one line, exit status 2, the user's words."""
from __future__ import annotations

import pytest

from gcngan.cli import main


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def error_line(capsys, *argv) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1, (code, out, err)
    return err.strip()


@pytest.mark.parametrize("argv, expected", [
    (("--max-threshold", "-5"), "--max-threshold -5.0 must be > 0 (data.max_threshold)"),
    (("--epochs", "0"), "--epochs 0 must be > 0 (train.epochs)"),
    (("--batch-size", "-1"), "--batch-size -1 must be > 0 (train.batch_size)"),
    (("--val", "-2"), "--val -2 must be >= 0 (data.val)"),
])
def test_bad_flag_values_name_the_flag(capsys, tiny_csv, tmp_path, argv, expected):
    line = error_line(capsys, "train", str(tiny_csv), "--out", "run", *argv)
    assert line == f"gcngan: error: {expected}"
    assert not (tmp_path / "run").exists()


def test_nested_commands_name_the_flag_too(capsys, tiny_csv):
    line = error_line(capsys, "data", "inspect", str(tiny_csv), "--top-k", "0")
    assert line == "gcngan: error: --top-k 0 must be > 0 (data.top_k)"


def test_values_from_set_or_a_config_file_keep_the_field_name(capsys, tiny_csv, tmp_path):
    line = error_line(capsys, "train", str(tiny_csv), "--out", "run", "--set",
                      "train.epochs=-3")
    assert line == "gcngan: error: train.epochs=-3 must be > 0"
    cfg = tmp_path / "c.json"
    cfg.write_text('{"model": {"dropout": 1.5}}')
    line = error_line(capsys, "train", str(tiny_csv), "--out", "run", "--config", str(cfg))
    assert line == "gcngan: error: model.dropout=1.5 must be in [0, 1)"


def test_library_warnings_carry_the_prefix_in_every_command(capsys, tmp_path):
    data = tmp_path / "neg.csv"
    data.write_text("t,src,dst,weight\n0,0,1,-2\n0,1,2,3\n1,0,1,1\n1,1,2,2\n2,0,1,1\n")
    assert main(["data", "inspect", str(data), "--negative", "shift"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"gcngan: {data}: shifted every weight by 3 "), err


def test_a_process_that_left_a_process_group_ends_without_finalisation(monkeypatch, tiny_csv):
    """A rank of a multi-process job ends with os._exit and the command's status (gloo's
    worker threads can abort the interpreter's finalisation); other processes return."""
    from gcngan.train import distributed

    exits = []

    def fake_exit(code):
        exits.append(code)
        raise SystemExit(code)

    monkeypatch.setattr("os._exit", fake_exit)
    monkeypatch.setattr("logging.shutdown", lambda: None)     # keep pytest's handlers open
    assert main(["data", "inspect", str(tiny_csv), "--top-k", "0"]) == 2 and exits == []
    monkeypatch.setattr(distributed, "_left_a_group", True)
    with pytest.raises(SystemExit):
        main(["data", "inspect", str(tiny_csv), "--top-k", "0"])
    assert exits == [2]
