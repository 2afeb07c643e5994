"""Two id spaces through the command line: a JODIE raw file (``user_id,item_id,...``, users
and items each counted from 0) trains, scores and predicts with user ``k`` and item ``k``
as two nodes — exactly as the same stream with its item ids offset, read with
``--bipartite`` (pairs in, edge lists out, in each file's own ids); the dense family refuses
two id spaces with one line."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from gcngan.cli import main

SMALL = ["--set", "max_links=40", "--set", "negatives=6", "--set", "val_queries=40",
         "--set", "val_q=20", "--set", "gcn_channels=8,8", "--set", "lstm_hidden=8",
         "--set", "noise_dim=8", "--set", "decoder_hidden=16", "--set", "critic_hidden=16",
         "--window", "3", "--val", "2", "--test", "2", "--epochs", "1", "--seed", "0",
         "--granularity", "100", "--quiet"]
OFFSET = 1000


@pytest.fixture(scope="module")
def streams(tmp_path_factory):
    """The same user -> item stream twice: JODIE raw (items 0..14, shared with users
    0..29) and ``src,dst`` with the items at 1000..1014; 12 snapshots of 100 s."""
    root = tmp_path_factory.mktemp("two_spaces")
    rng = np.random.default_rng(0)
    rows = [(u, (u + int(rng.integers(0, 3))) % 15, 100 * t + k)
            for t in range(12) for k, u in enumerate(rng.choice(30, 25, replace=False))]
    jodie, offset = root / "jodie.csv", root / "offset.csv"
    jodie.write_text("user_id,item_id,timestamp,state_label,comma_separated_list_of_features\n"
                     + "".join(f"{u},{i},{s}.0,0,0.1,0.2\n" for u, i, s in rows))
    offset.write_text("src,dst,timestamp\n"
                      + "".join(f"{u},{i + OFFSET},{s}\n" for u, i, s in rows))
    return root, jodie, offset


def test_jodie_ids_train_score_and_predict_as_the_offset_stream(streams):
    root, jodie, offset = streams
    runs = {}
    for name, data, flags in (("jodie", jodie, []), ("offset", offset, ["--bipartite"])):
        run = root / f"run_{name}"
        assert main(["train", str(data), "--out", str(run), *SMALL, *flags]) == 0
        runs[name] = run
    config = json.loads((runs["jodie"] / "config.json").read_text())
    assert config["data"]["bipartite"] is True
    state = torch.load(runs["jodie"] / "best.pt", weights_only=True)
    assert state["data"]["num_sources"] == 30 and state["data"]["num_nodes"] == 45
    pairs = [(3, 3), (3, 4), (7, 0), (29, 14), (0, 14)]
    scored = {}
    for name, shift in (("jodie", 0), ("offset", OFFSET)):
        path, out = root / f"pairs_{name}.csv", root / f"scores_{name}.csv"
        path.write_text("src,dst,timestamp\n" + "".join(f"{u},{i + shift},1150\n"
                                                        for u, i in pairs))
        assert main(["score", str(runs[name]), "--pairs", str(path), "--out", str(out)]) == 0
        scored[name] = pd.read_csv(out)
    a, b = scored["jodie"], scored["offset"]
    assert a["dst"].tolist() == [i for _, i in pairs]
    assert (b["dst"] - OFFSET).tolist() == a["dst"].tolist()
    np.testing.assert_allclose(a["score"], b["score"], rtol=1e-6)
    assert a["score"].nunique() > 1
    preds = {}
    for name in runs:
        out = root / f"pred_{name}.csv"
        assert main(["predict", str(runs[name]), "--out", str(out), "--scores"]) == 0
        preds[name] = pd.read_csv(out)
    a, b = preds["jodie"], preds["offset"]
    assert len(a) and (b["dst"] >= OFFSET).all() and (b["src"] < OFFSET).all()   # u -> i only
    assert a["dst"].tolist() == (b["dst"] - OFFSET).tolist() and a["src"].equals(b["src"])
    np.testing.assert_allclose(a["score"], b["score"], rtol=1e-6)


def test_dense_family_and_one_space_flags_refuse_two_id_spaces(streams, capsys):
    root, jodie, _ = streams
    for flags, message in ((["--preset", "dense"], "the dense family predicts every N x N "
                                                   "entry, one id space"),
                           (["--undirected"], "--undirected needs one id space")):
        out = root / f"refused{len(flags)}"
        capsys.readouterr()
        assert main(["train", str(jodie), "--out", str(out), *SMALL, *flags]) == 2
        err = capsys.readouterr().err
        assert message in err and "--one-id-space" in err and "Traceback" not in err
        assert not out.exists()
    assert main(["data", "inspect", str(jodie), "--granularity", "100"]) == 0
    assert "id spaces   two: 30 sources, 15 destinations" in capsys.readouterr().out
    assert main(["data", "inspect", str(jodie), "--granularity", "100", "--one-id-space"]) == 0
    assert "id spaces" not in capsys.readouterr().out
