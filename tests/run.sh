#!/usr/bin/env bash
# Runs each test program (the test binaries, tests/peer_check.sh, tests/e2e_bench.sh), streams its
# output, sums the "RESULT N passed, M failed, K skipped" line each closes with, and prints the
# suite's closing line "N passed, M failed, K skipped". A program that dies without its summary line
# (a sanitizer report, a crash), or exits non-zero with no failure counted, counts as one failure.
# Each program's wall time follows its name; the slowest five close the run (CI has 30 minutes).
set -u
passed=0; failed=0; skipped=0; broken=(); times=()
log=$(mktemp /tmp/ecgbench_run_XXXXXX)
trap 'rm -f "$log"' EXIT
for bin in "$@"; do
  name=$(basename "$bin")
  echo "== $name"
  start=$SECONDS
  "$bin" 2>&1 | tee "$log" | grep -v '^RESULT '
  rc=${PIPESTATUS[0]}
  echo "   ($name: $((SECONDS - start)) s)"
  times+=("$((SECONDS - start)) $name")
  line=$(grep -E '^RESULT [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "  not ok  $name exited $rc without a summary"; failed=$((failed + 1)); broken+=("$name"); continue
  fi
  read -r p f s < <(echo "$line" | sed -E 's/^RESULT ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/')
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); broken+=("$name(rc=$rc)"); fi
done
[ ${#broken[@]} -eq 0 ] || echo "broken programs: ${broken[*]}"
echo "slowest: $(printf '%s\n' "${times[@]}" | sort -rn | head -n 5 | awk '{printf "%s%s %d s", (NR > 1 ? ", " : ""), $2, $1}')"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
