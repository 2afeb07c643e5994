"""What the subcommands share (they never import each other): the error boundary
(:func:`run_command`), the data flags and their mapping to configs, JSON output
(:func:`dumps`), and loading a run directory."""
from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path

from gcngan.config import (AGGREGATIONS, FORMATS, NEGATIVE_POLICIES, SCALES, SELF_LOOPS,
                           TIME_UNIT_CHOICES)
from gcngan.errors import ConfigError, GcnganError, InputError
from gcngan.io import dumps  # noqa: F401  (re-exported: JSON output of every command)


def quiet_pyg_warnings() -> None:
    """torch_geometric's import-time deprecation noise stays off the command line."""
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="torch_geometric")
    warnings.filterwarnings("ignore", message=".*torch_geometric.*")


def run_command(parser: argparse.ArgumentParser, args: argparse.Namespace,
                prog: str = "gcngan") -> int:
    """Run ``args.func(args)`` behind the one error boundary of every command line (the
    ``gcngan`` subcommands and ``scripts/benchmark.py``): expected errors
    (:class:`~gcngan.errors.GcnganError`) print one line ``PROG: error: ...`` and return
    their exit code (2); OS errors and running out of memory print one line and return 1;
    an interrupt returns 130.
    """
    # every invocation starts from warnings only (a command such as train raises it);
    # main() may run many times in one process (tests, notebooks)
    install_log_handler()
    try:
        return int(args.func(args) or 0)
    except GcnganError as exc:
        print(f"{prog}: error: {flag_message(parser, args, exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:          # disk full, permission denied ... (outputs are atomic)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{prog}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"{prog}: error: out of memory; try a smaller --batch-size, --top-k or model",
              file=sys.stderr)
        return 1
    except Exception as exc:        # CUDA OOM not caught where it happened (predict, evaluate)
        torch = sys.modules.get("torch")      # imported by then if a GPU ran out of memory
        if torch is None or not isinstance(exc, torch.cuda.OutOfMemoryError):
            raise
        print(f"{prog}: error: CUDA out of memory; run it with --device cpu, or a smaller "
              "--batch-size, --top-k or model", file=sys.stderr)
        return 1


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is *now* (``main()`` may run many times in one
    process, e.g. under pytest, where stderr is replaced between calls)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def install_log_handler() -> None:
    """Library warnings of every command go to stderr as ``gcngan: <message>`` (once per
    process); the level starts at WARNING on every call."""
    logger = logging.getLogger("gcngan")
    if not any(getattr(h, "_gcngan", False) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("gcngan: %(message)s"))
        handler._gcngan = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.WARNING)


def flag_message(parser: argparse.ArgumentParser, args: argparse.Namespace,
                 exc: GcnganError) -> str:
    """The error's message, naming the command-line flag instead of the config field when
    the bad value came from a flag the user gave (``--max-threshold -5.0 must be > 0``
    rather than ``data.max_threshold=-5.0 must be > 0``). Values from a config file or
    ``--set`` keep the field's name, which is what the user wrote there."""
    if not isinstance(exc, ConfigError) or exc.key is None:
        return str(exc)
    field = exc.key.rsplit(".", 1)[-1]
    given = getattr(args, field, None)
    if given is None or given != exc.value:
        return str(exc)
    flag = _flag_for(parser, field)
    return str(exc) if flag is None else f"{flag} {given} {exc.problem} ({exc.key})"


def _flag_for(parser: argparse.ArgumentParser, dest: str) -> str | None:
    """The longest option string of a flag storing to ``dest`` anywhere in the command
    tree (sub-commands share their flags' names), or ``None``."""
    for action in parser._actions:                                      # noqa: SLF001
        if action.dest == dest and action.option_strings:
            return max(action.option_strings, key=len)
        for child in (getattr(action, "choices", None) or {}).values() \
                if isinstance(action, argparse._SubParsersAction) else ():  # noqa: SLF001
            found = _flag_for(child, dest)
            if found:
                return found
    return None




def add_data_args(parser: argparse.ArgumentParser, split: bool = True) -> None:
    """Add the ingestion flags (and, with ``split``, ``--window/--val/--test``)."""
    g = parser.add_argument_group("data ingestion")
    g.add_argument("--format", choices=FORMATS, default=None,
                   help="input format (default: auto-detect)")
    g.add_argument("--time-col", dest="time_col", default=None,
                   help="name of the snapshot-index / timestamp column")
    g.add_argument("--src-col", dest="src_col", default=None, help="name of the source column")
    g.add_argument("--dst-col", dest="dst_col", default=None,
                   help="name of the destination column")
    g.add_argument("--weight-col", dest="weight_col", default=None,
                   help="name of the weight column (missing: every row weighs 1; "
                        "'none': ignore the other columns, every row weighs 1)")
    g.add_argument("--nodes", type=int, default=None, help="total number of nodes N")
    g.add_argument("--snapshots", type=int, default=None,
                   help="total number of snapshots T (empty trailing snapshots)")
    d = g.add_mutually_exclusive_group()
    d.add_argument("--directed", dest="directed", action="store_true", default=None,
                   help="treat links as directed (default: detected from the data)")
    d.add_argument("--undirected", dest="directed", action="store_false",
                   help="symmetrise links")
    b = g.add_mutually_exclusive_group()
    b.add_argument("--bipartite", dest="bipartite", action="store_true", default=None,
                   help="count source and destination ids apart (user -> item: user 5 and "
                        "item 5 are two nodes; default: when the columns are named "
                        "user_id/item_id or user/item)")
    b.add_argument("--one-id-space", dest="bipartite", action="store_false",
                   help="read source and destination ids as one set of nodes, whatever the "
                        "column names")
    g.add_argument("--self-loops", dest="self_loops", choices=SELF_LOOPS, default=None)
    g.add_argument("--top-k", dest="top_k", type=int, default=None,
                   help="keep only the K most active nodes")
    g.add_argument("--granularity", default=None,
                   help="event streams: snapshot width in seconds or with a unit (3600, 1h, "
                        "7d); default auto: the round width giving about 100 snapshots")
    g.add_argument("--time-unit", dest="time_unit", choices=TIME_UNIT_CHOICES, default=None,
                   help="event streams: unit of numeric timestamps (default auto: from a "
                        "suffix of the column's name such as created_at_ms, else ms/us/ns "
                        "when the values are Unix times in that unit, else seconds)")
    g.add_argument("--agg", choices=AGGREGATIONS, default=None,
                   help="how duplicate rows / events in one snapshot combine (default: sum)")
    g.add_argument("--max-threshold", dest="max_threshold", type=float, default=None,
                   help="clip weights above this value (default: no clipping)")
    g.add_argument("--scale", choices=SCALES, default=None,
                   help="normalisation to [0, 1] (default: linear)")
    g.add_argument("--negative", choices=NEGATIVE_POLICIES, default=None,
                   help="what to do with negative weights (default: shift: every weight "
                        "moved up by one offset, predictions written back unshifted; error "
                        "refuses them)")
    if split:
        s = parser.add_argument_group("windows and splits")
        s.add_argument("--window", type=int, default=None, help="history length W (default 10)")
        s.add_argument("--val", type=int, default=None,
                       help="validation targets (default 10, at most 25%% of the targets)")
        s.add_argument("--test", type=int, default=None,
                       help="test targets (default 50, at most 25%% of the targets)")


DATA_KEYS = ("format", "time_col", "src_col", "dst_col", "weight_col", "nodes", "snapshots",
             "directed", "bipartite", "self_loops", "top_k", "granularity", "time_unit",
             "agg", "max_threshold", "scale", "negative", "window", "val", "test")


def data_updates(args: argparse.Namespace) -> dict:
    """The data-config fields the user set explicitly (``None`` = not given)."""
    return {k: getattr(args, k) for k in DATA_KEYS if getattr(args, k, None) is not None}


def data_config(args: argparse.Namespace):
    """A :class:`~gcngan.config.DataConfig` from defaults + the flags given."""
    from gcngan.config import DataConfig

    return DataConfig(**data_updates(args))


# ----- run directories (predict, evaluate, plot, score) -----------------------------------
def checkpoint_path(run: str | Path) -> Path:
    """``RUN_DIR/best.pt`` (else ``last.pt``), or the file itself."""
    from gcngan.errors import CheckpointError

    run = Path(run)
    if run.is_file():
        return run
    for name in ("best.pt", "last.pt"):
        if (run / name).is_file():
            return run / name
    raise CheckpointError(f"{run}: no best.pt or last.pt found (is it a run directory?)")


def recorded_data(run: str | Path):
    """The training data a run's checkpoint records (its absolute ``path``, else the
    ``source`` as given), when that file or directory still exists; else ``None``."""
    from gcngan.errors import CheckpointError
    from gcngan.train import load_checkpoint

    try:
        record = load_checkpoint(checkpoint_path(run))["data"]
    except CheckpointError:
        return None
    for key in ("path", "source"):
        if record.get(key) and Path(record[key]).exists():
            return record[key]
    return None


def run_data(args: argparse.Namespace) -> str:
    """``--data``, else the data the run ``args.run`` was trained on (:func:`recorded_data`).

    Raises:
        InputError: neither is there.
    """
    if args.data is not None:
        return args.data
    found = recorded_data(args.run) if args.run is not None else None
    if found is None:
        raise InputError(f"{args.run}: the data it was trained on is not where training read "
                         f"it; pass --data" if args.run is not None else "--data is required")
    return found


def load_run(args: argparse.Namespace):
    """Checkpoint + data (``--data``, else the recorded training data; stored data config,
    command-line ingestion flags override) + generator; refuses data that differ from the
    training data.

    Returns:
        tuple: ``(generator, config, seq, device)``.
    """
    from gcngan.config import merge_dict
    from gcngan.data import load_snapshots
    from gcngan.train import check_data_matches, load_checkpoint, resolve_device
    from gcngan.train.checkpoint import generator_from_checkpoint

    path = checkpoint_path(args.run)
    state = load_checkpoint(path)
    device = resolve_device(args.device)
    generator, config = generator_from_checkpoint(state, device)
    window = getattr(args, "window", None)
    if window is not None and window != config.data.window:
        raise InputError(f"{path}: the model was trained on windows of {config.data.window} "
                         f"snapshots; --window {window} cannot change that (leave --window out)")
    config = merge_dict(config, {"data": data_updates(args)})
    seq = load_snapshots(run_data(args), config.data)
    check_data_matches(state, seq, path)
    return generator, config, seq, device


def load_future_model(args: argparse.Namespace, seq, device):
    """The generator of the run's ``refit.pt`` (:mod:`gcngan.train.refit`: trained on every
    target, the model of the data's future), or ``None`` when ``args.run`` is a checkpoint
    file or a run without one; refuses it when it was trained on other data."""
    from gcngan.train import check_data_matches, load_checkpoint
    from gcngan.train.checkpoint import generator_from_checkpoint
    from gcngan.train.refit import future_model_path

    path = future_model_path(args.run)
    if path is None:
        return None
    state = load_checkpoint(path)
    check_data_matches(state, seq, path)
    return generator_from_checkpoint(state, device)[0]


def require_dense(config, run, what: str) -> None:
    """Refuse a sparse-family run where an ``N x N`` prediction is needed.

    Raises:
        InputError: naming what does work for it (``predict``, ``evaluate --protocol
            ranking``, ``score``).
    """
    if config.model.family == "sparse":
        raise InputError(f"{run} is a sparse-family run (--preset sparse): it scores candidate "
                         f"pairs, not N x N snapshots, so {what} does not apply; use "
                         f"gcngan predict (an edge list), gcngan evaluate --protocol ranking "
                         f"or gcngan score")


def split_targets(seq, config, split: str) -> list[int]:
    """Target snapshot indices of ``split`` under the run's split settings.

    Raises:
        InputError: the split has no target (e.g. a run trained with ``--test 0``).
    """
    from gcngan.data import split_of

    dc = config.data
    targets = list(split_of(seq, dc)[split])
    if not targets:
        other = "val" if split == "test" else "test"
        raise InputError(f"the {split} split has no targets (this run uses --{split} "
                         f"{getattr(dc, split)}): use --split {other}")
    return targets
