#!/usr/bin/env node
// The ONNX Runtime peer's latency: exported runs (ecgbench export-onnx) timed in ONNX Runtime
// (npm onnxruntime-node, CPU execution provider, graph optimisations "all", sequential execution),
// at the batch sizes and thread counts of `ecgbench latency`: intra-op threads = the thread count
// (1 for the 1-thread cases), inter-op 1. Only session.run is timed (not node's start nor model
// loading); inputs are the run's own examples (a safetensors file from `ecgbench data export`,
// repeated when the split is smaller than the batch).
//
// Statistics follow Google Benchmark's and bench/peers/time_torch.py's, so the rows sit beside
// ecgbench's: each repetition runs the model as many times as fit in --min-time and records the
// mean time per call; median, mean, p90, p99 and stddev are over the repetitions.
//
//   node time_ort.js --out latency_ort.csv [--batch 1,32] [--threads 1,0] [--min-time S] [--max-time S]
//        [--repetitions N] RUN_DIR=MODEL.onnx=INPUT.safetensors ...
// RUN_DIR is the run's folder (its manifest names model and task; its name is the row's run);
// MODEL.onnx its export. The CSV has time_torch.py's columns with
// peer "onnxruntime" and the runtime's version in torch_version's place (column ort_version).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const COLUMNS = ['run', 'model', 'task', 'peer', 'batch', 'threads', 'median_us', 'p90_us', 'p99_us', 'mean_us',
  'stddev_us', 'iterations', 'repetitions', 'ort_version'];

function die(msg) {
  process.stderr.write(`time_ort: ${msg}\n`);
  process.exit(2);
}

function readF32(path) {
  const buf = fs.readFileSync(path);
  const hlen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8'));
  const out = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__' || t.dtype !== 'F32') continue;
    const bytes = buf.subarray(8 + hlen + t.data_offsets[0], 8 + hlen + t.data_offsets[1]);
    const f = new Float32Array(bytes.length / 4);
    for (let i = 0; i < f.length; i++) f[i] = bytes.readFloatLE(4 * i);
    out[name] = { shape: t.shape, data: f };
  }
  return out;
}

// rows of t (per-example size per) repeated to n examples
function take(t, n) {
  const per = t.data.length / t.shape[0], out = new Float32Array(n * per);
  for (let i = 0; i < n; i++) out.set(t.data.subarray((i % t.shape[0]) * per, (i % t.shape[0] + 1) * per), i * per);
  return out;
}

function percentile(v, q) { // linear interpolation between closest ranks, as the ecgbench shim
  const s = [...v].sort((a, b) => a - b), pos = q * (s.length - 1), lo = Math.floor(pos), hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

const now = () => Number(process.hrtime.bigint()) / 1e3; // microseconds

async function timeCalls(fn, repetitions, minTime, maxTime) {
  await fn(); // warm-up: allocations, the first run's kernel choices
  let iters = 0, t0 = now();
  while (now() - t0 < minTime * 1e6) {
    await fn();
    iters++;
  }
  const repTime = now() - t0;
  repetitions = Math.max(3, Math.min(repetitions, Math.floor(maxTime * 1e6 / repTime)));
  const perCall = [repTime / iters];
  for (let r = 1; r < repetitions; r++) {
    const t = now();
    for (let i = 0; i < iters; i++) await fn();
    perCall.push((now() - t) / iters);
  }
  const mean = perCall.reduce((a, b) => a + b, 0) / perCall.length;
  const sd = perCall.length > 1 ? Math.sqrt(perCall.reduce((a, b) => a + (b - mean) ** 2, 0) / (perCall.length - 1)) : 0;
  const sorted = [...perCall].sort((a, b) => a - b), m = sorted.length;
  const median = m % 2 ? sorted[(m - 1) / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
  return { median_us: median, p90_us: percentile(perCall, 0.9), p99_us: percentile(perCall, 0.99), mean_us: mean,
    stddev_us: sd, iterations: iters, repetitions };
}

async function main() {
  const opt = { batch: '1,32', threads: '1,0', 'min-time': '0.2', 'max-time': '3', repetitions: '10', out: 'latency_ort.csv' };
  const runs = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) {
      if (i + 1 >= argv.length) die(`${argv[i]} needs a value`);
      opt[argv[i].slice(2)] = argv[++i];
    } else runs.push(argv[i].split('='));
  }
  if (!runs.length || runs.some((r) => r.length !== 3)) die('give RUN_DIR=MODEL.onnx=INPUT.safetensors arguments');
  const batches = opt.batch.split(',').map(Number), threads = opt.threads.split(',').map((t) => Number(t) || os.cpus().length);
  if (batches.some((b) => !(b >= 1)) || threads.some((t) => !(t >= 1))) die('--batch and --threads take positive numbers');
  const ort = require('onnxruntime-node');
  const rows = [];
  for (const [dir, model, input] of runs) {
    const man = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const run = path.basename(path.resolve(dir));
    const ex = readF32(input);
    if (!ex.x) die(`${input} has no x`);
    for (const t of threads) {
      const sess = await ort.InferenceSession.create(model, {
        intraOpNumThreads: t, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
      });
      for (const b of batches) {
        const feeds = { x: new ort.Tensor('float32', take(ex.x, b), [b, ex.x.shape[1], ex.x.shape[2]]) };
        if (sess.inputNames.includes('features')) {
          if (!ex.features) die(`${input} has no features; ${model} takes them`);
          feeds.features = new ort.Tensor('float32', take(ex.features, b), [b, ex.features.shape[1]]);
        }
        const st = await timeCalls(() => sess.run(feeds), Number(opt.repetitions), Number(opt['min-time']), Number(opt['max-time']));
        rows.push({ run, model: man.model, task: man.task, peer: 'onnxruntime', batch: b, threads: t,
          ...st, ort_version: ort.env.versions.common });
        console.log(`${run.padEnd(40)} onnxruntime b${String(b).padEnd(3)} t${String(t).padEnd(2)} median ${st.median_us.toFixed(1).padStart(10)} us p90 ${st.p90_us.toFixed(1).padStart(10)}`);
      }
      await sess.release();
    }
  }
  const fmt = (v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)).toString() : String(v));
  fs.writeFileSync(opt.out, [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => fmt(r[c])).join(','))].join('\n') + '\n');
  console.log(`wrote ${opt.out} (${rows.length} rows)`);
}

main().catch((e) => die(e.message));
