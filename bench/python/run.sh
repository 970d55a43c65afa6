#!/usr/bin/env bash
# livingcircle's Python package vs pandana vs cityseer, all three from Python on the same
# generated city in one run: the k = 3 nearest facilities of 15 categories within 1,500 m and
# (livingcircle, cityseer) the counts within 300/500/1,000 m, nearest-node snapping.
#
# Usage: bench/python/run.sh [--nodes 100000] [--seed 1] [--keep-city] [--no-build]
#
#   --nodes N     size of the generated city (default 100,000)
#   --seed S      generator seed (default 1)
#   --keep-city   reuse bench/work/city-N if it exists
#   --no-build    use the existing release livingcircle binary (for `generate`) and the
#                 livingcircle package already installed in bench/.venv
#
# Steps: bench/.venv with pandana, cityseer and livingcircle (`pip install ./python`); the city
# with `livingcircle generate`; bench/pandana/pandana_bench.py, bench/cityseer/cityseer_bench.py
# and bench/python/livingcircle_bench.py as three Python processes under
# bench/pandana/measure.py (wall time, peak RSS); bench/python/compare.py checks that the tables
# agree and writes bench/work/python-result-N.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

NODES=100000
SEED=1
KEEP=0
BUILD=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --nodes) NODES="$2"; shift 2 ;;
        --seed) SEED="$2"; shift 2 ;;
        --keep-city) KEEP=1; shift ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

source bench/city.sh

VENV=bench/.venv
PY="$VENV/bin/python"
[[ -x "$PY" ]] || python3 -m venv "$VENV"
if ! "$PY" -c "import pandana, cityseer" >/dev/null 2>&1; then
    echo "== adding pandana and cityseer to $VENV"
    "$PY" -m pip install --quiet pandana cityseer
fi
if [[ $BUILD == 1 ]] || ! "$PY" -c "import livingcircle" >/dev/null 2>&1; then
    echo "== installing livingcircle into $VENV (pip install ./python)"
    "$PY" -m pip install --quiet ./python
fi

lc_build "$BUILD"
lc_city

OUT="$CITY/python"
rm -rf "$OUT"
mkdir -p "$OUT"
MEASURE=("$PY" bench/pandana/measure.py)
uptime > "$OUT/load_before.txt"
echo "== livingcircle (Python)  ($(uptime | sed 's/.*load/load/'))"
"${MEASURE[@]}" --json "$OUT/lc_measure.json" -- \
    "$PY" bench/python/livingcircle_bench.py --city "$CITY" --categories "$CATEGORIES" \
    --k "$K" --max-distance "$MAXD" --out "$OUT/lc_access.csv" --counts "$OUT/lc_counts.csv" \
    --json "$OUT/lc_summary.json"
echo "== pandana  ($(uptime | sed 's/.*load/load/'))"
"${MEASURE[@]}" --json "$OUT/pd_measure.json" -- \
    "$PY" bench/pandana/pandana_bench.py --city "$CITY" --categories "$CATEGORIES" \
    --k "$K" --max-distance "$MAXD" --out "$OUT/pd_access.csv" --json "$OUT/pd_summary.json" \
    --no-precompute
echo "== cityseer  ($(uptime | sed 's/.*load/load/'))"
"${MEASURE[@]}" --json "$OUT/cs_measure.json" -- \
    "$PY" bench/cityseer/cityseer_bench.py --city "$CITY" --categories "$CATEGORIES" \
    --max-distance "$MAXD" --out "$OUT/cs_access.csv" --counts "$OUT/cs_counts.csv" \
    --json "$OUT/cs_summary.json"
uptime > "$OUT/load_after.txt"

echo "== comparing"
RESULT="bench/work/python-result-$NODES.md"
LABEL="$(printf "%'d" "$NODES" 2>/dev/null || echo "$NODES") nodes (seed $SEED)"
"$PY" bench/python/compare.py --dir "$OUT" --label "$LABEL" --out-md "$RESULT"
VERS="$("$PY" -c 'import importlib.metadata as m; print(", ".join(f"{p} {m.version(p)}" for p in ("livingcircle", "pandana", "cityseer", "numpy", "pandas")))')"
{
    echo
    echo "$(machine_line), $VERS, $("$PY" --version). Load: $(cat "$OUT/load_before.txt" | sed 's/.*load/load/') before, $(cat "$OUT/load_after.txt" | sed 's/.*load/load/') after."
    echo "Command: \`bench/python/run.sh --nodes $NODES --seed $SEED\`, $(date -u +%Y-%m-%d)."
} >> "$RESULT"
echo "== wrote $RESULT"
