"""``gcngan data inspect | synth | list | fetch | verify``: look at, make and get datasets."""
from __future__ import annotations

import argparse
import json
import logging

from gcngan.cli.common import add_data_args, data_config

log = logging.getLogger(__name__)

SPARK = " ▁▂▃▄▅▆▇█"


def register(subparsers) -> None:
    p = subparsers.add_parser("data", help="inspect, generate, list, fetch and verify datasets",
                              description="Inspect, generate, list, fetch and verify datasets.")
    sub = p.add_subparsers(dest="data_command", metavar="ACTION")
    sub.required = True

    s = sub.add_parser("inspect", help="summarise an edge-list file, directory or zip")
    s.add_argument("path", help="long CSV/TSV, event stream, directory or .zip of edge lists")
    add_data_args(s, split=True)
    s.add_argument("--json", action="store_true",
                   help="print one JSON object (and nothing else) on stdout")
    s.add_argument("--plot", metavar="FILE.png", default=None,
                   help="write density and weight distribution per snapshot to a PNG")
    s.set_defaults(func=cmd_inspect)

    s = sub.add_parser("synth", help="write a synthetic dataset: wireless mesh (long CSV) or "
                                     "large social network (event stream)")
    s.add_argument("--kind", choices=("mesh", "social"), default="mesh",
                   help="mesh: small weighted wireless mesh, long CSV t,src,dst,weight "
                        "(default); social: directed message counts at any size, event CSV "
                        "timestamp,src,dst,weight, one day per snapshot (--granularity 1d)")
    s.add_argument("--out", required=True, help="output CSV")
    s.add_argument("--nodes", type=int, default=None,
                   help="number of nodes (default 24 for mesh, 1000 for social)")
    s.add_argument("--snapshots", type=int, default=None,
                   help="number of snapshots (default 240 for mesh, 20 for social)")
    s.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    s.add_argument("--period", type=int, default=None,
                   help="mesh: snapshots per day (default 24)")
    s.add_argument("--noise", type=float, default=None,
                   help="mesh: log-normal noise std (default 0.08)")
    s.add_argument("--links-per-node", type=float, default=None,
                   help="social: mean links per node per snapshot (default 10)")
    s.set_defaults(func=cmd_synth)

    s = sub.add_parser("list", help="list the datasets of the registry")
    s.add_argument("--root", default=None, help="data root (default $GCNGAN_DATA or "
                                                "~/.cache/gcngan)")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("fetch", help="download a registry dataset, verify its sha256, ingest it")
    s.add_argument("name", help="dataset name (see: gcngan data list)")
    s.add_argument("--url", default=None, help="download from this URL instead (mirror, file://)")
    s.add_argument("--root", default=None, help="data root (default $GCNGAN_DATA or "
                                                "~/.cache/gcngan)")
    s.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    s.set_defaults(func=cmd_fetch)

    s = sub.add_parser("verify", help="check a fetched dataset against its sha256")
    s.add_argument("name", help="dataset name")
    s.add_argument("--root", default=None, help="data root")
    s.set_defaults(func=cmd_verify)


# ----------------------------------------------------------------------------- inspect
def cmd_inspect(args: argparse.Namespace) -> int:
    from gcngan.data import load_snapshots

    cfg = data_config(args)
    seq = load_snapshots(args.path, cfg)
    summary = seq.summary()
    summary["split"] = _split_summary(seq, cfg, explicit=any(
        getattr(args, k, None) is not None for k in ("window", "val", "test")))
    summary["self_loops"] = _self_loop_summary(seq, cfg.self_loops)
    if args.plot:
        from gcngan.plots import plot_snapshots

        plot_snapshots(seq, args.plot)
        summary["plot"] = str(args.plot)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(format_summary(summary, seq))
    return 0


def _split_summary(seq, cfg, explicit: bool):
    """Target counts of the chronological split, and the problem ``gcngan train`` would refuse
    it for (``warning``: validation on empty snapshots); errors only when the user asked for
    the split."""
    from gcngan.data.windows import check_validation_targets, split_of
    from gcngan.errors import InputError

    try:
        sp = split_of(seq, cfg)
    except InputError:
        if explicit:
            raise
        return None
    out = {"window": cfg.window, "train": len(sp.train), "val": len(sp.val),
           "test": len(sp.test)}
    try:
        check_validation_targets(seq, sp)           # per-snapshot link counts: no N^2
    except InputError as exc:
        out["warning"] = str(exc)
    return out


def _self_loop_summary(seq, setting: str) -> dict:
    """Diagonal entries (links ``i -> i``) summed over snapshots, their share of the total
    weight, and the ``--self-loops`` setting (kept ones are predicted and scored:
    :func:`gcngan.predict.keeps_self_loops`)."""
    entries, loops, total = 0, 0.0, 0.0
    for t in range(seq.num_snapshots):
        src, dst, w = seq.edges(t)
        on = src == dst
        entries += int(on.sum())
        loops, total = loops + float(w[on].sum()), total + float(w.sum())
    return {"setting": setting, "entries": entries, "weight_share": loops / total if total else 0.0}


def _sparkline(values, width: int = 60) -> str:
    import numpy as np

    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return ""
    if v.size > width:                                      # average into ``width`` bins
        edges = np.linspace(0, v.size, width + 1).astype(int)
        v = np.array([v[a:b].mean() for a, b in zip(edges[:-1], edges[1:])])
    hi = v.max()
    idx = np.zeros(v.size, dtype=int) if hi <= 0 else np.ceil(v / hi * (len(SPARK) - 1))
    return "".join(SPARK[int(i)] for i in idx)


def _share(x: float) -> str:
    """A density: 4 decimals, or 3 significant digits below 0.001 (sparse graphs)."""
    return f"{x:.4f}" if x == 0 or x >= 1e-3 else f"{x:.3g}"


def format_summary(s: dict, seq=None) -> str:
    """Human-readable lines for ``gcngan data inspect``."""
    q = s.get("weight_quantiles") or {}
    qtext = "  ".join(f"{k} {v:.6g}" for k, v in q.items())
    lines = [
        f"source      {s['source']}",
        f"nodes       {s['num_nodes']}",
        f"snapshots   {s['num_snapshots']}  (empty: {s['empty_snapshots']})"
        + (f"  of {s['granularity']} each" if s.get("granularity") else "")
        + (f" (timestamps in {s['time_unit']})" if s.get("time_unit") else ""),
        f"rows        {s['num_rows']}  (non-zero entries: {s['num_nonzero']})",
        f"directed    {'yes' if s['directed'] else 'no (every link mirrored)'}",
        *([] if s.get("num_sources") is None else [
            f"id spaces   two: {s['num_sources']} sources, "
            f"{s['num_nodes'] - s['num_sources']} destinations (an id on both sides is two "
            f"nodes; --one-id-space reads them as one)"]),
        f"weights     min {s['weight_min']:.6g}  max {s['weight_max']:.6g}",
        f"quantiles   {qtext or '-'}",
        f"density     mean {_share(s['density_mean'])}  min {_share(s['density_min'])}  "
        f"max {_share(s['density_max'])}",
    ]
    if seq is not None:
        lines.append(f"per snapshot {_sparkline(seq.density().tolist())}")
    sp = s.get("split")
    lines.append(f"split       window {sp['window']}: {sp['train']} train / {sp['val']} val / "
                 f"{sp['test']} test targets" if sp else
                 "split       -  (the default window 10 leaves no training target)")
    if sp and sp.get("warning"):
        lines.append(f"            warning: {sp['warning']}")
    loops = s.get("self_loops")
    if loops and loops["setting"] == "drop":
        lines.append("self-loops  dropped (--self-loops drop): the diagonal is zero in the data "
                     "and in every prediction")
    elif loops and loops["entries"]:
        lines.append(f"self-loops  {loops['entries']} diagonal entries, "
                     f"{loops['weight_share']:.1%} of the total weight: kept (--self-loops "
                     f"keep), so every predictor predicts and is scored on them; "
                     f"--self-loops drop removes them")
    elif loops:
        lines.append("self-loops  none")
    lines.append(f"scale       {s['scale']['kind']} / {s['scale']['denom']:.6g}")
    lines.append(f"fingerprint {s['fingerprint']}")
    if s.get("plot"):
        lines.append(f"plot        {s['plot']}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- synth
def cmd_synth(args: argparse.Namespace) -> int:
    from gcngan.data.edgelist import write_edges
    from gcngan.data.synthetic import MeshSpec, generate_mesh
    from gcngan.errors import InputError

    other = {"mesh": ("links_per_node",), "social": ("period", "noise")}[args.kind]
    for name in other:
        if getattr(args, name) is not None:
            raise InputError(f"--{name.replace('_', '-')} does not apply to --kind {args.kind}")
    if args.kind == "social":
        return _synth_social(args)
    kw = {"num_nodes": 24 if args.nodes is None else args.nodes,
          "num_snapshots": 240 if args.snapshots is None else args.snapshots,
          "seed": args.seed, "period": 24 if args.period is None else args.period}
    if args.noise is not None:
        kw["noise"] = args.noise
    seq = generate_mesh(MeshSpec(**kw))
    rows = write_edges(args.out, seq.adj, seq.node_ids)
    print(f"wrote {args.out}: {seq.num_nodes} nodes, {seq.num_snapshots} snapshots, {rows} rows")
    return 0


def _synth_social(args: argparse.Namespace) -> int:
    from gcngan.data.synthetic import SocialSpec, generate_social, write_social_events

    kw = {"num_nodes": args.nodes, "num_snapshots": args.snapshots,
          "links_per_node": args.links_per_node, "seed": args.seed}
    spec = SocialSpec(**{k: v for k, v in kw.items() if v is not None})
    rows = write_social_events(args.out, generate_social(spec))
    print(f"wrote {args.out}: {spec.num_nodes} nodes, {spec.num_snapshots} snapshots "
          f"(one day each: read with --granularity 1d), {rows} rows")
    return 0


# ----------------------------------------------------------------------------- registry
def cmd_list(args: argparse.Namespace) -> int:
    from gcngan.data.registry import load_manifest, local_path

    specs = load_manifest()
    print(f"{'name':<16} {'format':<10} {'nodes':>5} {'snaps':>6}  {'local':<7} description")
    for spec in specs.values():
        here = "yes" if local_path(spec, args.root).is_file() else "no"
        print(f"{spec.name:<16} {spec.format:<10} {spec.num_nodes or '-':>5} "
              f"{spec.num_snapshots or '-':>6}  {here:<7} {spec.description}")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from gcngan.data import load_snapshots
    from gcngan.data.registry import fetch, get_spec

    spec = get_spec(args.name)
    path = fetch(args.name, root=args.root, url=args.url)
    seq = load_snapshots(path, spec.data_config())
    summary = {**seq.summary(), "path": str(path), "sha256": spec.sha256}
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(f"{args.name}: {path} (sha256 ok)")
        print(format_summary(summary, seq))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from gcngan.data.registry import verify

    path = verify(args.name, root=args.root)
    print(f"{args.name}: {path} sha256 ok")
    return 0
