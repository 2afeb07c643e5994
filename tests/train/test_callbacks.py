"""The hooks of :meth:`Trainer.fit` (:mod:`gcngan.train.callbacks`): when they are called,
what they see, and that they do not change training."""
import csv
import logging

import torch
from test_trainer import TINY, tiny_seq, tiny_trainer

from gcngan.config import build_config
from gcngan.train import Trainer
from gcngan.train.callbacks import LOG_COLUMNS, Callback, HealthWarnings, default_callbacks


class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_fit_start(self, trainer, total_epochs, n_batches):
        self.calls.append(("start", total_epochs, n_batches))

    def on_batch_end(self, trainer, stats):
        self.calls.append(("batch", sorted(stats)))

    def on_epoch_end(self, trainer, row):
        assert trainer.history[-1] is row                     # the row joined the history
        self.calls.append(("epoch", row["epoch"]))

    def on_fit_end(self, trainer, completed):
        self.calls.append(("end", completed))


def test_hooks_are_called_in_order_and_do_not_change_training():
    cfg = build_config("paper", overrides=TINY + ["epochs=2"])
    rec = Recorder()
    hooked = Trainer(cfg, tiny_seq(), quiet=True, callbacks=[rec])    # seeds the global RNG
    hooked.fit()
    plain = Trainer(cfg, tiny_seq(), quiet=True, callbacks=[])
    plain.fit()
    n_batches = len(hooked.batches(0))
    assert rec.calls[0] == ("start", 2, n_batches) and rec.calls[-1] == ("end", True)
    assert [c for c in rec.calls if c[0] == "epoch"] == [("epoch", 1), ("epoch", 2)]
    assert sum(c[0] == "batch" for c in rec.calls) == 2 * n_batches
    assert ("batch", ["W", "d_loss", "g_loss"]) in rec.calls     # progress_stats of WGAN
    for a, b in zip(hooked.generator.parameters(), plain.generator.parameters()):
        assert torch.equal(a, b)


def test_default_callbacks_follow_the_run_directory(tmp_path):
    names = [type(c).__name__ for c in default_callbacks(tiny_trainer(), quiet=True)]
    assert names == ["HealthWarnings"]
    tr = tiny_trainer(run_dir=tmp_path)
    assert [type(c).__name__ for c in tr.callbacks] == ["HealthWarnings", "CsvLog", "RunPlots"]
    tr.fit()
    with open(tmp_path / "log.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(tr.history) and list(rows[0])[:2] == list(LOG_COLUMNS[:2])
    assert (tmp_path / "losses.png").is_file()


def test_health_warning_waits_for_three_earlier_adversarial_epochs(caplog):
    class Stub:
        loss = type("L", (), {"wasserstein": True})()
        history = []

    hw, stub = HealthWarnings(), Stub()
    with caplog.at_level(logging.WARNING, logger="gcngan.train"):
        for epoch in range(1, 6):
            row = {"epoch": epoch, "phase": "adversarial", "d_loss": 0.0}
            stub.history.append(row)
            hw.on_epoch_end(stub, row)
    flat = [r for r in caplog.records if "stuck at zero" in r.getMessage()]
    assert len(flat) == 1 and "epoch 4" in flat[0].getMessage()     # once, after 3 earlier
