"""``--resume``'s config merge, now library code: :func:`gcngan.config.build_config` with a
``base``, :func:`gcngan.config.resume_changes` and :func:`gcngan.train.checkpoint.resume_config`."""
import pytest

from gcngan.config import RESUMABLE, build_config, resume_changes
from gcngan.errors import CheckpointError, InputError
from gcngan.train.checkpoint import resume_config


def stored(**train):
    cfg = build_config("paper", overrides=[f"train.{k}={v}" for k, v in train.items()])
    return {"config": cfg.to_dict(), "partial_epoch": None}


def test_build_config_on_a_base_keeps_it_unless_a_preset_is_given():
    base = build_config("paper", overrides=["lstm_hidden=8"])
    assert build_config(None, base=base) == base
    assert build_config(None, None, ["epochs=7"], base=base).train.epochs == 7
    assert build_config(None, base=base, train={"epochs": 3, "seed": None}).train.epochs == 3
    again = build_config("paper", base=base)                   # the preset applies on top
    assert again.model.lstm_hidden == 1024


def test_resume_accepts_training_length_and_refuses_the_rest(tmp_path):
    state = stored(epochs=5)
    cfg = resume_config(state, tmp_path, train={"epochs": 9, "device": None})
    assert cfg.train.epochs == 9 and "train.epochs" in RESUMABLE
    with pytest.raises(InputError, match=r"model.lstm_hidden: 1024 -> 8"):
        resume_config(state, tmp_path, overrides=["lstm_hidden=8"])
    with pytest.raises(InputError, match="data.window: 10 -> 4"):
        resume_config(state, tmp_path, data={"window": 4})
    with pytest.raises(CheckpointError, match="stored config is invalid"):
        resume_config({"config": {"train": {"epochs": -1}}}, tmp_path)


def test_batch_size_changes_only_at_an_epoch_boundary():
    a = build_config("paper")
    b = build_config("paper", overrides=["batch_size=4"])
    assert resume_changes(a, b) == []
    (line,) = resume_changes(a, b, mid_epoch=True)
    assert line.startswith("train.batch_size: 32 -> 4") and "epoch boundary" in line
