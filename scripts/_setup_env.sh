#!/usr/bin/env bash
# Sourced by the scripts: create .venv if missing, install torch (CPU wheel unless
# TORCH_SPEC says otherwise) only when it is not importable, then the package + dev extras.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
if ! python -c "import torch" >/dev/null 2>&1; then
    python -m pip install -q "${TORCH_SPEC:-torch==2.13.0}"
fi
if ! python -c "import gcngan, pytest, hypothesis, torch_geometric" >/dev/null 2>&1 \
   || [ setup.cfg -nt .venv/.gcngan-installed ]; then
    python -m pip install -q -e ".[dev]"
    touch .venv/.gcngan-installed
fi
