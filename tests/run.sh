#!/usr/bin/env bash
# Runs each test program (the test binaries, tests/peer_check.sh, tests/e2e_bench.sh), sums the
# "RESULT N passed, M failed, K skipped" line each closes with, and prints the suite's closing line
# "N passed, M failed, K skipped". A program that dies without its summary line (a sanitizer report,
# a crash), or exits non-zero with no failure counted, counts as one failure. Each program's wall
# time follows its name; the slowest five close the run (CI has 30 minutes).
# `--jobs N` before a group of programs runs that group N at a time (each group ends before the
# next starts); `--jobs auto` is ECG_TEST_JOBS, else the core count (at most 4). The Makefile runs
# the programs that start threads of their own one at a time (two of them side by side would spin in
# each other's thread pools: twice as slow, not half) and the one-thread sanitized programs two at a
# time. With one at a time the output streams; with more, each program's output is printed whole
# when it ends.
set -u
auto_jobs=${ECG_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
[[ "$auto_jobs" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: ECG_TEST_JOBS must be a whole number >= 1, not '$auto_jobs'" >&2; exit 2; }
[ -n "${ECG_TEST_JOBS:-}" ] || [ "$auto_jobs" -le 4 ] || auto_jobs=4
jobs=1
passed=0; failed=0; skipped=0; broken=(); times=()
logs=$(mktemp -d /tmp/ecgbench_run_XXXXXX)
trap 'rm -rf "$logs"' EXIT

# tally NAME RC SECONDS: counts the program's summary line from its log
tally() {
  local name=$1 rc=$2 secs=$3 line p f s
  echo "   ($name: $secs s)"
  times+=("$secs $name")
  line=$(grep -E '^RESULT [0-9]+ passed, [0-9]+ failed' "$logs/$name.log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "  not ok  $name exited $rc without a summary"; failed=$((failed + 1)); broken+=("$name"); return
  fi
  read -r p f s < <(echo "$line" | sed -E 's/^RESULT ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/')
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); broken+=("$name(rc=$rc)"); fi
}

declare -A names=() starts=()
# finish_one: waits for any running program, prints its output whole, and counts it
finish_one() {
  local pid rc
  wait -n -p pid; rc=$?
  echo "== ${names[$pid]}"
  grep -v '^RESULT ' "$logs/${names[$pid]}.log"
  tally "${names[$pid]}" "$rc" $((SECONDS - starts[$pid]))
  unset "names[$pid]" "starts[$pid]"
}
while [ $# -gt 0 ]; do
  bin=$1; shift
  if [ "$bin" = --jobs ]; then
    while [ "${#names[@]}" -gt 0 ]; do finish_one; done
    jobs=${1:-}; shift
    [ "$jobs" = auto ] && jobs=$auto_jobs
    [[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --jobs takes a whole number >= 1 or auto, not '$jobs'" >&2; exit 2; }
    continue
  fi
  name=$(basename "$bin")
  if [ "$jobs" -eq 1 ]; then
    echo "== $name"
    start=$SECONDS
    "$bin" 2>&1 | tee "$logs/$name.log" | grep -v '^RESULT '
    tally "$name" "${PIPESTATUS[0]}" $((SECONDS - start))
    continue
  fi
  [ "${#names[@]}" -lt "$jobs" ] || finish_one
  "$bin" > "$logs/$name.log" 2>&1 &
  names[$!]=$name; starts[$!]=$SECONDS
done
while [ "${#names[@]}" -gt 0 ]; do finish_one; done
[ ${#broken[@]} -eq 0 ] || echo "broken programs: ${broken[*]}"
echo "slowest: $(printf '%s\n' "${times[@]}" | sort -rn | head -n 5 | awk '{printf "%s%s %d s", (NR > 1 ? ", " : ""), $2, $1}')"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
