"""The benchmark harness and the existence study: research code, outside the installed
``gcngan`` package, run as ``python scripts/benchmark.py [--quick] ...``.

Modules, in reading order: :mod:`bench.harness` (what is compared, the protocols, verdicts,
the JSON document), :mod:`bench.existence` (how well the window predicts which entries are
links, no model), :mod:`bench.report` (the Markdown page), :mod:`bench.cli` (the flags).
Only :mod:`gcngan`'s public API is used.
"""
from bench.harness import (BINARY_METRICS, CRITERION_METRICS, DATASETS, DEFAULT_ROOT, METHODS,
                           NAIVE, PAPER_METRICS, PROFILES, PUBLISHED_GCN_GAN, BacktestSettings,
                           DatasetCase, ExistenceSettings, Method, OnlineSettings, Profile,
                           SpeedSettings, auto_threads, criterion, environment,
                           evaluate_baseline, get_choice, merge_documents, online_update,
                           restore_best, run_backtest, run_benchmark, run_config,
                           run_existence, run_online, run_speed, run_split, summarize,
                           train_and_test, verdicts, win_counts)
from bench.report import (backtest_verdicts, existence_means, hedge_reach, render_markdown,
                          write_outputs)

__all__ = ["BINARY_METRICS", "BacktestSettings", "CRITERION_METRICS", "DATASETS",
           "DEFAULT_ROOT", "DatasetCase", "ExistenceSettings", "METHODS", "Method", "NAIVE",
           "OnlineSettings", "PAPER_METRICS", "PROFILES", "PUBLISHED_GCN_GAN", "Profile",
           "SpeedSettings", "auto_threads", "backtest_verdicts", "criterion", "environment",
           "evaluate_baseline", "existence_means", "get_choice", "hedge_reach",
           "merge_documents", "online_update", "render_markdown", "restore_best",
           "run_backtest", "run_benchmark", "run_config", "run_existence", "run_online",
           "run_speed", "run_split", "summarize", "train_and_test", "verdicts", "win_counts",
           "write_outputs"]
