#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each on a copy of its committed corpus
# (fuzz/corpus/<target>/, never changed), one at a time, with libFuzzer through cargo-fuzz on
# the stable toolchain (--sanitizer none: see FUZZING.md). Prints the executions and coverage
# of each target and a summary; exits non-zero if any target found a crash, a hang (an input
# taking more than FUZZ_TIMEOUT seconds) or ran out of memory (FUZZ_RSS_MB). Crashing inputs
# are kept in $FUZZ_OUT/artifacts/ (default: <cargo target dir>/fuzz-out).
#
#   fuzz/run.sh SECONDS [TARGET...]
#
# Installs cargo-fuzz when it is missing. Builds in $CARGO_TARGET_DIR (default fuzz/target).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

if [ $# -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: fuzz/run.sh SECONDS [TARGET...]" >&2
  exit 2
fi
seconds="$1"
shift
timeout_s="${FUZZ_TIMEOUT:-10}"
rss_mb="${FUZZ_RSS_MB:-2048}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked --quiet
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi

target_dir="${CARGO_TARGET_DIR:-$here/target}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
bin_dir="$target_dir/$triple/release"
out="${FUZZ_OUT:-$target_dir/fuzz-out}"
mkdir -p "$out/artifacts" "$out/logs"

# One build of all targets (instrumented, no sanitizer: works on stable Rust).
build() { cargo fuzz build --sanitizer none "$@" >>"$out/logs/build.log" 2>&1; }
: >"$out/logs/build.log"
if [ $# -eq 0 ]; then build; else for t in "${targets[@]}"; do build "$t"; done; fi || {
  tail -40 "$out/logs/build.log" >&2
  echo "fuzz build failed (see $out/logs/build.log)" >&2
  exit 1
}

failed=0
total=0
summary=()
for t in "${targets[@]}"; do
  work="$(mktemp -d)"
  if [ -d "corpus/$t" ]; then
    cp -r "corpus/$t/." "$work/"
  fi
  log="$out/logs/$t.log"
  status=ok
  "$bin_dir/$t" "$work" \
    -max_total_time="$seconds" -timeout="$timeout_s" -rss_limit_mb="$rss_mb" \
    -artifact_prefix="$out/artifacts/$t-" -print_final_stats=1 >"$log" 2>&1 || status=FAILED
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  cov="$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)"
  corpus="$(ls "$work" | wc -l)"
  rm -rf "$work"
  execs="${execs:-0}"
  total=$((total + execs))
  line="$(printf '%-16s %12s execs  %-22s corpus %5s  %s' "$t" "$execs" "${cov:-cov: ?}" "$corpus" "$status")"
  echo "$line"
  summary+=("$line")
  if [ "$status" != ok ]; then
    failed=$((failed + 1))
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -8 >&2 || true
  fi
done

echo
echo "fuzzing summary: ${#targets[@]} targets, ${seconds}s each, $total executions, $failed failed"
printf '%s\n' "${summary[@]}" >"$out/summary.txt"
echo "total $total executions, $failed failed" >>"$out/summary.txt"
[ "$failed" -eq 0 ]
