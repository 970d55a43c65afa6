#!/usr/bin/env bash
# The issue-3 bar on a real extract: the whole `livingcircle access` command on Malta
# (../shared/data/osm-medium/malta-2016.osm.pbf, 252,937 OSM nodes; © OpenStreetMap contributors,
# ODbL), from the PBF to the written CSV, facilities taken from the OSM tags.
#
# Malta has no public list of residential communities with coordinates that we could ship, so the
# communities are a regular grid of points every 400 m over the island's bounding box (population
# 1,000 each); points farther than 300 m from a walkable way (sea, fields) are reported as too far,
# as the command does for any input. The timing is of the command, not of the grid.
#
# usage: bench/malta/run.sh [PBF]     (writes bench/work/malta/)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pbf="${1:-$root/../shared/data/osm-medium/malta-2016.osm.pbf}"
work="$root/bench/work/malta"
mkdir -p "$work"
cp "$pbf" "$work/malta.osm.pbf"
rm -f "$work"/malta.osm.pbf.*.lcnet
(cd "$root" && cargo build --release -q -p livingcircle)
bin="$root/target/release/livingcircle"

awk 'BEGIN {
  print "id,name,lon,lat,population";
  n = 0;
  for (lat = 35.80; lat <= 36.08; lat += 0.0036) {
    for (lon = 14.18; lon <= 14.58; lon += 0.0044) {
      n++; printf "G%05d,grid %d,%.5f,%.5f,1000\n", n, n, lon, lat;
    }
  }
}' > "$work/communities.csv"
echo "grid: $(($(wc -l < "$work/communities.csv") - 1)) points"

run() {
  local label="$1"; shift
  /usr/bin/time -f "$label: %e s wall, %M KB peak RSS" "$bin" --quiet access \
    --osm "$work/malta.osm.pbf" --communities "$work/communities.csv" \
    --out "$work/access.csv" --summary-json "$work/summary-$label.json" "$@" 2> "$work/$label.log" \
    || { cat "$work/$label.log"; exit 1; }
  tail -n 1 "$work/$label.log"
}
run cold --no-cache
run cold2 --no-cache
run cold3 --no-cache
run first-with-cache        # builds the cache next to the PBF
run warm                    # reads it (facilities still come from the tags: re-read, see below)
grep -E "路网|社区|设施|输出" "$work/cold.log" || true
echo "rows: $(($(wc -l < "$work/access.csv") - 1))"
