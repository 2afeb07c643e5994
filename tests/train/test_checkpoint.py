import os

import pytest
import torch

from gcngan.errors import CheckpointError
from gcngan.train import check_data_matches, load_checkpoint, save_checkpoint
from gcngan.train.checkpoint import generator_from_checkpoint, get_rng_state, set_rng_state

from test_trainer import tiny_seq, tiny_trainer


def test_save_load_identical_predictions(tmp_path):
    tr = tiny_trainer("epochs=1", run_dir=tmp_path)
    tr.fit()
    state = load_checkpoint(tmp_path / "last.pt")
    gen, cfg = generator_from_checkpoint(state)
    assert cfg.to_dict() == tr.config.to_dict()
    adj_seq, _ = tr.train_set.batch(torch.arange(4))
    g = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    torch.testing.assert_close(gen.predict(adj_seq, generator=g()),
                               tr.generator.predict(adj_seq, generator=g()), rtol=0, atol=0)
    for key in ("format_version", "versions", "config", "data", "generator", "critic", "opt_g",
                "opt_d", "epoch", "step", "best_metric", "metrics", "rng"):
        assert key in state
    assert state["data"]["node_ids"] == list(range(5)) and state["data"]["directed"] is False
    best = load_checkpoint(tmp_path / "best.pt")
    assert best["opt_g"] is None


def test_load_uses_weights_only_and_refuses_code(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pt"
    torch.save({"format_version": 1, "payload": Evil()}, path)
    if marker.exists():                      # torch.save does not run it; be sure
        marker.unlink()
    with pytest.raises(CheckpointError, match="unsafe"):
        load_checkpoint(path)
    assert not marker.exists()


def test_corrupt_truncated_missing(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "none.pt")
    good = tmp_path / "good.pt"
    save_checkpoint(good, {"config": {}, "data": {}, "generator": {}, "epoch": 0, "step": 0})
    trunc = tmp_path / "trunc.pt"
    trunc.write_bytes(good.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(trunc)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(os.urandom(256))
    with pytest.raises(CheckpointError):
        load_checkpoint(junk)
    with pytest.raises(CheckpointError, match="data record lacks"):
        load_checkpoint(good)
    partial = tmp_path / "partial.pt"
    torch.save({"format_version": 1, "config": {}}, partial)
    with pytest.raises(CheckpointError, match="missing data, generator"):
        load_checkpoint(partial)
    plain = tmp_path / "plain.pt"
    torch.save([1, 2], plain)
    with pytest.raises(CheckpointError, match="top level"):
        load_checkpoint(plain)


def test_atomic_save_leaves_no_temp_files(tmp_path):
    save_checkpoint(tmp_path / "a.pt", {"x": torch.ones(2)})
    assert [p.name for p in tmp_path.iterdir()] == ["a.pt"]


def test_data_must_match(tmp_path):
    tr = tiny_trainer("epochs=1")
    state = tr.state_dict()
    check_data_matches(state, tr.data)
    with pytest.raises(CheckpointError, match="5 nodes, the data has 6"):
        check_data_matches(state, tiny_seq(N=6))
    other = tiny_seq(seed=1)
    with pytest.raises(CheckpointError, match="fingerprint"):
        check_data_matches(state, other)
    renamed = tiny_seq()
    renamed.node_ids = list("abcde")
    with pytest.raises(CheckpointError, match="node ids"):
        check_data_matches(state, renamed)


def test_rng_state_round_trip(tmp_path):
    import random

    import numpy as np

    state = get_rng_state()
    path = tmp_path / "rng.pt"
    save_checkpoint(path, {"rng": state})
    loaded = torch.load(path, weights_only=True)["rng"]
    a = (torch.rand(3), np.random.rand(), random.random())
    set_rng_state(loaded)
    b = (torch.rand(3), np.random.rand(), random.random())
    assert torch.equal(a[0], b[0]) and a[1] == b[1] and a[2] == b[2]


def test_checkpoint_keeps_the_hedge_delta(tmp_path):
    from test_trainer import DENSE_TINY

    from gcngan.config import build_config
    from gcngan.train import Trainer

    cfg = build_config("dense", overrides=DENSE_TINY)
    tr = Trainer(cfg, tiny_seq(), run_dir=tmp_path, quiet=True)
    tr.fit()
    tr.generator.decoder.delta.fill_(0.0625)
    tr.save("x.pt")
    gen, _ = generator_from_checkpoint(load_checkpoint(tmp_path / "x.pt"))
    assert float(gen.decoder.delta) == 0.0625
    assert float(gen.decoder.log_floor) == float(tr.generator.decoder.log_floor)
    adj_seq, _ = tr.train_set.batch(torch.arange(4))
    g = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    torch.testing.assert_close(gen.predict(adj_seq, samples=2, generator=g()),
                               tr.generator.predict(adj_seq, samples=2, generator=g()),
                               rtol=0, atol=0)
