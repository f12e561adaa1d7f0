#!/usr/bin/env node
// ONNX Runtime against `ecgbench predict`: runs an exported model (ecgbench export-onnx) on the
// examples of a safetensors file (x F32 [N, T, C], features F32 [N, F] when the model takes them,
// as `ecgbench data export` writes it) and compares its output with what `ecgbench predict` wrote
// for the same file: the tensor named as the model's output, "logits" [N, K] or an autoencoder's
// "reconstruction" [N, T, C].
//   node ort_check.js --onnx M.onnx --input F.safetensors --predicted P.safetensors [--tol 1e-4 | --agree 0.999]
// --tol: every |difference| <= tol * (1 + |ecgbench's value|) (f32 runs: float sums taken in
// another order differ in proportion to the values, as numpy's allclose with rtol = atol);
// --agree: the same arg-max class on at least that fraction of the examples (int8 runs; logits only). Prints one line "max_abs_diff D agree A n N ms T"
// (A "-" for a reconstruction; T: ONNX Runtime's wall time for the whole set) and exits 1 when the
// check fails, 2 on bad input.
// The onnxruntime-node package is found through NODE_PATH (tests/onnx_check.sh sets it).
'use strict';
const fs = require('fs');

function die(msg, code) {
  process.stderr.write(`ort_check: ${msg}\n`);
  process.exit(code);
}

function readSafetensors(path) {
  const buf = fs.readFileSync(path);
  if (buf.length < 8) die(`${path}: too short for safetensors`, 2);
  const hlen = Number(buf.readBigUInt64LE(0));
  if (8 + hlen > buf.length) die(`${path}: header length ${hlen} past the end`, 2);
  const header = JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8'));
  const base = 8 + hlen, out = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (t.dtype !== 'F32') continue;
    const [a, b] = t.data_offsets;
    const bytes = buf.subarray(base + a, base + b);
    const f = new Float32Array(bytes.length / 4); // copy: the file's data need not be 4-byte aligned
    for (let i = 0; i < f.length; i++) f[i] = bytes.readFloatLE(4 * i);
    out[name] = { shape: t.shape, data: f };
  }
  return out;
}

function argmax(a, off, k) {
  let best = 0;
  for (let j = 1; j < k; j++) if (a[off + j] > a[off + best]) best = j;
  return best;
}

async function main() {
  const args = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) die(`bad arguments near '${argv[i]}'`, 2);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  if (!args.onnx || !args.input || !args.predicted) die('give --onnx, --input and --predicted', 2);
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    die(`cannot load onnxruntime-node (${e.message.split('\n')[0]})`, 2);
  }
  const sess = await ort.InferenceSession.create(args.onnx, {
    intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
  });
  const output = sess.outputNames[0], logits = output === 'logits';
  const input = readSafetensors(args.input), want = readSafetensors(args.predicted)[output];
  if (!input.x) die(`${args.input} has no x`, 2);
  if (!want) die(`${args.predicted} has no ${output}, the model's output`, 2);
  if (args.agree !== undefined && !logits) die(`--agree compares classes; ${output} has none (use --tol)`, 2);
  const [n, t, c] = input.x.shape, per = want.shape.slice(1), k = per.reduce((a, b) => a * b, 1);
  if (want.shape[0] !== n) die(`${output} holds ${want.shape[0]} examples, the input ${n}`, 2);
  const takesFeatures = sess.inputNames.includes('features');
  if (takesFeatures && !input.features) die('the model takes features; the input has none', 2);
  const nf = takesFeatures ? input.features.shape[1] : 0, batch = 64;
  let maxDiff = 0, maxScaled = 0, agree = 0;
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    const feeds = { x: new ort.Tensor('float32', input.x.data.subarray(s * t * c, (s + m) * t * c), [m, t, c]) };
    if (takesFeatures) feeds.features = new ort.Tensor('float32', input.features.data.subarray(s * nf, (s + m) * nf), [m, nf]);
    const got = (await sess.run(feeds))[output];
    if (got.dims.join() !== [m, ...per].join()) die(`ONNX Runtime gave ${output} [${got.dims}], ecgbench [${[m, ...per]}]`, 1);
    for (let i = 0; i < m; i++) {
      const off = (s + i) * k;
      for (let j = 0; j < k; j++) {
        const d = Math.abs(got.data[i * k + j] - want.data[off + j]);
        const scaled = d / (1 + Math.abs(want.data[off + j]));
        if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d;
        if (!(scaled <= maxScaled)) maxScaled = Number.isNaN(scaled) ? Infinity : scaled;
      }
      if (argmax(got.data, i * k, k) === argmax(want.data, off, k)) agree++;
    }
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const frac = agree / n; // of logits; an argmax over a reconstruction's samples means nothing
  console.log(`max_abs_diff ${maxDiff.toExponential(3)} agree ${logits ? frac.toFixed(5) : '-'} n ${n} ms ${ms.toFixed(0)}`);
  if (args.tol !== undefined && !(maxScaled <= Number(args.tol))) process.exit(1);
  if (args.agree !== undefined && !(frac >= Number(args.agree))) process.exit(1);
}

main().catch((e) => die(e.message, 1));
