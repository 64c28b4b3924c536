// Runs every case make_tree_models.py generated (folder argument) through ONNX Runtime
// (onnxruntime-node) and writes each case's outputs to output.json for its `finish` step.
// NODE_PATH must reach onnxruntime-node (e.g. bench/peers/node_modules).
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function main(dir) {
  for (const name of fs.readdirSync(dir).sort()) {
    const d = path.join(dir, name);
    const inp = JSON.parse(fs.readFileSync(path.join(d, 'input.json')));
    const data = inp.data.map((v) => (v === null ? NaN : v));
    const arr = inp.dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data);
    const x = new ort.Tensor(inp.dtype === 'float64' ? 'float64' : 'float32', arr, inp.shape);
    const s = await ort.InferenceSession.create(path.join(d, 'model.onnx'));
    const r = await s.run({X: x});
    const outs = s.outputNames.map((n) => ({
      type: r[n].type,
      dims: r[n].dims,
      data: Array.from(r[n].data, (v) => (typeof v === 'bigint' ? Number(v) : v)),
    }));
    fs.writeFileSync(path.join(d, 'output.json'), JSON.stringify(outs));
    console.log(name, 'ok');
  }
}
main(process.argv[2]).catch((e) => { console.error(e); process.exit(1); });
