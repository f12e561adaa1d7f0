#!/usr/bin/env bash
# `make data`: lays out the full data sets under DATA_DIR (default data/, gitignored):
#   DATA_DIR/mitdb/NNN.{hea,dat,atr} + SHA256SUMS     MIT-BIH Arrhythmia v1.0.0, 48 records
#   DATA_DIR/cinc2017/training2017/                    PhysioNet/CinC 2017 training set (8528 records)
# With ECG_DATA_MIRROR=dir (CI: ../shared/data) it verifies and copies dir/mitdb/ and unpacks
# dir/cinc2017.tar.zst; otherwise it downloads from PhysioNet with curl or wget. Each set is
# built in a temp folder and renamed into place only when complete and verified, so a second run
# (or a run after an interruption) finds it intact ("already present") or starts it over.
set -euo pipefail

DATA_DIR=${1:-data}
MIRROR=${ECG_DATA_MIRROR:-}
MITDB_URL=https://physionet.org/files/mitdb/1.0.0
CINC_URL=https://physionet.org/files/challenge-2017/1.0.0
CINC_RECORDS=8528

say() { echo "data: $*"; }
die() { echo "data: error: $*" >&2; exit 1; }

# fetch URL OUT: curl or wget; a failure says how to work offline.
fetch() {
  if command -v curl >/dev/null; then curl -fsSL --retry 2 -o "$2" "$1" && return 0
  elif command -v wget >/dev/null; then wget -q -O "$2" "$1" && return 0
  else die "neither curl nor wget is installed"; fi
  die "cannot download $1 (offline?). Copy from a local mirror instead: make data ECG_DATA_MIRROR=dir"
}

# ---------------------------------------------------------------- MIT-BIH
mitdb_present() {
  [ -f "$DATA_DIR/mitdb/SHA256SUMS" ] && [ "$(ls "$DATA_DIR"/mitdb/*.dat 2>/dev/null | wc -l)" -eq 48 ] &&
    (cd "$DATA_DIR/mitdb" && sha256sum -c --quiet --strict SHA256SUMS >/dev/null 2>&1)
}

mitdb_from_mirror() {
  local src="$MIRROR/mitdb" tmp="$1"
  [ -f "$src/SHA256SUMS" ] || die "$src/SHA256SUMS not found (is ECG_DATA_MIRROR=$MIRROR right?)"
  say "mitdb: verifying $src against its SHA256SUMS"
  (cd "$src" && sha256sum -c --quiet --strict SHA256SUMS) || die "$src: checksum mismatch, not copied"
  cp "$src"/*.hea "$src"/*.dat "$src"/*.atr "$src/SHA256SUMS" "$tmp/"
}

mitdb_download() {
  local tmp="$1"
  say "mitdb: downloading 48 records from $MITDB_URL"
  fetch "$MITDB_URL/RECORDS" "$tmp/RECORDS"
  local sums=""
  if fetch "$MITDB_URL/SHA256SUMS.txt" "$tmp/SHA256SUMS.txt" 2>/dev/null; then sums="$tmp/SHA256SUMS.txt"; fi
  while read -r rec; do
    [ -n "$rec" ] || continue
    for ext in hea dat atr; do fetch "$MITDB_URL/$rec.$ext" "$tmp/$rec.$ext"; done
  done <"$tmp/RECORDS"
  (cd "$tmp" && sha256sum ./*.hea ./*.dat ./*.atr | sed 's| \./| |' >SHA256SUMS)
  if [ -n "$sums" ]; then
    # Every downloaded file must appear in PhysioNet's list with the same digest.
    while read -r digest name; do
      grep -Eq "^$digest +\*?$name\$" "$sums" || die "mitdb: $name does not match PhysioNet's SHA256SUMS.txt"
    done <"$tmp/SHA256SUMS"
    say "mitdb: verified against PhysioNet's SHA256SUMS.txt"
  else
    say "mitdb: warning: PhysioNet's SHA256SUMS.txt unavailable; files not verified"
  fi
  rm -f "$tmp/RECORDS" "$tmp/SHA256SUMS.txt"
  [ "$(ls "$tmp"/*.dat | wc -l)" -eq 48 ] || die "mitdb: expected 48 records"
}

# ---------------------------------------------------------------- CinC 2017
cinc_present() {
  [ -f "$DATA_DIR/cinc2017/.complete" ] && [ -f "$DATA_DIR/cinc2017/training2017/REFERENCE.csv" ] &&
    [ "$(ls "$DATA_DIR"/cinc2017/training2017/*.mat 2>/dev/null | wc -l)" -eq "$CINC_RECORDS" ]
}

cinc_from_mirror() {
  local tar="$MIRROR/cinc2017.tar.zst" tmp="$1"
  [ -f "$tar" ] && [ -f "$tar.sha256" ] || die "$tar or its .sha256 not found (is ECG_DATA_MIRROR=$MIRROR right?)"
  say "cinc2017: verifying $tar"
  (cd "$MIRROR" && sha256sum -c --quiet --strict cinc2017.tar.zst.sha256) || die "$tar: checksum mismatch"
  command -v zstd >/dev/null || die "zstd is not installed (make deps)"
  say "cinc2017: unpacking"
  zstd -dc "$tar" | tar -x -C "$tmp"
  echo "from $tar sha256 $(cut -d' ' -f1 "$tar.sha256")" >"$tmp/.complete"
}

cinc_download() {
  local tmp="$1"
  say "cinc2017: downloading training2017.zip and REFERENCE-v3.csv from $CINC_URL"
  fetch "$CINC_URL/training2017.zip" "$tmp/training2017.zip"
  fetch "$CINC_URL/REFERENCE-v3.csv" "$tmp/REFERENCE-v3.csv"
  if fetch "$CINC_URL/SHA256SUMS.txt" "$tmp/SHA256SUMS.txt" 2>/dev/null; then
    for f in training2017.zip REFERENCE-v3.csv; do
      local digest
      digest=$(sha256sum "$tmp/$f" | cut -d' ' -f1)
      grep -Eq "^$digest +\*?$f\$" "$tmp/SHA256SUMS.txt" || die "cinc2017: $f does not match PhysioNet's SHA256SUMS.txt"
    done
    say "cinc2017: verified against PhysioNet's SHA256SUMS.txt"
  else
    say "cinc2017: warning: PhysioNet's SHA256SUMS.txt unavailable; files not verified"
  fi
  command -v unzip >/dev/null || die "unzip is not installed"
  unzip -q "$tmp/training2017.zip" -d "$tmp"
  # The challenge's final labels are v3; keep the zip's first-release labels beside them.
  [ -f "$tmp/training2017/REFERENCE.csv" ] && mv "$tmp/training2017/REFERENCE.csv" "$tmp/training2017/REFERENCE-original.csv"
  cp "$tmp/REFERENCE-v3.csv" "$tmp/training2017/REFERENCE.csv"
  rm -f "$tmp/training2017.zip" "$tmp/REFERENCE-v3.csv" "$tmp/SHA256SUMS.txt"
  echo "from $CINC_URL (training2017.zip, REFERENCE-v3.csv)" >"$tmp/.complete"
}

# ---------------------------------------------------------------- main
# build NAME PRESENT_FN FILL_FN: fills DATA_DIR/NAME.tmp.$$ and renames it into place.
build() {
  local name=$1 present=$2 fill=$3
  if $present; then say "$name: already present in $DATA_DIR/$name"; return 0; fi
  local tmp="$DATA_DIR/$name.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  trap 'rm -rf "'"$tmp"'"' EXIT
  $fill "$tmp"
  rm -rf "${DATA_DIR:?}/$name"
  mv "$tmp" "$DATA_DIR/$name"
  trap - EXIT
  $present || die "$name: incomplete after copying (see messages above)"
  say "$name: ready in $DATA_DIR/$name"
}

mkdir -p "$DATA_DIR"
if [ -n "$MIRROR" ]; then
  [ -d "$MIRROR" ] || die "ECG_DATA_MIRROR=$MIRROR is not a folder"
  build mitdb mitdb_present mitdb_from_mirror
  build cinc2017 cinc_present cinc_from_mirror
else
  build mitdb mitdb_present mitdb_download
  build cinc2017 cinc_present cinc_download
fi
say "done: $DATA_DIR holds mitdb/ and cinc2017/training2017/"
