# Shared by bench/pandana/run.sh and bench/cityseer/run.sh (sourced, not run): the task both
# peers are measured on, the livingcircle binary, and the generated city.
#
# Expects ROOT (the repository) and, for lc_city, NODES, SEED and KEEP (1 = reuse the city).

# Dense and sparse categories: shops and stops everywhere, schools and care homes rarer,
# hospitals very rare; nursery and elderly care have regions without any (gaps).
CATEGORIES=convenience_store,restaurant,supermarket,pharmacy,clinic,hospital,nursery,kindergarten,primary_school,elderly_care,elderly_day_care,community_canteen,vegetable_market,bus_stop,park
K=3
MAXD=1500

LC="${CARGO_TARGET_DIR:-$ROOT/target}/release/livingcircle"

# lc_build 1|0: builds livingcircle in release mode, or (0) checks that the binary exists.
lc_build() {
    if [[ $1 == 1 ]]; then
        echo "== building livingcircle (release)"
        cargo build --release -p livingcircle
    elif [[ ! -x "$LC" ]]; then
        echo "--no-build, but $LC does not exist" >&2
        exit 1
    fi
}

# lc_city: generates bench/work/city-N[-sS] with `livingcircle generate` (or reuses it with KEEP=1)
# and sets CITY to it.
lc_city() {
    if [[ "$SEED" == 1 ]]; then CITY="bench/work/city-$NODES"; else CITY="bench/work/city-$NODES-s$SEED"; fi
    if [[ $KEEP == 1 && -f "$CITY/facilities.csv" ]]; then
        echo "== reusing $CITY"
    else
        echo "== generating $CITY"
        rm -rf "$CITY"
        "$LC" generate --nodes "$NODES" --seed "$SEED" --out "$CITY"
    fi
    local f
    for f in nodes edges communities facilities; do
        [[ -s "$CITY/$f.csv" ]] || { echo "$CITY/$f.csv was not written" >&2; exit 1; }
    done
}

# machine_line: one line naming the CPU, cores, memory and rustc.
machine_line() {
    local cpu mem
    cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//' || true)"
    mem="$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo 2>/dev/null || true)"
    echo "Machine: ${cpu:-unknown CPU}, $(nproc) cores, ${mem:-? GiB}. $(rustc --version | cut -d' ' -f1-2)"
}
