#!/usr/bin/env bash
# The README's commands, run as written: every `ecgbench ...` line of its ```sh blocks runs, in
# order, with `ecgbench` installed on PATH by `make install PREFIX=...`, in a scratch copy of the
# repository without data/ (so nothing it writes lands in the checkout, and a line that needs the
# full data without saying so fails as it would for a newcomer); each must exit 0. Every `make TARGET` named there must be a
# target of the Makefile (make bench and make test themselves are what CI and the e2e run).
# Usage: tests/readme_commands.sh [README]   (from the repository root)
set -uo pipefail
readme=${1:-README.md}
root=$(pwd)
[ -r "$readme" ] || { echo "readme_commands: cannot read $readme"; echo "RESULT 0 passed, 1 failed, 0 skipped"; exit 1; }
work=$(mktemp -d /tmp/ecgbench_readme_XXXXXX)
trap 'rm -rf "$work" /tmp/ecgbench-demo' EXIT
passed=0; failed=0

# The sh blocks' lines, a trailing backslash joining a line to the next.
commands=$(awk '/^```sh$/ {inb=1; next} /^```/ {inb=0} inb' "$readme" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta')

echo "== README commands: make targets"
for t in $(printf '%s\n' "$commands" | sed -nE 's/^make ([a-z][a-z0-9-]*).*/\1/p' | sort -u); do
  if grep -qE "^$t:" Makefile; then passed=$((passed + 1)); echo "  ok      make $t is a Makefile target"
  else failed=$((failed + 1)); echo "  not ok  make $t: no such target in the Makefile"; fi
done

echo "== README commands: ecgbench lines, run as written in a scratch copy without data/"
if ! make -s install PREFIX="$work/prefix" > "$work/install.log" 2>&1; then
  cat "$work/install.log"; echo "  not ok  make install PREFIX=$work/prefix"
  echo "RESULT $passed passed, $((failed + 1)) failed, 0 skipped"; exit 1
fi
# tracked files and new ones not ignored (models/, datasets/sample/, reports/*.gp, ...)
mkdir -p "$work/repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/repo"
rm -rf /tmp/ecgbench-demo
while IFS= read -r line; do
  [[ "$line" =~ ^ecgbench[[:space:]] ]] || continue
  start=$(date +%s)
  if (cd "$work/repo" && PATH="$work/prefix/bin:$PATH" env -u ECG_DATA_DIR -u ECGBENCH \
        bash -c "$line" > "$work/out.log" 2>&1); then
    passed=$((passed + 1)); echo "  ok      $line   ($(( $(date +%s) - start )) s)"
  else
    failed=$((failed + 1)); tail -n 20 "$work/out.log"; echo "  not ok  $line"
  fi
done <<< "$commands"
echo "RESULT $passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
