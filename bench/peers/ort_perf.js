#!/usr/bin/env node
// ONNX Runtime (onnxruntime-node) latency per call, in process, one thread.
// usage: node ort_perf.js --model PATH|identity --batch-size B [--iterations N] [--warmup N]
//        [--identity-file FILE]
// Prints {"batch_size","iterations","median_us","p90_us","p99_us"} like `ferry perf --json`.
// --model identity runs a one-node Identity model ([N,64] float32 -> same), so ORT's
// per-call binding overhead is visible. Its ModelProto (76 bytes, IR 8, opset 13) is taken from
// --identity-file FILE if given (bench/onnx.sh writes it there with python3-onnx), else the
// same bytes written here by hand.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

// Made with onnx 1.12: helper.make_model(make_graph([Identity(x)->y], 'id',
// x:float[N,64], y:float[N,64]), opset 13), ir_version 8.
const IDENTITY_HEX =
  '08083a420a100a017812017922084964656e74697479120269645a140a0178120f0a0d080112090a0312014e0a' +
  '02084062140a0179120f0a0d080112090a0312014e0a02084042040a00100d';

function args() {
  const a = { iterations: 1000, warmup: 100 };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i++) {
    const k = v[i];
    if (k === '--model') a.model = v[++i];
    else if (k === '--batch-size') a.batch = parseInt(v[++i], 10);
    else if (k === '--iterations') a.iterations = parseInt(v[++i], 10);
    else if (k === '--warmup') a.warmup = parseInt(v[++i], 10);
    else if (k === '--identity-file') a.identityFile = v[++i];
    else { console.error('unknown option ' + k); process.exit(2); }
  }
  if (!a.model || !(a.batch > 0)) {
    console.error('usage: ort_perf.js --model PATH|identity --batch-size B [--iterations N] [--warmup N] [--identity-file F]');
    process.exit(2);
  }
  return a;
}

function pct(sorted, p) {
  // nearest rank
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i];
}

async function main() {
  const a = args();
  const opts = {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  let src;
  if (a.model === 'identity') {
    src = a.identityFile && fs.existsSync(a.identityFile)
      ? new Uint8Array(fs.readFileSync(a.identityFile))
      : new Uint8Array(Buffer.from(IDENTITY_HEX, 'hex'));
  } else {
    src = a.model;
  }
  const session = await ort.InferenceSession.create(src, opts);
  const name = session.inputNames[0];
  // Input shape: from meta.json next to the model if present, else by model kind.
  let shape = [64];
  if (a.model !== 'identity') {
    const meta = require('path').join(require('path').dirname(a.model), 'meta.json');
    if (fs.existsSync(meta)) {
      const m = JSON.parse(fs.readFileSync(meta, 'utf8'));
      const inp = (m.inputs || []).find((x) => x.name === name) || (m.inputs || [])[0];
      if (inp && inp.shape) shape = inp.shape.slice(1);
    }
  }
  const dims = [a.batch, ...shape];
  const n = dims.reduce((x, y) => x * y, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.random();
  const feeds = { [name]: new ort.Tensor('float32', data, dims) };

  for (let i = 0; i < a.warmup; i++) await session.run(feeds);
  const t = new Float64Array(a.iterations);
  for (let i = 0; i < a.iterations; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    const t1 = process.hrtime.bigint();
    t[i] = Number(t1 - t0) / 1000;
  }
  t.sort();
  const r3 = (x) => Math.round(x * 1000) / 1000;
  console.log(JSON.stringify({
    batch_size: a.batch,
    iterations: a.iterations,
    shape: dims,
    median_us: r3(pct(t, 0.5)),
    p90_us: r3(pct(t, 0.9)),
    p99_us: r3(pct(t, 0.99)),
    ort_version: ort.env.versions ? ort.env.versions.common : undefined,
  }));
  if (session.release) await session.release();
}

main().catch((e) => { console.error(e && e.stack || String(e)); process.exit(1); });
