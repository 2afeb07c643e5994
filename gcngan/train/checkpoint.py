"""Checkpoints: one plain dict of Python scalars, strings, lists, dicts and tensors.

Because nothing else is inside, :func:`load_checkpoint` can use
``torch.load(..., weights_only=True)``: a file whose unpickling would import or call
anything is refused before any code runs. Writes go through :mod:`gcngan.io` (temporary
file in the same directory, fsync, rename), so a crash leaves the previous file intact.

Keys (``FORMAT_VERSION`` 1):

==================  ================================================================
format_version      int
versions            ``{"gcngan", "torch", "python"}`` strings
config              ``ExperimentConfig.to_dict()``
data                ``{"fingerprint", "num_nodes", "num_snapshots", "directed",
                    "node_ids", "scaler": {"kind", "denom"}, "source", "path"}``
                    (``source`` as given, ``path`` absolute: later commands' default data)
generator, critic   ``state_dict()`` of the (uncompiled) modules
opt_g, opt_d        optimiser ``state_dict()`` (``None`` in a weights-only checkpoint)
epoch, step         completed epochs, generator steps
best_metric         best validation RMSE so far (``None`` before the first validation)
best_epoch          epoch of ``best_metric``
metrics             last validation metrics ``{name: float}``
history             per-epoch log rows (list of dicts)
rng                 ``{"torch", "cuda", "numpy", "python"}`` states as tensors
==================  ================================================================
"""
from __future__ import annotations

import pickle
import platform
import random
import re
import zipfile
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

from gcngan import __version__
from gcngan.errors import CheckpointError
from gcngan.io import atomic_path

FORMAT_VERSION = 1
REQUIRED_KEYS = ("format_version", "config", "data", "generator", "epoch", "step")
DATA_KEYS = ("fingerprint", "num_nodes", "node_ids", "directed", "scaler")


def versions() -> dict:
    return {"gcngan": str(__version__), "torch": str(torch.__version__),
            "python": str(platform.python_version())}


def data_record(seq) -> dict:
    """The ``data`` entry of a checkpoint for a :class:`~gcngan.data.SnapshotSequence`."""
    ids = [i if isinstance(i, (int, str)) and not isinstance(i, bool) else str(i)
           for i in (int(i) if isinstance(i, np.integer) else i for i in seq.node_ids)]
    record = {"fingerprint": seq.fingerprint, "num_nodes": seq.num_nodes,
              "num_snapshots": seq.num_snapshots, "directed": bool(seq.directed),
              "node_ids": ids, "scaler": seq.scaler.to_dict(), "source": str(seq.source),
              "path": str(Path(str(seq.source)).absolute())}
    if seq.num_sources is not None:                      # two id spaces (sources first)
        record["num_sources"] = int(seq.num_sources)
    return record


# ----- RNG state ------------------------------------------------------------------------------
def get_rng_state() -> dict:
    """Every RNG the training loop touches, as tensors (``weights_only``-safe)."""
    np_state = np.random.get_state()
    py_state = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy_keys": torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
        "numpy_pos": int(np_state[2]),
        "numpy_gauss": [int(np_state[3]), float(np_state[4])],
        "python": torch.tensor(py_state[1], dtype=torch.int64),
        "python_gauss": py_state[2],
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    return state


def set_rng_state(state: dict) -> None:
    """Restore what :func:`get_rng_state` captured."""
    torch.set_rng_state(state["torch"].cpu())
    np.random.set_state(("MT19937", state["numpy_keys"].numpy().astype(np.uint32),
                         int(state["numpy_pos"]), int(state["numpy_gauss"][0]),
                         float(state["numpy_gauss"][1])))
    random.setstate((3, tuple(int(v) for v in state["python"].tolist()), state["python_gauss"]))
    if state.get("cuda") and torch.cuda.is_available():
        cuda = [s.cpu() for s in state["cuda"]]
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)


# ----- save / load ----------------------------------------------------------------------------
def save_checkpoint(path: str | Path, state: dict) -> None:
    """Write ``state`` (a plain dict) to ``path`` atomically; ``format_version`` and
    ``versions`` are filled in when missing."""
    state = dict(state)
    state.setdefault("format_version", FORMAT_VERSION)
    state.setdefault("versions", versions())
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def _check_integrity(path: Path) -> None:
    """CRC-32 of every member of the checkpoint's zip container (``torch.load`` does not
    check them, so flipped bytes in a tensor would load as silently wrong weights)."""
    try:
        if not zipfile.is_zipfile(path):
            return                                    # torch.load reports what it is
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: corrupt or truncated checkpoint ({msg})") from None
    if bad is not None:
        raise CheckpointError(f"{path}: corrupt checkpoint (checksum mismatch in {bad})")


def load_checkpoint(path: str | Path, map_location: Any = "cpu") -> dict:
    """Load a checkpoint safely (``weights_only=True``) and check its structure.

    Raises:
        CheckpointError: missing file, truncated/corrupt file (zip CRC-32 checked), a pickle
            that references anything beyond plain data (refused without running it), a newer
            format, or a missing key.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    _check_integrity(path)
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        text = str(exc)
        found = re.search(r"GLOBAL\s+([\w.]+)", text)
        if found:
            raise CheckpointError(f"{path}: refused to load an unsafe checkpoint (it references "
                                  f"{found.group(1)}; nothing was run): a gcngan checkpoint "
                                  f"holds only plain data and tensors") from None
        detail = text.split("WeightsUnpickler error:", 1)[-1] if "WeightsUnpickler error:" \
            in text else text
        lines = [ln.strip() for ln in detail.splitlines() if ln.strip()]
        first = (lines or ["invalid content"])[0]
        raise CheckpointError(f"{path}: corrupt or not a checkpoint ({first})") from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, KeyError,
            AttributeError, TypeError, IndexError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: corrupt or truncated checkpoint ({msg})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: not a gcngan checkpoint (top level is "
                              f"{type(state).__name__}, expected dict)")
    missing = [k for k in REQUIRED_KEYS if k not in state]
    if missing:
        raise CheckpointError(f"{path}: not a gcngan checkpoint (missing {', '.join(missing)})")
    if not isinstance(state["format_version"], int) or state["format_version"] > FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format {state['format_version']!r} is newer "
                              f"than this gcngan supports ({FORMAT_VERSION}); upgrade gcngan")
    data = state["data"]
    missing = [k for k in DATA_KEYS if not isinstance(data, dict) or k not in data]
    if missing:
        raise CheckpointError(f"{path}: checkpoint data record lacks {', '.join(missing)}")
    return state


def check_data_matches(state: dict, seq, path: Optional[str | Path] = None) -> None:
    """Refuse data that is not what the checkpoint was trained on (N, node ids, content).

    Raises:
        CheckpointError: with one line naming what differs.
    """
    where = f"{path}: " if path else ""
    data = state["data"]
    if int(data["num_nodes"]) != seq.num_nodes:
        raise CheckpointError(f"{where}checkpoint was trained on {data['num_nodes']} nodes, the "
                              f"data has {seq.num_nodes}")
    if [str(i) for i in data["node_ids"]] != [str(i) for i in seq.node_ids]:
        raise CheckpointError(f"{where}the data's node ids differ from the checkpoint's node "
                              f"mapping (same N={seq.num_nodes})")
    if data["fingerprint"] != seq.fingerprint:
        raise CheckpointError(f"{where}the data differ from the training data (fingerprint "
                              f"{seq.fingerprint[:12]} vs {str(data['fingerprint'])[:12]}); "
                              f"use the same file and ingestion flags as for training")


def generator_from_checkpoint(state: dict, device: Any = "cpu"):
    """Rebuild the generator of a checkpoint (architecture from its config) with its weights
    (a :class:`~gcngan.nn.sparse_model.SparseGenerator` for ``model.family='sparse'``).

    Returns:
        tuple: ``(generator in eval mode on device, ExperimentConfig)``.

    Raises:
        CheckpointError: when the stored weights do not fit the stored architecture.
    """
    from gcngan.config import ExperimentConfig
    from gcngan.errors import GcnganError
    from gcngan.nn import build_generator

    try:
        config = ExperimentConfig.from_dict(state["config"])
    except GcnganError as exc:
        raise CheckpointError(f"checkpoint config is invalid: {exc}") from None
    weights = state["generator"]
    feats = weights.get("node_input.features") if isinstance(weights, dict) else None
    try:
        if config.model.family == "sparse":
            from gcngan.nn.sparse_model import SparseGenerator

            gen = SparseGenerator(int(state["data"]["num_nodes"]), config.model)
        else:
            gen = build_generator(config.model, int(state["data"]["num_nodes"]), feats,
                                  window=config.data.window)
        gen.load_state_dict(weights)
    except (RuntimeError, KeyError, TypeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"checkpoint weights do not match its model config ({first})") \
            from None
    bad = [name for name, p in gen.named_parameters() if not bool(torch.isfinite(p).all())]
    if bad:
        raise CheckpointError(f"checkpoint weights contain NaN/inf ({bad[0]}); it cannot "
                              f"predict: use best.pt of the run or retrain with a lower lr")
    return gen.to(device).eval(), config


def resume_config(state: dict, run_dir: str | Path, *, preset: Optional[str] = None,
                  config_file: Optional[str] = None, overrides: Optional[list] = None,
                  **section_updates: dict):
    """The config a resumed run continues with: the checkpoint's stored config, then (as in
    :func:`~gcngan.config.build_config`) the preset and config file when given, the flags'
    ``section_updates`` and the ``--set`` overrides.

    Raises:
        CheckpointError: the stored config is invalid.
        InputError: with one ``section.key: old -> new`` line per setting that may not
            change (:func:`~gcngan.config.resume_changes`).
    """
    from gcngan.config import ExperimentConfig, build_config, resume_changes
    from gcngan.errors import GcnganError, InputError

    try:
        stored = ExperimentConfig.from_dict(state["config"])
    except GcnganError as exc:
        raise CheckpointError(f"{run_dir}/last.pt: stored config is invalid ({exc})") from None
    config = build_config(preset, config_file, overrides, base=stored, **section_updates)
    refused = resume_changes(stored, config, mid_epoch=state.get("partial_epoch") is not None)
    if refused:
        raise InputError(f"--resume: {run_dir} was trained with other settings; these may "
                         f"not change on resume (start a new run instead):\n  "
                         + "\n  ".join(refused))
    return config


def trainer_state(trainer, optimizers: bool = True) -> dict:
    """Everything a checkpoint of ``trainer`` holds: config, data record, both models,
    optimisers (when ``optimizers``), progress, history and the RNG state."""
    return {
        "config": trainer.config.to_dict(),
        "data": data_record(trainer.data),
        "generator": trainer.generator.state_dict(),
        "critic": trainer.critic.state_dict(),
        "opt_g": trainer.opt_g.state_dict() if optimizers else None,
        "opt_d": trainer.opt_d.state_dict() if optimizers else None,
        "epoch": trainer.epoch,
        "step": trainer.step,
        "critic_steps": trainer.critic_steps,
        "best_metric": trainer.best_metric,
        "best_epoch": trainer.best_epoch,
        "bad_epochs": trainer.bad_epochs,
        "metrics": dict(trainer.metrics),
        "history": list(trainer.history),
        "partial_epoch": trainer.partial,
        "rng": get_rng_state(),
    }


def load_trainer_state(trainer, state: dict) -> None:
    """Restore a :func:`trainer_state` into ``trainer`` (models, optimisers, progress, RNG)
    to continue training."""
    trainer.generator.load_state_dict(state["generator"])
    trainer.critic.load_state_dict(state["critic"])
    if state.get("opt_g") is not None:
        trainer.opt_g.load_state_dict(state["opt_g"])
    if state.get("opt_d") is not None:
        trainer.opt_d.load_state_dict(state["opt_d"])
    trainer.epoch = int(state["epoch"])
    trainer.step = int(state["step"])
    trainer.critic_steps = int(state.get("critic_steps", 0))
    trainer.best_metric = state.get("best_metric")
    trainer.best_epoch = state.get("best_epoch")
    trainer.bad_epochs = int(state.get("bad_epochs", 0))
    trainer.metrics = dict(state.get("metrics") or {})
    trainer.history = list(state.get("history") or [])
    trainer.partial = state.get("partial_epoch")
    if state.get("rng") is not None:
        set_rng_state(state["rng"])
