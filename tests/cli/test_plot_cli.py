"""``gcngan plot RUN_DIR``: history plots from log.csv, prediction plot with the data."""
import pytest

from gcngan.cli import main

SMALL = ["--preset", "paper", "--set", "noise_dim=4", "--set", "gcn_channels=4,3",
         "--set", "lstm_hidden=16", "--set", "critic_hidden=12,6", "--device", "cpu",
         "--batch-size", "8", "--window", "3", "--val", "3", "--test", "4"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from gcngan.data.synthetic import generate_mesh
    from gcngan.data.edgelist import write_edges

    root = tmp_path_factory.mktemp("plotcli")
    seq = generate_mesh(num_nodes=6, num_snapshots=24, seed=2)
    data = root / "mesh.csv"
    write_edges(data, seq.adj)
    out = root / "run"
    assert main(["train", str(data), "--out", str(out), "--epochs", "2", "--quiet", *SMALL]) == 0
    return out, data


def test_training_writes_all_plots(run):
    out, _ = run
    for name in ("losses.png", "metrics.png", "prediction.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"


def test_plot_cli(run, capsys):
    out, data = run
    for name in ("losses.png", "metrics.png", "prediction.png"):
        (out / name).unlink()
    assert main(["plot", str(out), "--data", str(data), "--target", "22"]) == 0
    assert "prediction.png" in capsys.readouterr().out
    assert all((out / n).exists() for n in ("losses.png", "metrics.png", "prediction.png"))
    # the data path recorded in the checkpoint is used when --data is absent
    (out / "prediction.png").unlink()
    assert main(["plot", str(out)]) == 0
    assert (out / "prediction.png").exists()


def test_plot_cli_errors(run, tmp_path, capsys):
    out, data = run
    assert main(["plot", str(out), "--data", str(data), "--target", "3"]) == 2
    assert "not a test target" in capsys.readouterr().err
    assert main(["plot", str(tmp_path / "nope")]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["plot", str(empty)]) == 2
    assert "log.csv" in capsys.readouterr().err
