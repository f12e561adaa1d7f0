#!/usr/bin/env node
// ecgbench's per-layer latency (layers.csv, from `ecgbench report`) beside ONNX Runtime's
// (layers_ort.csv, from time_ort.js --layers-out), both at batch 1 on one thread.
// ONNX Runtime's profiler slows the kernels it times (efficientecg-s int8 on the 2-core EPYC: 335 us
// a run without it, its kernels summing to 1,304 us with it), so each layer's profiled time is
// scaled by the run's unprofiled median over its profiled sum (latency_ort.csv, batch 1, 1 thread):
// the layers then share out a measured whole. ecgbench's own per-layer times need no such step
// (they sum to within about 1% of its whole run, docs/measurements.md).
//   OUT.csv  a row per layer of each run both files hold: ecgbench's op, FLOPs and time, ONNX
//            Runtime's kernels, profiled and scaled time, and the difference (positive: ecgbench is
//            slower). Layers only one side runs (ONNX Runtime's input transposes, a batchnorm
//            ecgbench folds) keep an empty time on the other side.
//   OUT.md   per run, both sums and the layers where ecgbench loses the most time.
//   node ort_layers.js LAYERS.csv LAYERS_ORT.csv LATENCY_ORT.csv --out OUT.csv --md OUT.md [--top N]
'use strict';
const fs = require('fs');

function die(msg) {
  process.stderr.write(`ort_layers: ${msg}\n`);
  process.exit(2);
}

// RFC 4180 rows (quoted fields may hold commas, e.g. output shapes) as objects keyed by the header.
function readCsv(file) {
  const text = fs.readFileSync(file, 'utf8'), rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; }
    else if (c !== '\r') field += c;
  }
  if (quoted) die(`${file}: a quoted field is not closed`);
  if (field || row.length) { row.push(field); rows.push(row); }
  if (!rows.length) die(`${file}: empty`);
  const head = rows[0];
  return rows.slice(1).map((r, k) => {
    if (r.length !== head.length) die(`${file}: line ${k + 2} has ${r.length} fields, the header ${head.length}`);
    return Object.fromEntries(head.map((h, i) => [h, r[i]]));
  });
}

function need(rows, file, cols) {
  if (rows.length) for (const c of cols) if (!(c in rows[0])) die(`${file}: no column '${c}'`);
}

const num = (s) => (s === '' || s === undefined ? NaN : Number(s));
const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '');
const gflops = (flops, us) => (Number.isFinite(us) && us > 0 ? flops / (us * 1e3) : NaN);
const cell = (v) => (Number.isInteger(v) ? String(v) : fmt(v, 3));
const csvField = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

// The rows of one run: ecgbench's layers in graph order, then the layers only ONNX Runtime has.
function joinRun(run, ours, theirs, scale) {
  const ort = new Map(theirs.map((l) => [l.layer, l])), seen = new Set(), out = [];
  for (const l of ours) {
    if (seen.has(l.layer)) continue; // a run's further seeds repeat its layers
    seen.add(l.layer);
    const o = ort.get(l.layer);
    out.push({ run, model: l.model, layer: l.layer, op: l.op, flops: num(l.flops), ecgbench_us: num(l.latency_us),
      ort_profiled_us: o ? num(o.median_us) : NaN, ort_kernels: o ? o.kernels : '' });
  }
  for (const o of theirs) {
    if (seen.has(o.layer)) continue;
    out.push({ run, model: o.model, layer: o.layer, op: '', flops: NaN, ecgbench_us: NaN,
      ort_profiled_us: num(o.median_us), ort_kernels: o.kernels });
  }
  for (const r of out) r.ort_us = r.ort_profiled_us * scale;
  for (const r of out) r.diff_us = Number.isNaN(r.ecgbench_us) && Number.isNaN(r.ort_us) ? NaN : (r.ecgbench_us || 0) - (r.ort_us || 0);
  return out;
}

function summary(run, rows, top) {
  const sum = (k) => rows.reduce((a, r) => a + (Number.isFinite(r[k]) ? r[k] : 0), 0);
  const ours = sum('ecgbench_us'), theirs = sum('ort_us');
  const losing = rows.filter((r) => r.diff_us > 0).sort((a, b) => b.diff_us - a.diff_us).slice(0, top);
  const lines = [`### ${run}`, '',
    `Layers sum to ${fmt(ours)} us in ecgbench and ${fmt(theirs)} us in ONNX Runtime (batch 1, 1 thread; ` +
    `${ours <= theirs ? 'ecgbench ahead' : `ecgbench behind by ${fmt(ours - theirs)} us`}).`, ''];
  if (!losing.length) return [...lines, 'No layer is slower in ecgbench.', ''];
  lines.push(`The ${losing.length} layer(s) where ecgbench loses the most:`, '',
    '| layer | ecgbench op | ONNX Runtime kernels | FLOPs | ecgbench us | ONNX Runtime us | slower by us | GFLOP/s ecgbench / ORT |',
    '|---|---|---|---:|---:|---:|---:|---:|');
  for (const r of losing) {
    lines.push(`| ${r.layer} | ${r.op || '-'} | ${r.ort_kernels || '-'} | ${Number.isFinite(r.flops) ? r.flops : '-'} | ` +
      `${fmt(r.ecgbench_us)} | ${fmt(r.ort_us)} | ${fmt(r.diff_us)} | ` +
      `${fmt(gflops(r.flops, r.ecgbench_us))} / ${fmt(gflops(r.flops, r.ort_us))} |`);
  }
  return [...lines, ''];
}

function main() {
  const args = process.argv.slice(2), files = [], opt = { top: '5' };
  const usage = 'usage: ort_layers.js LAYERS.csv LAYERS_ORT.csv LATENCY_ORT.csv --out OUT.csv --md OUT.md [--top N]';
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--')) {
      if (i + 1 >= args.length) die(`${args[i]} needs a value`);
      opt[args[i].slice(2)] = args[++i];
    } else files.push(args[i]);
  }
  if (files.length !== 3 || !opt.out || !opt.md) die(usage);
  const top = Number(opt.top);
  if (!(top >= 1)) die('--top takes a positive number');
  const ours = readCsv(files[0]), theirs = readCsv(files[1]), whole = readCsv(files[2]);
  need(ours, files[0], ['run', 'model', 'layer', 'op', 'flops', 'latency_us']);
  need(theirs, files[1], ['run', 'model', 'layer', 'kernels', 'median_us']);
  need(whole, files[2], ['run', 'batch', 'threads', 'median_us']);
  const wholeUs = new Map(whole.filter((r) => r.batch === '1' && r.threads === '1').map((r) => [r.run, num(r.median_us)]));
  const byRun = (rows) => rows.reduce((m, r) => m.set(r.run, [...(m.get(r.run) || []), r]), new Map());
  const oursByRun = byRun(ours), theirsByRun = byRun(theirs);
  const cols = ['run', 'model', 'layer', 'op', 'flops', 'ecgbench_us', 'ort_us', 'ort_profiled_us', 'ort_kernels', 'diff_us'];
  const csv = [cols.join(',')], md = ['## Per layer: ecgbench against ONNX Runtime', '',
    'Each layer\'s median time at batch 1 on one thread: ecgbench\'s from `ecgbench report` (layers.csv), ' +
    'ONNX Runtime\'s from its profiler (the kernels of the nodes the export named after the layer, fused ones included), ' +
    'scaled so that a run\'s layers sum to its median without the profiler (latency_ort.csv), since the profiler slows the kernels it times.', ''];
  for (const [run, theirRows] of theirsByRun) {
    if (!oursByRun.has(run)) { process.stderr.write(`ort_layers: ${run} is not in ${files[0]}, left out\n`); continue; }
    const profiled = theirRows.reduce((a, r) => a + num(r.median_us), 0);
    if (!(wholeUs.get(run) > 0) || !(profiled > 0)) die(`${run}: no batch-1, 1-thread median in ${files[2]}, or an empty profile`);
    const rows = joinRun(run, oursByRun.get(run), theirRows, wholeUs.get(run) / profiled);
    for (const r of rows) csv.push(cols.map((c) => csvField(typeof r[c] === 'number' ? cell(r[c]) : r[c])).join(','));
    md.push(...summary(run, rows, top));
  }
  if (csv.length === 1) die(`no run is in both ${files[0]} and ${files[1]}`);
  fs.writeFileSync(opt.out, csv.join('\n') + '\n');
  fs.writeFileSync(opt.md, md.join('\n'));
  console.log(`wrote ${opt.out} (${csv.length - 1} layers) and ${opt.md}`);
}

main();
