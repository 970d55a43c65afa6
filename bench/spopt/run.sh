#!/usr/bin/env bash
# Side by side, in one run: livingcircle `site` against PySAL spopt (CBC through PuLP) on the
# same cost data, for maximal coverage and p-median on the generated 100k-node city; then the
# 1M-node city (livingcircle only). Writes bench/spopt/results/*.json and prints a table.
#
#   bash bench/spopt/run.sh            # venv in bench/spopt/.venv (pip install spopt pulp)
#   NODES=100000 P=100 RADIUS=1500 bash bench/spopt/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/bench/spopt
WORK=${WORK:-$HERE/work}
OUT=$HERE/results
NODES=${NODES:-100000}
P=${P:-100}
RADIUS=${RADIUS:-1500}
MAXD=${MAXD:-3000}
CATEGORY=${CATEGORY:-nursery}
# spopt's p-median has one variable per community-candidate pair (dense): on the 100k city it did
# not finish within 10 minutes here, so p-median is compared on a smaller city.
PM_NODES=${PM_NODES:-20000}
PM_P=${PM_P:-20}
BIG=${BIG:-1000000}
BIG_P=${BIG_P:-1000}
mkdir -p "$WORK" "$OUT"

if [ ! -x "$HERE/.venv/bin/python" ]; then
  python3 -m venv "$HERE/.venv"
  "$HERE/.venv/bin/pip" install -q spopt pulp
fi
PY=$HERE/.venv/bin/python
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build --release -q -p livingcircle
LC=$CARGO_TARGET_DIR/release/livingcircle

city() { # nodes dir
  [ -f "$2/candidates.csv" ] || "$LC" generate -q --nodes "$1" --seed 1 --out "$2"
  head -1 "$2/facilities.csv" > "$2/no_facilities.csv"
}
wall() { # prints seconds of a command's wall time
  local t0 t1
  t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

C=$WORK/city$NODES
city "$NODES" "$C"
NET=(--nodes "$C/nodes.csv" --edges "$C/edges.csv" --communities "$C/communities.csv"
     --facilities "$C/no_facilities.csv" --candidates "$C/candidates.csv" --category "$CATEGORY" --snap node -q)
# Export the cost data once per problem (MCLP needs pairs within the radius, p-median within
# the penalty distance); no existing facilities, so every community counts.
"$LC" site "${NET[@]}" --problem mclp --p "$P" --radius "$RADIUS" --out "$WORK/net-mclp" --export-costs "$WORK/costs-mclp"
CP=$WORK/city$PM_NODES
city "$PM_NODES" "$CP"
"$LC" site --nodes "$CP/nodes.csv" --edges "$CP/edges.csv" --communities "$CP/communities.csv" \
  --facilities "$CP/no_facilities.csv" --candidates "$CP/candidates.csv" --category "$CATEGORY" --snap node -q \
  --problem pmedian --p "$PM_P" --radius "$RADIUS" --max-distance "$MAXD" --out "$WORK/net-pmedian" --export-costs "$WORK/costs-pmedian"

for prob in mclp pmedian; do
  if [ "$prob" = pmedian ]; then PP=$PM_P; else PP=$P; fi
  # livingcircle end to end from the same cost files (process wall time, reading included).
  args=(site -q --costs "$WORK/costs-$prob" --problem "$prob" --p "$PP" --radius "$RADIUS" --max-distance "$MAXD" --out "$WORK/lc-$prob")
  "$LC" "${args[@]}" 2>/dev/null
  lc_s=$(wall "$LC" "${args[@]}")
  "$PY" "$HERE/spopt_bench.py" "$WORK/costs-$prob" --problem "$prob" --p "$PP" --radius "$RADIUS" --max-distance "$MAXD" > "$OUT/spopt-$prob.json"
  "$PY" - "$WORK/lc-$prob/summary.json" "$OUT/spopt-$prob.json" "$lc_s" "$OUT/compare-$prob.json" <<'PYEOF'
import json, sys
lc = json.load(open(sys.argv[1])); sp = json.load(open(sys.argv[2])); lc_s = float(sys.argv[3])
same = abs(lc["objective"] - sp["objective"]) <= 1e-6 * max(1.0, abs(sp["objective"]))
row = {"problem": lc["problem"], "p": lc["p"], "radius_m": lc["radius_m"],
       "communities": sp["communities"], "candidates": sp["candidates"],
       "livingcircle_objective": lc["objective"], "livingcircle_bound": lc["bound"],
       "livingcircle_gap": lc["gap"], "livingcircle_optimal": lc["optimal"],
       "livingcircle_found_by": lc["found_by"], "livingcircle_seconds": lc_s,
       "spopt_objective": sp["objective"], "spopt_status": sp["status"], "spopt_seconds": sp["seconds"],
       "greedy_objective": sp.get("greedy_objective"),
       "same_objective": same, "speedup": sp["seconds"] / lc_s}
json.dump(row, open(sys.argv[4], "w"), indent=2)
print(json.dumps(row))
PYEOF
done

# The 1M-node city: livingcircle alone, from the network, exact within 60 s and heuristic.
if [ "$BIG" != 0 ]; then
  C=$WORK/city$BIG
  city "$BIG" "$C"
  NET=(--nodes "$C/nodes.csv" --edges "$C/edges.csv" --communities "$C/communities.csv"
       --facilities "$C/no_facilities.csv" --candidates "$C/candidates.csv" --category "$CATEGORY" --snap node -q)
  "$LC" site "${NET[@]}" --problem mclp --p "$BIG_P" --radius "$RADIUS" --method heuristic --out "$WORK/big-warm" 2>/dev/null # writes the network cache
  for m in heuristic auto; do
    s=$(wall "$LC" site "${NET[@]}" --problem mclp --p "$BIG_P" --radius "$RADIUS" --method "$m" --time-limit 50 --out "$WORK/big-$m")
    "$PY" -c "import json,sys; d=json.load(open('$WORK/big-$m/summary.json')); print(json.dumps({'city_nodes': $BIG, 'method': '$m', 'p': d['p'], 'radius_m': d['radius_m'], 'objective': d['objective'], 'bound': d['bound'], 'gap': d['gap'], 'optimal': d['optimal'], 'wall_seconds': $s, 'communities': d['instance']['communities'], 'candidates': d['instance']['candidates']}))" | tee "$OUT/big-$m.json"
  done
fi
