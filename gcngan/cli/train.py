"""``gcngan train``: placeholder until the command lands (keeps the CLI importable)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("train", help="(not implemented yet)")
    p.set_defaults(func=lambda args: 1)
