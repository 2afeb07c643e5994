#!/usr/bin/env bash
# The main job on the embedded synthetic dataset: inspect, train, predict, evaluate.
# Sets up .venv on first use. Extra arguments go to `gcngan train` (e.g. --device cuda).
set -euo pipefail
. "$(dirname "$0")/_setup_env.sh"
DATA=datasets/synthetic_mesh.csv
RUN=${RUN_DIR:-runs/demo}
echo "== 1/4 look at the data"
gcngan data inspect "$DATA"
echo "== 2/4 train (default preset) -> $RUN"
gcngan train "$DATA" --out "$RUN" --force "$@"
echo "== 3/4 predict the test snapshots -> $RUN/pred_test.csv"
gcngan predict "$RUN" --data "$DATA" --split test --out "$RUN/pred_test.csv"
echo "== 4/4 evaluate against the naive baselines"
gcngan evaluate "$RUN" --data "$DATA" --split test
echo "== the last lines above read the table (computed from its numbers); every preset and"
echo "   baseline on the real datasets, over seeds: docs/results.md"
