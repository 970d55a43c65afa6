#!/usr/bin/env bash
# livingcircle.distributed on Dask (issue 20 item 2): the access run of a generated multi-region
# city cut by district (division:6), one Dask task per part on a LocalCluster of 1, 2 and 4
# worker processes, against the whole run in one process: wall time, peak memory, and a check
# that every Dask result equals the whole run's.
#
# Usage: bench/python/dask.sh [--nodes 1000000] [--seed 1] [--by division:6] [--workers 1,2,4]
#                             [--keep-city] [--no-build]
# (the options are bench/python/dask_bench.py's; --help lists them)
#
# Prepares bench/.venv with dask[distributed] and livingcircle (`pip install ./python`; skipped
# with --no-build when the package is there), then runs bench/python/dask_bench.py, which builds
# the release binary, generates the city in bench/work/city-N with `livingcircle generate`, runs
# each configuration in its own Python process and writes bench/work/dask-result-N.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

VENV=bench/.venv
PY="$VENV/bin/python"
[[ -x "$PY" ]] || python3 -m venv "$VENV"
"$PY" -c "import dask.distributed, tqdm" >/dev/null 2>&1 \
    || "$PY" -m pip install --quiet "dask[distributed]==2026.8.0" "tqdm==4.67.1"
if [[ " $* " != *" --no-build "* ]] || ! "$PY" -c "import livingcircle.distributed" >/dev/null 2>&1; then
    echo "== installing livingcircle into $VENV (pip install ./python)"
    "$PY" -m pip install --quiet ./python
fi
exec "$PY" bench/python/dask_bench.py "$@"
