"""``gcngan check DATA [--json]``: the pre-flight checks before a long GAN run.

Runs :func:`gcngan.check.run_checks` (data preview, critic vs noise, untrained generator
output, short training run) with the configuration ``gcngan train`` would use for the same
flags. Exit status 0 when every check passes, 1 when one fails, 2 for bad input. The checks
are those of the dense models (presets ``dense``, ``paper``); a sparse-family configuration
(``default``, ``sparse``) is refused with a line saying so.
"""
from __future__ import annotations

import argparse
import sys

from gcngan.cli.common import add_data_args, data_updates
from gcngan.config import DEFAULT_PRESET, DEVICES, PRESET_NAMES


def register(sub) -> None:
    p = sub.add_parser("check", help="pre-flight checks: data, critic, generator, short run",
                       description="Run the recommended pre-flight checks before training: "
                                   "1 data preview, 2 the critic separates real snapshots from "
                                   "noise, 3 the untrained generator's output is well formed, "
                                   "4 a short training run moves both losses, improves "
                                   "validation RMSE and uses the history. Exit status 0 only "
                                   "if all pass (1 if one fails).")
    p.add_argument("data", metavar="DATA", help="edge-list file, directory or .zip")
    p.add_argument("--json", action="store_true",
                   help='print only {"checks": [{"name", "passed", "value", "detail"}, ...]}')
    p.add_argument("--config", default=None, metavar="FILE", help="YAML or JSON config file")
    p.add_argument("--preset", default=DEFAULT_PRESET, choices=PRESET_NAMES,
                   help="configuration to check, as for gcngan train (default: default = "
                        "sparse)")
    p.add_argument("--device", choices=DEVICES, default=None, help="auto | cpu | cuda")
    p.add_argument("--seed", type=int, default=None, help="random seed")
    p.add_argument("--batch-size", dest="batch_size", type=int, default=None,
                   help="windows per batch")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field, as for gcngan train (repeatable)")
    add_data_args(p, split=True)
    p.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    from gcngan.check import run_checks
    from gcngan.cli.common import dumps
    from gcngan.config import build_config
    from gcngan.data import load_snapshots
    from gcngan.errors import ConfigError

    train_flags = {"device": args.device, "seed": args.seed, "batch_size": args.batch_size}
    config = build_config(args.preset, args.config, args.overrides,
                          data=data_updates(args), train=train_flags)
    if config.model.family == "sparse":      # the checks build N x N snapshots and critics
        raise ConfigError(f"gcngan check runs the dense models' pre-flight checks; the sparse "
                          f"model (--preset {args.preset}) has none yet: check with --preset "
                          f"dense or paper, or try a short run (gcngan train DATA --epochs 1)")
    seq = load_snapshots(args.data, config.data)

    def show(r) -> None:
        if not args.json:
            print(f"[{'PASS' if r.passed else 'FAIL'}] {number[r.name]}. {r.name:<9} "
                  f"{r.detail}", flush=True)

    number = {"data": 1, "critic": 2, "generator": 3, "training": 4}
    results = run_checks(seq, config, progress=show)
    passed = all(r.passed for r in results)
    if args.json:
        print(dumps({"checks": [r.to_dict() for r in results]}))
    else:
        failed = [r.name for r in results if not r.passed]
        print("all checks passed" if passed else f"failed: {', '.join(failed)}",
              file=sys.stdout if passed else sys.stderr)
    return 0 if passed else 1
