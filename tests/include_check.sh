#!/usr/bin/env bash
# The include direction between the source folders (docs/architecture.md draws it). LAYERS below
# is the one place it is written: one line per level, lowest first. A folder may include its own
# headers and those of any folder on an earlier line, never one on its own line or a later one.
# Every folder of C sources must be on a line (a new folder gets its place here first).
#
# Usage: tests/include_check.sh [ROOT]
#   ROOT given: checks that tree only, prints each wrong include, exits 1 when there is one.
#   no ROOT (make test): checks this repository, then that the check fails on small trees that
#   break the rule; closes with "RESULT N passed, M failed, K skipped".
set -uo pipefail

LAYERS='
ops datasets
models
train compress
baselines export
runs
bench
report
cli'

# check ROOT: prints "FILE:LINE: FOLDER may not include HEADER (...)" per wrong include; 0 when none.
check() {
  local root=$1 bad=0 level=0 line f
  declare -A rank=()
  while read -r line; do
    [ -n "$line" ] || continue
    for f in $line; do rank[$f]=$level; done
    level=$((level + 1))
  done <<<"$LAYERS"
  local dir
  for dir in "$root"/*/; do
    dir=$(basename "$dir")
    case $dir in tests | build* | data | docs | scripts | reports | node_modules) continue ;; esac
    compgen -G "$root/$dir/*.[ch]" >/dev/null || compgen -G "$root/$dir/*.cc" >/dev/null || continue
    if [ -z "${rank[$dir]+x}" ]; then
      echo "$dir/: a folder of sources that LAYERS in tests/include_check.sh does not place"
      bad=1
      continue
    fi
    local src hit num inc target
    for src in "$root/$dir"/*.c "$root/$dir"/*.cc "$root/$dir"/*.h; do
      [ -e "$src" ] || continue
      while IFS=: read -r num inc; do
        inc=${inc#*\"}; inc=${inc%%\"*}
        inc=${inc#../}                     # "../runs/runs.h" names the same folder as "runs/runs.h"
        case $inc in */*) target=${inc%%/*} ;; *) continue ;; esac   # "ops.h": its own folder
        [ "$target" = "$dir" ] && continue
        if [ -z "${rank[$target]+x}" ]; then
          echo "${src#"$root"/}:$num: includes $inc, from a folder LAYERS does not place"
          bad=1
        elif [ "${rank[$target]}" -ge "${rank[$dir]}" ]; then
          echo "${src#"$root"/}:$num: $dir/ may not include $inc ($target/ is not below $dir/)"
          bad=1
        fi
      done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$src")
    done
  done
  return $bad
}

if [ $# -ge 1 ]; then
  check "$1"
  exit $?
fi

cd "$(dirname "$0")/.."
pass=0; fail=0
ok() { echo "  ok      $1"; pass=$((pass + 1)); }
not_ok() { echo "  not ok  $1"; fail=$((fail + 1)); }

if out=$(check .); then ok "every include follows LAYERS"; else echo "$out"; not_ok "every include follows LAYERS"; fi

# The check itself: trees with one wrong include each must fail, naming the file; a right one passes.
tmp=$(mktemp -d /tmp/ecgbench_include_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
tree() { # tree NAME FILE TEXT...: a tree holding a correct pair of files and FILE with TEXT
  rm -rf "${tmp:?}/$1"; mkdir -p "$tmp/$1/ops" "$tmp/$1/models"
  printf '#include "ops/ops.h"\n' >"$tmp/$1/models/m.c"
  printf '#include "ops.h"\n' >"$tmp/$1/ops/ops.c"
  if [ $# -ge 3 ]; then mkdir -p "$(dirname "$tmp/$1/$2")"; printf '%s\n' "$3" >"$tmp/$1/$2"; fi
}
expect_fail() { # NAME FILE TEXT WHY
  tree "$1" "$2" "$3"
  if out=$(check "$tmp/$1"); then not_ok "$4: not caught"; elif grep -q "^${2%%/*}/" <<<"$out"; then ok "$4: $out"; else
    not_ok "$4: the message does not name ${2%%/*}/: $out"; fi
}
tree good
if out=$(check "$tmp/good"); then ok "a tree that follows LAYERS passes"; else not_ok "a tree that follows LAYERS fails: $out"; fi
expect_fail up ops/x.c '#include "models/models.h"' "a lower layer including a higher one"
expect_fail sibling train/t.c '#include "compress/compress.h"' "a folder including one on its own level"
expect_fail relative runs/r.h '#  include "../cli/cli.h"' "a higher header reached through ../"
expect_fail unplaced newdir/n.c '#include "ops/ops.h"' "a folder LAYERS does not place"

echo "RESULT $pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
