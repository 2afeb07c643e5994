"""``gcngan check DATA [--json]``: exit 0 when all four checks pass, 1 when one fails,
2 for bad input; ``--json`` prints only ``{"checks": [...]}``."""
import json

import pytest

from gcngan.cli import main

SMALL = ["--preset", "paper", "--set", "noise_dim=4", "--set", "gcn_channels=8,4",
         "--set", "lstm_hidden=32", "--set", "critic_hidden=32,16", "--device", "cpu",
         "--batch-size", "8"]


@pytest.fixture(scope="module")
def mesh_csv(tmp_path_factory):
    from gcngan.data.edgelist import write_edges
    from gcngan.data.synthetic import generate_mesh

    path = tmp_path_factory.mktemp("checkcli") / "mesh.csv"
    write_edges(path, generate_mesh(num_nodes=8, num_snapshots=60, seed=3).adj)
    return path


def test_check_json_all_pass(mesh_csv, capsys):
    rc = main(["check", str(mesh_csv), "--json", *SMALL, "--window", "4", "--val", "6",
               "--test", "6"])
    out = capsys.readouterr().out
    doc = json.loads(out)                               # stdout is exactly one JSON object
    assert list(doc) == ["checks"]
    assert [c["name"] for c in doc["checks"]] == ["data", "critic", "generator", "training"]
    for c in doc["checks"]:
        assert set(c) == {"name", "passed", "value", "detail"}
    assert all(c["passed"] for c in doc["checks"]), doc
    assert rc == 0


def test_check_failure_exits_1_and_bad_input_exits_2(mesh_csv, tmp_path, capsys):
    # more validation + test targets than the data has: the data check fails
    rc = main(["check", str(mesh_csv), *SMALL, "--val", "40", "--test", "40"])
    captured = capsys.readouterr()
    assert rc == 1
    assert "[FAIL] 1. data" in captured.out and "failed: data" in captured.err
    assert main(["check", str(tmp_path / "missing.csv")]) == 2
    assert main(["check", str(mesh_csv), "--set", "loss=hinge"]) == 2


@pytest.mark.parametrize("preset", [[], ["--preset", "default"], ["--preset", "sparse"]])
def test_check_refuses_the_sparse_model_in_one_line(mesh_csv, preset, capsys):
    """The checks build N x N snapshots and critics: the sparse model (the default since
    issue 15) is refused with a line naming the dense presets, not a traceback."""
    assert main(["check", str(mesh_csv), *preset]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--preset dense or paper" in err[0], err


def test_check_mesh1_passes(shared_file, capsys):
    """The real dataset passes all four (issue 6); the paper model with a smaller LSTM keeps
    the test fast (the full dense configuration passes too, in about half a minute)."""
    rc = main(["check", str(shared_file("mesh1/mesh1.csv")), "--json", "--device", "cpu",
               "--preset", "paper", "--set", "model.lstm_hidden=128"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0, [c["detail"] for c in doc["checks"] if not c["passed"]]
