#!/usr/bin/env bash
# `make select`'s script (scripts/select.sh) on the bundled sample with two short lstm candidates,
# each over seeds 1 and 2 (SEEDS=2): the candidates never meet the test split, the winner (the
# better mean validation macro-F1, read here from the candidates' manifests) is promoted with the
# selection log, seed 1 to DEST and seed 2 to SEEDS_OUT, each test split scored once and re-checked
# with `ecgbench eval`; a second call trains nothing and leaves the promoted run alone; TRAIN_ONLY
# trains and chooses nothing; with FOLDS the folds rank the candidates, and OFFSETS fits decision
# offsets on the winner's folds, retraining fold weights that are not on the machine (checked
# against their manifests), and ENSEMBLE judges the promoted recipe's seeds together on the folds.
# Usage: tests/select_script.sh [PATH/TO/release/ecgbench]   (default: $ECGBENCH_RELEASE)
set -uo pipefail
bin=${1:-${ECGBENCH_RELEASE:-}}
[ -n "$bin" ] && [ -x "$bin" ] || { echo "usage: tests/select_script.sh PATH/TO/ecgbench" >&2; exit 2; }
bin=$(realpath "$bin")
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/ecgbench_select_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export ECG_DATA_DIR=datasets/sample ECG_CACHE_DIR=$tmp/cache CAND=$tmp/selection DEST=$tmp/weights
export SEEDS=2 SEEDS_OUT=$tmp/seeds
export CANDIDATES="lstm mitdb-aami one --epochs 1 --threads 1
lstm mitdb-aami two --epochs 2 --threads 1 --class-weights inverse --class-weight-cap S=2,V=2"
fail=0
check() { if eval "$2"; then echo "  ok      $1"; else echo "  not ok  $1"; fail=1; fi; }
val_f1() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["metrics"]["val"]["macro_f1"])' "$1"; }

scripts/select.sh "$bin" >"$tmp/first.log" 2>&1
check "the first call succeeds" '[ $? -eq 0 ] || { tail -n 20 "$tmp/first.log"; false; }'
run=$DEST/lstm-mitdb-aami seed2=$SEEDS_OUT/lstm-mitdb-aami/seed2 c=$CAND/lstm-mitdb-aami
check "no candidate has test metrics" '! grep -q "\"test\"" "$c"/{one,two}/manifest.json "$c"/{one,two}/seed2/manifest.json'
a=$(python3 -c "print(($(val_f1 "$c/one/manifest.json")) + ($(val_f1 "$c/one/seed2/manifest.json")))")
b=$(python3 -c "print(($(val_f1 "$c/two/manifest.json")) + ($(val_f1 "$c/two/seed2/manifest.json")))")
want=$(python3 -c "print('two' if $b > $a else 'one')")
check "the promoted run is the better mean ($want)" 'cmp -s "$run/weights.safetensors" "$c/$want/weights.safetensors"'
check "its seed 2 is promoted beside it" 'cmp -s "$seed2/weights.safetensors" "$c/$want/seed2/weights.safetensors"'
check "the selection log (a row per candidate and seed) is beside it" '[ "$(wc -l < "$run/selection.csv")" -eq 5 ]'
check "both seeds' test splits were scored once and re-check" '"$bin" eval "$run" >/dev/null && "$bin" eval "$seed2" >/dev/null'
check "a second --record is refused" '! "$bin" eval "$run" --record >/dev/null 2>&1'
# make train keeps the chosen recipe: its table must name the options the log chose (quoted in the
# CSV where they hold a comma), seed for seed
recipe() { case $1 in one) echo "--epochs 1" ;; *) echo "--epochs 2 --class-weights inverse --class-weight-cap S=2,V=2" ;; esac; }
other=$([ "$want" = one ] && echo two || echo one)
echo "lstm mitdb-aami $(recipe "$want")" >"$tmp/runs.chosen"
echo "lstm mitdb-aami $(recipe "$other")" >"$tmp/runs.other"
check "make train accepts the chosen recipe" 'LIST=1 RUNS_FILE=$tmp/runs.chosen OUT=$DEST scripts/train.sh "$bin" >/dev/null'
said=$(LIST=1 RUNS_FILE=$tmp/runs.other OUT=$DEST scripts/train.sh "$bin" 2>&1); rc=$?
check "make train refuses another recipe" '[ $rc -ne 0 ] && grep -q "not the one its selection log chose" <<<"$said"'
check "select --chosen prints the chosen options" '[ "$("$bin" select --chosen "$run/selection.csv")" = "$(recipe "$want")" ]'
printf 'candidate,options,chosen\na,--epochs 1,1\nb,--epochs 2,1\n' >"$tmp/two-chosen.csv"
printf 'candidate,options,chosen\na,--epochs 1,0\n' >"$tmp/none-chosen.csv"
check "select --chosen refuses a log that chose two recipes, or none" \
  '! "$bin" select --chosen "$tmp/two-chosen.csv" 2>/dev/null && ! "$bin" select --chosen "$tmp/none-chosen.csv" 2>/dev/null'
scripts/select.sh "$bin" >"$tmp/second.log" 2>&1
check "a second call trains nothing and keeps the promoted run" 'grep -q "one: trained" "$tmp/second.log" && grep -q "chosen and scored already" "$tmp/second.log"'
# FOLDS: the sample holds DS1 records of folds 2 (119) and 3 (208) only, so the folds are listed;
# each candidate gains fold2/ and fold3/ runs, and the log ranks them by their summed confusions
# (TRAIN_ONLY first: it trains them all and chooses nothing)
export CAND=$tmp/selection-cv DEST=$tmp/weights-cv SEEDS_OUT=$tmp/seeds-cv SEEDS=1 FOLDS="2 3"
TRAIN_ONLY=1 scripts/select.sh "$bin" >"$tmp/train-only.log" 2>&1
check "a TRAIN_ONLY call trains the folds and chooses nothing" \
  '[ $? -eq 0 ] && [ -f "$CAND/lstm-mitdb-aami/two/fold3/manifest.json" ] && [ ! -e "$DEST" ] && [ ! -e "$CAND/lstm-mitdb-aami/selection.csv" ]'
scripts/select.sh "$bin" >"$tmp/folds.log" 2>&1
check "a FOLDS call succeeds" '[ $? -eq 0 ] || { tail -n 20 "$tmp/folds.log"; false; }'
check "it trains nothing more" \
  'grep -q "^select: .* fold 3 (" "$tmp/train-only.log" && ! grep -q "^select: .* fold [23] (" "$tmp/folds.log"'
fold_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"].get("fold"))' "$1"; }
check "each candidate has its fold runs" \
  '[ "$(fold_of "$CAND/lstm-mitdb-aami/one/fold2/manifest.json")" = 2 ] && [ "$(fold_of "$CAND/lstm-mitdb-aami/two/fold3/manifest.json")" = 3 ]'
check "the promoted run's log has a row per candidate, seed and fold" \
  '[ "$(wc -l < "$DEST/lstm-mitdb-aami/selection.csv")" -eq 7 ] && grep -q "summed over 2 folds" "$DEST/lstm-mitdb-aami/selection.csv"'
# OFFSETS: a second call leaves the promoted run, fits decision offsets on the winner's folds and,
# when held-out folds say they help, derives RUN-offsets from the promoted run (test scored once).
# The candidates' weights are not committed, so the winner's fold weights are removed first: the
# call must retrain them from their manifests and get the same bytes
c=$CAND/lstm-mitdb-aami
win=$(for d in "$c"/*/; do cmp -s "$d/weights.safetensors" "$DEST/lstm-mitdb-aami/weights.safetensors" && basename "$d"; done)
sha_of() { sha256sum "$1" | cut -d' ' -f1; }
fold3_sha=$(sha_of "$c/$win/fold3/weights.safetensors")
rm -f "$c/$win"/weights.safetensors "$c/$win"/fold*/weights.safetensors
OFFSETS=1 scripts/select.sh "$bin" >"$tmp/offsets.log" 2>&1
check "an OFFSETS call succeeds" '[ $? -eq 0 ] || { tail -n 20 "$tmp/offsets.log"; false; }'
check "the winner's missing fold weights are retrained, byte for byte" \
  'grep -q "fold3: weights not on this machine, retraining" "$tmp/offsets.log" && [ "$(sha_of "$c/$win/fold3/weights.safetensors")" = "$fold3_sha" ]'
applies=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["applies"])' "$CAND/lstm-mitdb-aami/offsets.json")
if [ "$applies" = True ]; then
  check "the offsets variant is derived and re-checks"     '"$bin" eval "$DEST/lstm-mitdb-aami-offsets" >/dev/null && cmp -s "$DEST/lstm-mitdb-aami-offsets/offsets.json" "$CAND/lstm-mitdb-aami/offsets.json"'
else
  check "offsets that did not help are not applied"     '[ ! -e "$DEST/lstm-mitdb-aami-offsets" ] && grep -q "stands alone" "$tmp/offsets.log"'
fi
# ENSEMBLE: a further call (SEEDS=2) trains the promoted recipe's seed 2 on the same folds and
# judges the ensemble of seeds 1 and 2 there; each member's pooled score must be the macro-F1 of
# its fold manifests' validation confusions summed, and the ensemble is judged on every example
SEEDS=2 ENSEMBLE=1 scripts/select.sh "$bin" >"$tmp/ensemble.log" 2>&1
check "an ENSEMBLE call succeeds" '[ $? -eq 0 ] || { tail -n 20 "$tmp/ensemble.log"; false; }'
check "the winner's seed 2 is trained on the folds" \
  '[ "$(fold_of "$c/$win/seed2/fold3/manifest.json")" = 3 ] && grep -q "\"seed\":[[:space:]]*2," "$c/$win/seed2/fold2/manifest.json"'
check "the other candidate's seed 2 is not" '[ ! -e "$c/$([ "$win" = one ] && echo two || echo one)/seed2/fold2" ]'
check "the ensemble's log scores each member as its fold manifests say" 'python3 - "$c/ensemble.json" <<'"'"'PY'"'"'
import json, sys
doc = json.load(open(sys.argv[1]))
def macro_f1(cm):
    k = len(cm); f = []
    for c in range(k):
        tp, t, p = cm[c][c], sum(cm[c]), sum(r[c] for r in cm)
        if t: f.append(2 * tp / (t + p) if tp else 0.0)
    return sum(f) / len(f)
n = 0
for m in doc["members"]:
    cm = None
    for f in m["folds"]:
        v = json.load(open(f["run"] + "/manifest.json"))["metrics"]["val"]["confusion"]
        cm = v if cm is None else [[a + b for a, b in zip(r, s)] for r, s in zip(cm, v)]
    assert abs(m["score"] - macro_f1(cm)) < 1e-9, (m["from"], m["score"], macro_f1(cm))
    n = sum(map(sum, cm))
assert len(doc["members"]) == 2 and [m["seed"] for m in doc["members"]] == [1, 2]
assert sum(map(sum, doc["ensemble"]["confusion"])) == n
assert doc["helps"] == (doc["score_ensemble"] > doc["score_mean_of_members"])
PY'
check "the verdict is said" 'grep -Eq "ensemble of seeds 1, 2 (beats|does not beat) one seed" "$tmp/ensemble.log"'
helps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["helps"])' "$c/ensemble.json")
if [ "$helps" = True ]; then
  check "an ensemble that helps becomes a run of the promoted seeds, scored once" \
    '"$bin" eval "$DEST/lstm-mitdb-aami-ensemble" | grep "reproduces the manifest" >/dev/null && grep -q "1 ensemble run(s) of 2" "$tmp/ensemble.log"'
else
  check "an ensemble that does not help is no run" '[ ! -e "$DEST/lstm-mitdb-aami-ensemble" ]'
fi
# members that cannot make an ensemble are refused before any of them is predicted
check "an ensemble of one seed twice is refused" \
  '! "$bin" ensemble --out "$tmp/e.json" "$c/$win" "$c/$win" >"$tmp/e.out" 2>"$tmp/e.err" && grep -q "both seed 1" "$tmp/e.err" && [ ! -s "$tmp/e.out" ]'
check "an ensemble of two recipes is refused" \
  '! "$bin" ensemble --out "$tmp/e.json" "$c/one" "$c/two/seed2" >"$tmp/e.out" 2>"$tmp/e.err" && grep -q "is not the recipe of" "$tmp/e.err" && [ ! -s "$tmp/e.out" ]'
check "a class the task does not have is refused" \
  '! "$bin" ensemble --out "$tmp/e.json" --classes N,X "$c/$win" "$c/$win/seed2" >"$tmp/e.out" 2>"$tmp/e.err" && grep -q "'"'X' is not one of"'" "$tmp/e.err" && [ ! -s "$tmp/e.out" ]'
mkdir "$tmp/mixed" && cp -r "$c/$win/fold2" "$c/$win/seed2/fold3" "$tmp/mixed/"
check "fold runs of two seeds do not pool" \
  '! "$bin" offsets --out "$tmp/e.json" "$tmp/mixed" >/dev/null 2>"$tmp/e.err" && grep -q "one pool holds one seed" "$tmp/e.err"'
check "offsets take no --classes" \
  '! "$bin" offsets --out "$tmp/e.json" --classes N,S "$c/$win" 2>"$tmp/e.err" && grep -q "not an option of this command" "$tmp/e.err"'
# ENSEMBLE as a list of seeds, judged on some classes: the log's name says which, and its scores are
# the mean F1 of those classes
ENSEMBLE="2 1" ENSEMBLE_CLASSES=N,V scripts/select.sh "$bin" >"$tmp/ensemble-nv.log" 2>&1
check "an ENSEMBLE call on listed seeds and classes succeeds" '[ $? -eq 0 ] || { tail -n 20 "$tmp/ensemble-nv.log"; false; }'
check "it scores the mean F1 of the classes named" 'python3 - "$c/ensemble-seeds2-1-N-V.json" <<'"'"'PY'"'"'
import json, sys
doc = json.load(open(sys.argv[1]))
def f1(cm, c):
    tp, t, p = cm[c][c], sum(cm[c]), sum(r[c] for r in cm)
    return 2 * tp / (t + p) if tp else 0.0
assert doc["criterion"] == "mean F1 of N,V", doc["criterion"]
assert [m["seed"] for m in doc["members"]] == [2, 1]
for m in doc["members"]:
    cm = m["pooled"]["confusion"]
    assert abs(m["score"] - (f1(cm, 0) + f1(cm, 2)) / 2) < 1e-9, (m["score"], f1(cm, 0), f1(cm, 2))
cm = doc["ensemble"]["confusion"]
assert abs(doc["score_ensemble"] - (f1(cm, 0) + f1(cm, 2)) / 2) < 1e-9
PY'
check "its verdict names the seeds" 'grep -Eq "ensemble of seeds 2, 1 (beats|does not beat) one seed" "$tmp/ensemble-nv.log"'
# an ensemble of the promoted seeds as a run of its own: made once, its test split scored once by
# eval --record (the mean of the members' softmax: recomputed here from each member's logits), then
# re-checked, and a table row of its own. A verdict that it did not help refuses it.
ens=$tmp/ensembles/lstm-mitdb-aami-ensemble
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["helps"]=False; json.dump(d,open(sys.argv[2],"w"))' "$c/ensemble.json" "$tmp/no.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["helps"]=True; json.dump(d,open(sys.argv[2],"w"))' "$c/ensemble.json" "$tmp/yes.json"
check "an ensemble its verdict says did not help is not made" \
  '! "$bin" ensemble --make "$ens" --judged-by "$tmp/no.json" "$run" "$seed2" 2>"$tmp/e.err" && grep -q "did not beat its members" "$tmp/e.err" && [ ! -e "$ens" ]'
check "a fold run is no member" \
  '! "$bin" ensemble --make "$ens" "$run" "$c/$win/seed2/fold2" 2>"$tmp/e.err" && grep -q "is a cross-validation fold run" "$tmp/e.err"'
check "one seed twice is no ensemble" '! "$bin" ensemble --make "$ens" "$run" "$run" 2>"$tmp/e.err" && grep -q "are both seed 1" "$tmp/e.err"'
"$bin" ensemble --make "$ens" --judged-by "$tmp/yes.json" "$run" "$seed2" >/dev/null 2>"$tmp/e.err"
check "an ensemble run is made, its verdict kept" '[ $? -eq 0 ] && python3 -c "import json,sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))" "$ens/ensemble_judged.json" "$tmp/yes.json" || { cat "$tmp/e.err"; false; }'
check "it is made once" '! "$bin" ensemble --make "$ens" "$run" "$seed2" 2>/dev/null'
check "its manifest names its first member's selection log, from its own folder" \
  '[ -f "$ens/$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"selection\"][\"log\"])" "$ens/manifest.json")" ]'
check "eval re-checks nothing before its test split is scored" '! "$bin" eval "$ens" >/dev/null 2>&1'
check "eval --record scores it, and eval re-checks it" '"$bin" eval "$ens" --record >/dev/null && "$bin" eval "$ens" | grep "reproduces the manifest" >/dev/null'
"$bin" data export mitdb-aami --split test --out "$tmp/test.safetensors" >/dev/null
for d in "$run" "$seed2"; do
  "$bin" predict lstm --task mitdb-aami --weights "$d/weights.safetensors" --input "$tmp/test.safetensors" \
    --out "$tmp/$(basename "$d").logits.safetensors" >/dev/null
done
check "its test confusion is the arg-max of its members' mean softmax" 'python3 - "$ens/manifest.json" "$tmp" "$run" <<'"'"'PY'"'"'
import json, math, struct, sys
def tensors(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    head = json.loads(b[8:8 + n])
    out = {}
    for k, v in head.items():
        if k == "__metadata__": continue
        lo, hi = v["data_offsets"]
        raw = b[8 + n + lo:8 + n + hi]
        fmt = {"F32": "f", "I64": "q"}[v["dtype"]]
        out[k] = (v["shape"], struct.unpack("<%d%s" % (len(raw) // struct.calcsize(fmt), fmt), raw))
    return out
man = json.load(open(sys.argv[1]))
tmp = sys.argv[2]
y = tensors(tmp + "/test.safetensors")["y"][1]
zs = [tensors(tmp + "/%s.logits.safetensors" % m)["logits"] for m in ("lstm-mitdb-aami", "seed2")]
k = zs[0][0][1]
cm = [[0] * k for _ in range(k)]
for i, t in enumerate(y):
    mean = [0.0] * k
    for shape, z in zs:
        row = z[i * k:(i + 1) * k]; top = max(row); e = [math.exp(v - top) for v in row]; s = sum(e)
        for c in range(k): mean[c] += e[c] / s / len(zs)
    cm[t][max(range(k), key=lambda c: mean[c])] += 1
assert cm == man["metrics"]["test"]["confusion"], (cm, man["metrics"]["test"]["confusion"])
assert man["variant"] == "ensemble" and [m["seed"] for m in man["ensemble"]["members"]] == [1, 2]
assert man["params"] == 2 * json.load(open(sys.argv[3] + "/manifest.json"))["params"]
PY'
check "what needs one model refuses it, naming why" \
  '! "$bin" export-onnx "$ens" --out "$tmp/e.onnx" 2>"$tmp/e.err" && grep -q "is a seed ensemble" "$tmp/e.err" &&
   ! "$bin" compress "$ens" --int8 --out "$tmp/e8" 2>"$tmp/e.err" && grep -q "is a seed ensemble" "$tmp/e.err"'
check "the results table shows it as an ensemble" '"$bin" results "$tmp/ensembles" | grep "| lstm ensemble of 2 |" >/dev/null'
# latency and peak memory are measured on all its members, run in turn
"$bin" latency --runs "$tmp/ensembles" --batch 1 --threads 1 --out "$tmp/lat" --benchmark_min_time=0.01 \
  --benchmark_repetitions=3 >"$tmp/lat.log" 2>&1
check "an ensemble is timed" '[ $? -eq 0 ] && grep -q "^lstm-mitdb-aami-ensemble," "$tmp/lat/latency_ecgbench.csv" || { tail -5 "$tmp/lat.log"; false; }'
"$bin" report --runs "$tmp/ensembles" --runs "$tmp/weights" --seeds none --latency "$tmp/lat/latency_ecgbench.csv" \
  --layer-reps 20 --out "$tmp/rep" >"$tmp/rep.log" 2>&1
check "the report shows it beside its members" '[ $? -eq 0 ] && grep "lstm, ensemble of 2 seeds" "$tmp/rep/tables.md" | grep "its seeds. average judged on held-out folds" >/dev/null || { tail -5 "$tmp/rep.log"; false; }'
# its recipe was chosen as its first member's: the "chosen on" cell reads that member's log
check "its recipe is chosen as its first member's" 'python3 - "$tmp/rep/tables.md" <<'"'"'PY'"'"'
import sys
rows = [[c.strip() for c in l.strip().strip("|").split("|")] for l in open(sys.argv[1]) if l.startswith("| lstm")]
ens = [r[-1] for r in rows if "ensemble" in r[0]]
one = [r[-1] for r in rows if "ensemble" not in r[0] and r[-1] != "-"]
assert ens and one and all(e.startswith(one[0] + " + its seeds") for e in ens), (ens, one)
PY'
check "its size and params are its members' summed" 'python3 - "$tmp/rep/results.csv" <<'"'"'PY'"'"'
import csv, sys
rows = {r["run"]: r for r in csv.DictReader(open(sys.argv[1]))}
e, one = rows["lstm-mitdb-aami-ensemble"], rows["lstm-mitdb-aami"]
assert abs(float(e["params"]) - 2 * float(one["params"])) <= 1e-5 * float(e["params"]), (e["params"], one["params"])
assert abs(float(e["size_bytes"]) - 2 * float(one["size_bytes"])) <= 1e-5 * float(e["size_bytes"]), (e["size_bytes"], one["size_bytes"])
assert float(e["peak_rss_kb"]) > 0
PY'
# select.sh's step after a verdict that helps (scripts/ensemble_runs.sh), on copies of the promoted
# seeds 1 and 2: one ensemble run of both, scored once; seeds 3-4 are not promoted, so no second;
# a second call keeps the first; a verdict that did not help makes none
mkdir -p "$tmp/er/seeds/lstm-mitdb-aami" && cp -r "$run" "$tmp/er/lstm-mitdb-aami" && cp -r "$seed2" "$tmp/er/seeds/lstm-mitdb-aami/"
er() { DEST=$tmp/er SEEDS_OUT=$tmp/er/seeds scripts/ensemble_runs.sh "$bin" lstm-mitdb-aami "$1" 2; }
er "$tmp/yes.json" >"$tmp/er.log" 2>&1
check "ensemble_runs makes the promoted seeds an ensemble run, scored once" \
  '[ $? -eq 0 ] && grep -q "1 ensemble run(s) of 2 promoted seeds (seeds 3-4" "$tmp/er.log" && [ ! -e "$tmp/er/lstm-mitdb-aami-ensemble.tmp" ] &&
   "$bin" eval "$tmp/er/lstm-mitdb-aami-ensemble" | grep "reproduces the manifest" >/dev/null || { tail -5 "$tmp/er.log"; false; }'
check "a second call keeps it" 'er "$tmp/yes.json" | grep "made and scored already" >/dev/null'
rm -rf "$tmp/er/lstm-mitdb-aami-ensemble"
check "a verdict that did not help makes none" '! er "$tmp/no.json" >/dev/null 2>&1 && [ ! -e "$tmp/er/lstm-mitdb-aami-ensemble" ]'
# a retrain that does not give the manifest's weights stops the call (here: a manifest whose
# recorded SHA-256 was altered), leaving the retrained run beside it
rm -rf "$DEST/lstm-mitdb-aami-offsets" "$c/$win/fold2/weights.safetensors"
sed -i '/"weights.safetensors":[[:space:]]*{/,/sha256/s/[0-9a-f]\{64\}/'"$(printf '0%.0s' {1..64})"'/' "$c/$win/fold2/manifest.json"
OFFSETS=1 scripts/select.sh "$bin" >"$tmp/mismatch.log" 2>&1; rc=$?
check "weights that differ from the manifest's are refused" \
  '[ $rc -ne 0 ] && grep -q "retrained weights differ" "$tmp/mismatch.log" && [ -f "$c/$win/fold2.restore/weights.safetensors" ] && [ ! -e "$c/$win/fold2/weights.safetensors" ]'
# OFFSETS without fold runs: each promoted seed's offsets are fitted on its own validation split
# (a cinc2017 crnn: 4 validation records, cut into 4 folds), one file per seed
export CAND=$tmp/selection-cinc DEST=$tmp/weights-cinc SEEDS_OUT=$tmp/seeds-cinc SEEDS=2 FOLDS= OFFSETS=1
export CANDIDATES="crnn cinc2017 one --epochs 1 --crop 3000 --threads 1"
scripts/select.sh "$bin" >"$tmp/offsets-seeds.log" 2>&1
check "an OFFSETS call on seeds succeeds" '[ $? -eq 0 ] || { tail -n 20 "$tmp/offsets-seeds.log"; false; }'
c=$CAND/crnn-cinc2017
check "each seed has its own offsets file" '[ -f "$c/offsets-seed1.json" ]'
helps() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["applies"])' "$1"; }
if [ "$(helps "$c/offsets-seed1.json")" = True ] && [ "$(helps "$c/offsets-seed2.json" 2>/dev/null)" = True ]; then
  check "each seed's variant carries its own offsets and re-checks" \
    'cmp -s "$SEEDS_OUT/crnn-cinc2017-offsets/seed2/offsets.json" "$c/offsets-seed2.json" && "$bin" eval "$DEST/crnn-cinc2017-offsets" >/dev/null'
else
  check "offsets that did not help on every seed are not applied" \
    '[ ! -e "$DEST/crnn-cinc2017-offsets" ] && grep -q "stands alone" "$tmp/offsets-seeds.log"'
fi
echo "RESULT $((fail == 0)) passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
