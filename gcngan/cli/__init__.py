"""Command line: ``gcngan <command> ...``.

Each subcommand lives in its own module (``gcngan/cli/<name>.py``) exposing
``register(subparsers)``; the handler it sets as ``func`` returns an exit code.
Expected errors (:class:`gcngan.errors.GcnganError`) are caught here, once, and
printed as one line with exit status 2; operating-system errors (disk full, permission
denied) and running out of memory print one line with status 1; an interrupt exits 130.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
import warnings

from gcngan import __version__
from gcngan.errors import ConfigError, GcnganError

COMMANDS = ("data", "train", "predict", "evaluate", "check", "plot", "benchmark")


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
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="torch_geometric")
    warnings.filterwarnings("ignore", message=".*torch_geometric.*")
    parser = build_parser()
    args = parser.parse_args(argv)
    # every invocation starts from warnings only (a command such as train raises it);
    # main() may run many times in one process (tests, notebooks)
    install_log_handler()
    try:
        return int(args.func(args) or 0)
    except GcnganError as exc:
        print(f"gcngan: error: {flag_message(parser, args, exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("gcngan: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:          # disk full, permission denied ... (outputs are atomic)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"gcngan: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except MemoryError:
        print("gcngan: error: out of memory; try a smaller --batch-size, --top-k or model",
              file=sys.stderr)
        return 1
    except Exception as exc:        # CUDA OOM not caught where it happened (predict, evaluate)
        torch = sys.modules.get("torch")      # imported by then if a GPU ran out of memory
        if torch is None or not isinstance(exc, torch.cuda.OutOfMemoryError):
            raise
        print("gcngan: error: CUDA out of memory; run it with --device cpu, or a smaller "
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
