#!/usr/bin/env bash
# The GPU checks of issue 15 in one command, for a machine with an NVIDIA GPU (e.g. the
# lent device machine, whose python3 already holds torch, torch-geometric, pandas, scipy,
# networkx and pytest): the CUDA tests, then the sparse model's cost series on the GPU at
# N = 100,000 and beyond (scripts/bench_sparse_cost.py --device cuda). Nothing is
# installed: the package is imported from this checkout.
#
#   OUT=DIR COMMIT=SHA ./scripts/gpu_check.sh      # DIR: where the logs and the document go
#
# Then, here: python scripts/benchmark.py --render-only --combine docs/results.json,DIR/gpu_cost.json
# Environment: PYTHON (default python3), GPU_SIZES (default 100000,150000: about 8 minutes with the tests), GPU_EPOCHS (3).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs/gpu-check}
py=${PYTHON:-python3}
mkdir -p "$out"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
commit=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || true)}

{ nvidia-smi -L || true
  "$py" -c "import torch, torch_geometric; print('torch', torch.__version__, '| torch_geometric', torch_geometric.__version__, '| cuda', torch.cuda.is_available(), torch.cuda.get_device_name() if torch.cuda.is_available() else '')"
} 2>&1 | tee "$out/gpu.txt"

"$py" -m pytest -q -m cuda -p no:cacheprovider tests 2>&1 | tee "$out/cuda_tests.log"
tests=${PIPESTATUS[0]}

"$py" scripts/bench_sparse_cost.py --device cuda --sizes "${GPU_SIZES:-100000,150000}" \
    --epochs "${GPU_EPOCHS:-3}" --largest-epochs "${GPU_EPOCHS:-3}" --twitter-topk '' \
    --working-tree ${commit:+--commit "$commit"} --document "$out/gpu_cost.json" \
    2>&1 | tee "$out/gpu_cost.log"
bench=${PIPESTATUS[0]}

echo "gpu_check: CUDA tests exit $tests, GPU cost benchmark exit $bench (files in $out)"
[ "$tests" -eq 0 ] && [ "$bench" -eq 0 ]
