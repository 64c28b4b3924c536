#!/usr/bin/env node
// The Node.js peer of bench/sweep.sh: an OIP v2 JSON inference server on onnxruntime-node, the way
// a Node shop would write one. node's cluster module forks WORKERS (2) processes sharing the port;
// each loads the model once (one intra-op thread, as ferry's default) and answers
// POST /v2/models/NAME/infer with {"inputs":[{"name","datatype":"FP32","shape","data"}]} as
// {"model_name","outputs":[{"name","datatype","shape","data"}]}; anything else is 404/400.
// usage: node node_ort_server.js --model PATH --name NAME --port P [--workers 2]
'use strict';
const cluster = require('cluster');
const http = require('http');

function args() {
  const a = { workers: 2 };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i += 2) {
    if (v[i] === '--model') a.model = v[i + 1];
    else if (v[i] === '--name') a.name = v[i + 1];
    else if (v[i] === '--port') a.port = parseInt(v[i + 1], 10);
    else if (v[i] === '--workers') a.workers = parseInt(v[i + 1], 10);
    else { console.error('unknown option ' + v[i]); process.exit(2); }
  }
  if (!a.model || !a.name || !a.port) {
    console.error('usage: node_ort_server.js --model PATH --name NAME --port P [--workers N]');
    process.exit(2);
  }
  return a;
}

function reply(res, code, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function worker(a) {
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(a.model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const path = '/v2/models/' + a.name + '/infer';
  http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== path) return reply(res, 404, { error: 'not found' });
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString());
        const feeds = {};
        for (const t of body.inputs) {
          feeds[t.name] = new ort.Tensor('float32', Float32Array.from(t.data), t.shape);
        }
        const out = await session.run(feeds);
        const outputs = Object.keys(out).map((name) => ({
          name, datatype: 'FP32', shape: out[name].dims, data: Array.from(out[name].data),
        }));
        reply(res, 200, { model_name: a.name, outputs });
      } catch (e) {
        reply(res, 400, { error: String(e.message || e) });
      }
    });
  }).listen(a.port, '127.0.0.1');
}

const a = args();
if (cluster.isPrimary) {
  for (let i = 0; i < a.workers; i++) cluster.fork();
  cluster.on('exit', (w, code) => { if (code !== 0) console.error('worker exited ' + code); });
} else {
  worker(a).catch((e) => { console.error(String(e)); process.exit(1); });
}
