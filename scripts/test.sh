#!/usr/bin/env bash
# Run the whole test suite. Sets up .venv on first use.
set -euo pipefail
. "$(dirname "$0")/_setup_env.sh"
set +e
python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "test.sh: pytest collected no tests; treating as failure" >&2
    exit 1
fi
exit "$rc"
