#!/usr/bin/env bash
# livingcircle vs pandana: nearest facilities (15 categories, k = 3, 1500 m, nearest-node
# snapping) for every community of the same generated city, side by side in one run.
#
# Usage: bench/pandana/run.sh [--nodes 1000000] [--seed 1] [--no-precompute] [--keep-city]
#                             [--no-build] [--compare-only]
#
#   --nodes N         size of the generated city (default 1,000,000)
#   --seed S          generator seed (default 1)
#   --no-precompute   do not time pandana's net.precompute (it is not needed for nearest_pois)
#   --keep-city       reuse bench/work/city-N if it exists instead of generating it again
#   --no-build        use the existing release livingcircle (under $CARGO_TARGET_DIR or target/)
#   --compare-only    run neither tool; compare the outputs of the previous run again
#
# Steps: creates bench/.venv with pandana (pip), builds livingcircle (release), generates the
# city with `livingcircle generate`, runs `livingcircle access` and pandana_bench.py as separate
# processes under measure.py (wall time, peak RSS), then compare.py checks the distances agree
# and writes the Markdown table to bench/work/result-N.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

NODES=1000000
SEED=1
PRECOMPUTE=1
KEEP=0
COMPARE_ONLY=0
BUILD=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --nodes) NODES="$2"; shift 2 ;;
        --seed) SEED="$2"; shift 2 ;;
        --no-precompute) PRECOMPUTE=0; shift ;;
        --keep-city) KEEP=1; shift ;;
        --no-build) BUILD=0; shift ;;
        --compare-only) COMPARE_ONLY=1; KEEP=1; BUILD=0; shift ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

source bench/city.sh

VENV=bench/.venv
PY="$VENV/bin/python"
if ! "$PY" -c "import pandana" >/dev/null 2>&1; then
    echo "== creating $VENV with pandana"
    python3 -m venv "$VENV"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet pandana
fi

lc_build "$BUILD"
lc_city

if [[ $COMPARE_ONLY == 0 ]]; then
echo "== livingcircle access"
rm -f "$CITY/livingcircle_access.csv" "$CITY/lc_summary.json"
"$PY" bench/pandana/measure.py --json "$CITY/lc_measure.json" -- \
    "$LC" access --nodes "$CITY/nodes.csv" --edges "$CITY/edges.csv" \
    --communities "$CITY/communities.csv" --facilities "$CITY/facilities.csv" \
    --categories "$CATEGORIES" --k "$K" --max-distance "$MAXD" --snap node --no-cache \
    --out "$CITY/livingcircle_access.csv" --summary-json "$CITY/lc_summary.json"

echo "== pandana"
PD_ARGS=()
[[ $PRECOMPUTE == 1 ]] || PD_ARGS+=(--no-precompute)
"$PY" bench/pandana/measure.py --json "$CITY/pd_measure.json" -- \
    "$PY" bench/pandana/pandana_bench.py --city "$CITY" --categories "$CATEGORIES" \
    --k "$K" --max-distance "$MAXD" --out "$CITY/pandana_access.csv" \
    --json "$CITY/pd_summary.json" "${PD_ARGS[@]}"
fi

echo "== comparing"
RESULT="bench/work/result-$NODES.md"
LABEL="$(printf "%'d" "$NODES" 2>/dev/null || echo "$NODES") nodes (seed $SEED)"
STATUS=0
"$PY" bench/pandana/compare.py --lc-csv "$CITY/livingcircle_access.csv" \
    --pd-csv "$CITY/pandana_access.csv" --lc-summary "$CITY/lc_summary.json" \
    --lc-measure "$CITY/lc_measure.json" --pd-json "$CITY/pd_summary.json" \
    --pd-measure "$CITY/pd_measure.json" --label "$LABEL" --out-md "$RESULT" \
    --max-distance "$MAXD" || STATUS=$?

PDV="$("$PY" -c 'import importlib.metadata as m; print("pandana", m.version("pandana"), "numpy", m.version("numpy"), "pandas", m.version("pandas"))')"
{
    echo
    echo "$(machine_line), $PDV, $(python3 --version)."
    echo "Command: \`bench/pandana/run.sh --nodes $NODES --seed $SEED\`, $(date -u +%Y-%m-%d)."
} >> "$RESULT"
echo "== wrote $RESULT"
exit $STATUS
