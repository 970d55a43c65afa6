#!/usr/bin/env bash
# livingcircle vs cityseer: for every community of the same generated city, the nearest facility
# of each of 15 categories within 1500 m and the counts within 300/500/1000 m, both tools end to
# end from CSV in to CSV out, run alternately.
#
# Usage: bench/cityseer/run.sh [--nodes 100000] [--seed 1] [--runs 3] [--lengths bent|impedance]
#                              [--all-live] [--keep-city] [--no-build] [--compare-only]
#
#   --nodes N         size of the generated city (default 100,000)
#   --seed S          generator seed (default 1)
#   --runs R          rounds of (livingcircle --snap node, --snap edge, cityseer) (default 3)
#   --lengths L       how cityseer gets the edge table's lengths (see cityseer_bench.py):
#                     bent geometry (default) or straight geometry with imp_factor
#   --all-live        cityseer computes from every node, not only the communities' nodes
#   --keep-city       reuse bench/work/city-N if it exists instead of generating it again
#   --no-build        use the existing release livingcircle (under $CARGO_TARGET_DIR or target/)
#   --compare-only    run neither tool; compare the outputs of the previous run again
#
# The city and the livingcircle binary come from bench/city.sh (as for bench/pandana), the venv
# is bench/.venv (cityseer added with pip), each process runs under bench/pandana/measure.py
# (wall, CPU, peak RSS). Everything of one configuration goes to bench/work/city-N/cityseer-<tag>/
# (run1..R/ with the measurements, the outputs of the last round), then bench/cityseer/compare.py
# writes bench/work/cityseer-result-N-<tag>.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

NODES=100000
SEED=1
RUNS=3
LENGTHS=bent
ALL_LIVE=0
KEEP=0
COMPARE_ONLY=0
BUILD=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --nodes) NODES="$2"; shift 2 ;;
        --seed) SEED="$2"; shift 2 ;;
        --runs) RUNS="$2"; shift 2 ;;
        --lengths) LENGTHS="$2"; shift 2 ;;
        --all-live) ALL_LIVE=1; shift ;;
        --keep-city) KEEP=1; shift ;;
        --no-build) BUILD=0; shift ;;
        --compare-only) COMPARE_ONLY=1; KEEP=1; BUILD=0; shift ;;
        -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

source bench/city.sh

VENV=bench/.venv
PY="$VENV/bin/python"
if ! "$PY" -c "import cityseer" >/dev/null 2>&1; then
    echo "== adding cityseer to $VENV"
    [[ -x "$PY" ]] || python3 -m venv "$VENV"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet cityseer
fi

lc_build "$BUILD"
lc_city

TAG="$LENGTHS"
CS_ARGS=(--lengths "$LENGTHS")
if [[ $ALL_LIVE == 1 ]]; then TAG="$TAG-all-live"; CS_ARGS+=(--all-live); fi
OUT="$CITY/cityseer-$TAG"
MEASURE=("$PY" bench/pandana/measure.py)

lc_access() { # lc_access SNAP RUN_DIR
    "${MEASURE[@]}" --json "$2/lc_$1_measure.json" -- \
        "$LC" access -q --nodes "$CITY/nodes.csv" --edges "$CITY/edges.csv" \
        --communities "$CITY/communities.csv" --facilities "$CITY/facilities.csv" \
        --categories "$CATEGORIES" --k "$K" --max-distance "$MAXD" --snap "$1" --no-cache \
        --out "$OUT/lc_$1_access.csv" --counts "$OUT/lc_$1_counts.csv" \
        --summary-json "$2/lc_$1_summary.json"
}

if [[ $COMPARE_ONLY == 0 ]]; then
    rm -rf "$OUT"
    mkdir -p "$OUT"
    for i in $(seq 1 "$RUNS"); do
        RUN="$OUT/run$i"
        mkdir -p "$RUN"
        uptime > "$RUN/load_before.txt"
        echo "== round $i/$RUNS: livingcircle --snap node, --snap edge  ($(uptime | sed 's/.*load/load/'))"
        lc_access node "$RUN"
        lc_access edge "$RUN"
        echo "== round $i/$RUNS: cityseer  ($(uptime | sed 's/.*load/load/'))"
        "${MEASURE[@]}" --json "$RUN/cs_measure.json" -- \
            "$PY" bench/cityseer/cityseer_bench.py --city "$CITY" --categories "$CATEGORIES" \
            --max-distance "$MAXD" --out "$OUT/cs_access.csv" --counts "$OUT/cs_counts.csv" \
            --json "$RUN/cs_summary.json" "${CS_ARGS[@]}"
        uptime > "$RUN/load_after.txt"
    done
fi

echo "== comparing"
RESULT="bench/work/cityseer-result-$NODES-$TAG.md"
LABEL="$(printf "%'d" "$NODES" 2>/dev/null || echo "$NODES") nodes (seed $SEED), cityseer --lengths $LENGTHS$([[ $ALL_LIVE == 1 ]] && echo ', every node live' || true)"
"$PY" bench/cityseer/compare.py --dir "$OUT" --label "$LABEL" --out-md "$RESULT" --max-distance "$MAXD"
VERS="$("$PY" -c 'import importlib.metadata as m; print(", ".join(f"{p} {m.version(p)}" for p in ("cityseer", "networkx", "shapely", "numpy", "pandas")))')"
{
    echo
    echo "$(machine_line), $VERS, $(python3 --version)."
    echo "Command: \`bench/cityseer/run.sh --nodes $NODES --seed $SEED --runs $RUNS --lengths $LENGTHS$([[ $ALL_LIVE == 1 ]] && echo ' --all-live' || true)\`, $(date -u +%Y-%m-%d)."
} >> "$RESULT"
echo "== wrote $RESULT"
