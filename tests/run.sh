#!/usr/bin/env bash
# Runs each test program (the test binaries, tests/peer_check.sh, tests/e2e_bench.sh), sums the
# "RESULT N passed, M failed, K skipped" line each closes with, and prints the suite's closing line
# "N passed, M failed, K skipped". A program that dies without its summary line (a sanitizer report,
# a crash), or exits non-zero with no failure counted, counts as one failure. Each program's wall
# time follows its name; the slowest five close the run (CI has 30 minutes).
# ECG_TEST_JOBS=N runs N programs at once (default: the core count, at most 4): most programs are
# one sanitized thread, so a second core would idle. With one job the output streams; with more,
# each program's output is printed whole when it ends. The programs start in the order given, so
# the caller names the slowest first.
set -u
jobs=${ECG_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: ECG_TEST_JOBS must be a whole number >= 1, not '$jobs'" >&2; exit 2; }
[ -n "${ECG_TEST_JOBS:-}" ] || [ "$jobs" -le 4 ] || jobs=4
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

if [ "$jobs" -eq 1 ]; then
  for bin in "$@"; do
    name=$(basename "$bin")
    echo "== $name"
    start=$SECONDS
    "$bin" 2>&1 | tee "$logs/$name.log" | grep -v '^RESULT '
    tally "$name" "${PIPESTATUS[0]}" $((SECONDS - start))
  done
else
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
  for bin in "$@"; do
    [ "${#names[@]}" -lt "$jobs" ] || finish_one
    name=$(basename "$bin")
    "$bin" > "$logs/$name.log" 2>&1 &
    names[$!]=$name; starts[$!]=$SECONDS
  done
  while [ "${#names[@]}" -gt 0 ]; do finish_one; done
fi
[ ${#broken[@]} -eq 0 ] || echo "broken programs: ${broken[*]}"
echo "slowest: $(printf '%s\n' "${times[@]}" | sort -rn | head -n 5 | awk '{printf "%s%s %d s", (NR > 1 ? ", " : ""), $2, $1}')"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
