#!/usr/bin/env bash
# Regenerates the fuzz targets' seed corpora (tests/fuzz/seeds/TARGET/) from real files: what the
# suite's own writers save (gen_weights_seeds.c: dense, sparse, fp16 and int8 weights files and
# training checkpoints; gen_safetensors_seeds.c: safetensors files), the committed runs' manifests
# (models/weights, models/compressed), manifests that vouch for the file fuzz_manifest puts beside
# them (one that matches, one that does not), and the bundled sample's WFDB headers. The
# hand-edited seeds (a saved file with one value changed, behind a reader fix: epoch_neg,
# confusion_1e300.json, ...) are committed as they are and left alone.
# Usage: tests/fuzz/gen_seeds.sh   (from the repository root; `make fuzz-seeds` runs it)
set -euo pipefail
seeds=tests/fuzz/seeds
build=${BUILD:-build}
make -s "$build/asan/libecgbench.a"
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
libs=(-lXNNPACK -lpthreadpool -lcjson -lcsv -lsamplerate -lmatio -lliquid -lprotobuf-c -lnettle
      "-L/usr/lib/$multiarch/openblas-pthread" -lopenblas -lgsl -lm -lpthread -lstdc++ -lbenchmark)
gen() { # SOURCE OUT: one generator, built against the sanitized library
  gcc -std=c11 -D_GNU_SOURCE -I. "-I/usr/include/$multiarch/openblas-pthread" -fsanitize=address,undefined \
    "$1" "$build/asan/libecgbench.a" "${libs[@]}" -o "$2"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gen tests/fuzz/gen_weights_seeds.c "$tmp/gen_weights" && "$tmp/gen_weights" "$seeds"
gen tests/fuzz/gen_safetensors_seeds.c "$tmp/gen_st" && "$tmp/gen_st" "$seeds/fuzz_safetensors"

# manifests: the committed runs' (a trained run of each kind, the compressed variants, a seed)
for run in models/weights/efficientecg-s-mitdb-aami models/weights/crnn-cinc2017 \
           models/classical/dechazal-mitdb-aami models/weights/efficientecg-fusion-rr-mitdb-aami \
           models/compressed/efficientecg-s-mitdb-aami-{channels50,fp16,int8,prune90} \
           models/seeds/efficientecg-s-cinc2017/seed2; do
  [ -f "$run/manifest.json" ] || continue
  name=$(basename "$run"); [ "$name" = seed2 ] && name=efficientecg-s-cinc2017-seed2
  cp "$run/manifest.json" "$seeds/fuzz_manifest/$name.json"
done
# ... and the same vouching for fuzz_manifest's weights file ("fuzz weights\n"), then not
python3 - "$seeds/fuzz_manifest" <<'PY'
import hashlib, json, sys
d = sys.argv[1]
m = json.load(open(d + "/efficientecg-s-mitdb-aami.json"))
w = b"fuzz weights\n"
m["files"] = {"weights.safetensors": {"bytes": len(w), "sha256": hashlib.sha256(w).hexdigest()}}
json.dump(m, open(d + "/files_match.json", "w"), indent=1)
m["files"]["weights.safetensors"]["sha256"] = hashlib.sha256(b"other weights\n").hexdigest()
json.dump(m, open(d + "/files_differ.json", "w"), indent=1)
PY
# WFDB headers of the sample
for rec in 100 119 208; do
  [ -f "datasets/sample/mitdb/$rec.hea" ] && cp "datasets/sample/mitdb/$rec.hea" "$seeds/fuzz_wfdb_header/sample_$rec.hea"
done
echo "gen_seeds: seed corpora written under $seeds"
