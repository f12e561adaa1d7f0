#!/usr/bin/env bash
# A seed ensemble judged to help, as runs of its own (scripts/select.sh calls this where `ecgbench
# ensemble --out` wrote LOG saying so): NAME's promoted seeds averaged in groups of M (seeds 1..M,
# M+1..2M, ... while every seed of a group is promoted), each made by `ecgbench ensemble --make`
# (judged by LOG) and its test split scored once: DEST/NAME-ensemble for seeds 1..M,
# SEEDS_OUT/NAME-ensemble/seedK for the group whose first seed is K. A group made already is kept.
#   scripts/ensemble_runs.sh ECGBENCH NAME LOG M     (DEST, SEEDS_OUT: as select.sh's)
set -euo pipefail
ECGBENCH=$1 name=$2 log=$3 m=$4
DEST=${DEST:-models/weights}
SEEDS_OUT=${SEEDS_OUT:-models/seeds}
[[ "$m" =~ ^[1-9][0-9]*$ && "$m" -ge 2 ]] || { echo "ensemble_runs: M must be 2 or more, not '$m'" >&2; exit 2; }

made=0
for ((k = 1; ; k += m)); do
  members=()
  for ((s = k; s < k + m; s++)); do
    if [ "$s" = 1 ]; then d=$DEST/$name; else d=$SEEDS_OUT/$name/seed$s; fi
    [ -f "$d/manifest.json" ] && members+=("$d")
  done
  [ ${#members[@]} -eq "$m" ] || break
  if [ "$k" = 1 ]; then to=$DEST/$name-ensemble; else to=$SEEDS_OUT/$name-ensemble/seed$k; fi
  made=$((made + 1))
  if [ -f "$to/manifest.json" ]; then echo "ensemble_runs: $to: made and scored already"; continue; fi
  # made and scored in a side folder, moved in only when both succeeded
  mkdir -p "$(dirname "$to")" && rm -rf "$to.tmp"
  "$ECGBENCH" ensemble --make "$to.tmp" --judged-by "$log" "${members[@]}"
  "$ECGBENCH" eval "$to.tmp" --record
  rm -rf "$to" && mv "$to.tmp" "$to"
done
echo "ensemble_runs: $name: $made ensemble run(s) of $m promoted seeds (seeds $((m * made + 1))-$((m * made + m)), once" \
  "promoted or trained by make train SEEDS=$((m * made + m)), make the next)"
