"""Optional TensorBoard logging (gcngan/train/tblog.py, ``train.tensorboard``)."""
import importlib.util

import pytest

from gcngan.config import build_config
from gcngan.errors import ConfigError
from gcngan.train import tblog

HAS_TB = importlib.util.find_spec("tensorboard") is not None
SMALL = ["device=cpu", "noise_dim=4", "gcn_channels=4,3", "lstm_hidden=8", "critic_hidden=8",
         "batch_size=8", "tensorboard=true"]


def test_missing_tensorboard_is_a_config_error(monkeypatch, tiny_adj):
    from gcngan.data import SnapshotSequence
    from gcngan.train import Trainer

    monkeypatch.setattr(tblog, "tensorboard_available", lambda: False)
    with pytest.raises(ConfigError, match="gcngan\\[tensorboard\\]"):
        tblog.require_tensorboard()
    cfg = build_config("paper", None, SMALL)
    cfg.data.window, cfg.data.val, cfg.data.test = 3, 2, 2
    seq = SnapshotSequence(tiny_adj, list(range(8)), directed=True)
    with pytest.raises(ConfigError, match="train.tensorboard"):
        Trainer(cfg, seq)


@pytest.mark.skipif(not HAS_TB, reason="tensorboard is not installed (optional extra)")
def test_tensorboard_event_files(tmp_path, tiny_adj):
    from gcngan.data import SnapshotSequence
    from gcngan.train import Trainer

    cfg = build_config("paper", None, SMALL + ["epochs=2"])
    cfg.data.window, cfg.data.val, cfg.data.test = 3, 2, 2
    seq = SnapshotSequence(tiny_adj, list(range(8)), directed=True)
    Trainer(cfg, seq, run_dir=tmp_path, quiet=True).fit()
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
