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
// With --layers-out FILE, each run is also run --profile-runs times at batch 1 on one thread with
// ONNX Runtime's profiler on (default: as many as take about 1 s, 10 to 200), and FILE gets each
// ecgbench layer's ONNX Runtime time: the median over the runs of each kernel the runtime ran,
// summed over the kernels whose node the export named after that layer (export-onnx names nodes LAYER/OP_N; the runtime keeps the name
// when it fuses, e.g. a Conv with its BatchNormalization and Relu). bench/peers/ort_layers.js
// sets it beside ecgbench's layers.csv. Autoencoders (lstm-ae) are timed but not profiled: `ecgbench
// report` leaves them out of layers.csv (they have no classes), so nothing would sit beside them.
//
//   node time_ort.js --out latency_ort.csv [--batch 1,32] [--threads 1,0] [--min-time S] [--max-time S]
//        [--repetitions N] [--layers-out layers_ort.csv [--profile-runs N]]
//        RUN_DIR=MODEL.onnx=INPUT.safetensors ...
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

const median = (v) => {
  const s = [...v].sort((a, b) => a - b), m = s.length;
  return m % 2 ? s[(m - 1) / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
};

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
  return { median_us: median(perCall), p90_us: percentile(perCall, 0.9), p99_us: percentile(perCall, 0.99), mean_us: mean,
    stddev_us: sd, iterations: iters, repetitions };
}

// One run's layers as ONNX Runtime times them: [{layer, kernels, nodes, median_us}], in the order
// the runtime first ran them. The profile is a Chrome trace: an event per node per run (cat "Node",
// name "NODE_kernel_time", dur in us, args.op_name the kernel actually run).
async function profileLayers(ort, model, feeds, runs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecgbench_ort_profile_'));
  try {
    const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1,
      graphOptimizationLevel: 'all', executionMode: 'sequential', enableProfiling: true,
      profileFilePrefix: path.join(dir, 'profile') });
    for (let i = 0; i < runs; i++) await sess.run(feeds);
    sess.endProfiling();
    await sess.release();
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) die(`ONNX Runtime wrote no profile for ${model}`);
    const nodes = new Map(); // node -> {kernel, durations}
    for (const e of JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
      const node = e.name.slice(0, -'_kernel_time'.length);
      if (!nodes.has(node)) nodes.set(node, { kernel: e.args.op_name, durations: [] });
      nodes.get(node).durations.push(e.dur);
    }
    const layers = new Map();
    for (const [node, { kernel, durations }] of nodes) {
      const name = node.includes('/') ? node.slice(0, node.indexOf('/')) : node; // nodes the runtime added keep their own name
      if (!layers.has(name)) layers.set(name, { layer: name, kernels: [], nodes: 0, median_us: 0 });
      const l = layers.get(name);
      if (!l.kernels.includes(kernel)) l.kernels.push(kernel);
      l.nodes++;
      l.median_us += median(durations);
    }
    return [...layers.values()];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const opt = { batch: '1,32', threads: '1,0', 'min-time': '0.2', 'max-time': '3', repetitions: '10', out: 'latency_ort.csv',
    'profile-runs': 'auto' };
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
  if (opt['profile-runs'] !== 'auto' && !(Number(opt['profile-runs']) >= 1)) die('--profile-runs takes a positive number or auto');
  const rows = [], layerRows = [];
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
    if (opt['layers-out'] && man.objective === 'reconstruction') {
      console.log(`${run}: no per-layer profile: an autoencoder (${man.model}), which ecgbench's layers.csv leaves out`);
    } else if (opt['layers-out']) {
      const feeds = { x: new ort.Tensor('float32', take(ex.x, 1), [1, ex.x.shape[1], ex.x.shape[2]]) };
      if (ex.features) feeds.features = new ort.Tensor('float32', take(ex.features, 1), [1, ex.features.shape[1]]);
      const timed = rows.find((r) => r.run === run && r.batch === 1 && r.threads === 1);
      const n = opt['profile-runs'] !== 'auto' ? Number(opt['profile-runs'])
        : Math.max(10, Math.min(200, Math.round(1e6 / (timed ? timed.median_us : 1e4))));
      for (const l of await profileLayers(ort, model, feeds, n))
        layerRows.push({ run, model: man.model, ...l, kernels: l.kernels.join('+'), runs: n });
    }
  }
  const fmt = (v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)).toString() : String(v));
  fs.writeFileSync(opt.out, [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => fmt(r[c])).join(','))].join('\n') + '\n');
  console.log(`wrote ${opt.out} (${rows.length} rows)`);
  if (opt['layers-out']) {
    const cols = ['run', 'model', 'layer', 'kernels', 'nodes', 'median_us', 'runs'];
    fs.writeFileSync(opt['layers-out'], [cols.join(','), ...layerRows.map((r) => cols.map((c) => fmt(r[c])).join(','))].join('\n') + '\n');
    console.log(`wrote ${opt['layers-out']} (${layerRows.length} layers, batch 1, 1 thread)`);
  }
}

main().catch((e) => die(e.message));
