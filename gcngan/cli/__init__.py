"""Command line: ``gcngan <command> ...``.

Each subcommand lives in its own module (``gcngan/cli/<name>.py``) exposing
``register(subparsers)``; the handler it sets as ``func`` returns an exit code. Subcommands
share helpers through :mod:`gcngan.cli.common`, never by importing each other.
Expected errors (:class:`gcngan.errors.GcnganError`) are caught here, once, and
printed as one line with exit status 2; operating-system errors (disk full, permission
denied) and running out of memory print one line with status 1; an interrupt exits 130
(:func:`gcngan.cli.common.run_command`).
"""
from __future__ import annotations

import argparse
import importlib
import sys

from gcngan import __version__

COMMANDS = ("data", "train", "predict", "evaluate", "score", "check", "plot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gcngan",
        description="Temporal link prediction on weighted dynamic networks with GCN-GAN.")
    parser.add_argument("--version", action="version", version=f"gcngan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"gcngan.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``gcngan`` console script; returns the exit status."""
    from gcngan.cli.common import quiet_pyg_warnings, run_command

    quiet_pyg_warnings()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)    # e.g. for train --nproc
    code = run_command(parser, args)
    if _left_a_process_group():
        _exit_now(code)
    return code


def _left_a_process_group() -> bool:
    """Whether this process was one of a multi-process training job (torchrun or
    ``train --nproc``); never imports torch for a command that did not."""
    distributed = sys.modules.get("gcngan.train.distributed")
    return distributed is not None and distributed.left_a_group()


def _exit_now(code: int) -> None:
    """End a process that left a process group without the interpreter's finalisation,
    where gloo's worker threads can abort it (see
    :func:`gcngan.train.distributed.left_a_group`): its files are written and closed by
    now; stdout, stderr and the log handlers are flushed first."""
    import logging
    import os

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):       # a closed pipe: nothing more to say anyway
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
