#!/usr/bin/env bash
# Runs each test binary, sums their results, prints the suite's closing line "N passed, M failed".
# A binary that dies without its summary line (a sanitizer report, a crash) counts as one failure.
set -u
passed=0; failed=0; broken=()
for bin in "$@"; do
  name=$(basename "$bin")
  echo "== $name"
  out=$("$bin" 2>&1); rc=$?
  printf '%s\n' "$out" | grep -v '^RESULT '
  line=$(printf '%s\n' "$out" | grep '^RESULT ' | tail -n 1)
  if [ -z "$line" ]; then
    echo "  not ok  $name exited $rc without a summary"; failed=$((failed + 1)); broken+=("$name"); continue
  fi
  p=$(echo "$line" | sed -E 's/RESULT ([0-9]+) passed, ([0-9]+) failed/\1/')
  f=$(echo "$line" | sed -E 's/RESULT ([0-9]+) passed, ([0-9]+) failed/\2/')
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); broken+=("$name(rc=$rc)"); fi
done
[ ${#broken[@]} -eq 0 ] || echo "broken binaries: ${broken[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
