#!/usr/bin/python3
"""FastAPI peer for bench/http.sh: the "typical Python model server" baseline.

Serves one XGBoost model.json over the Open Inference Protocol v2 infer endpoint, doing per request
what ferry does: parse the JSON request, turn inputs[0].data into a float32 array of the given
shape, booster.inplace_predict, reply with the OIP v2 response. No result caching.

It is a reasonably tuned FastAPI app, not a strawman: raw-body json.loads instead of pydantic
validation, one Response built with json.dumps, uvicorn with uvloop + httptools, access log off.

Env:  MODEL       path to model.json (required)
      MODEL_NAME  name served at /v2/models/{name}/infer (default breast_cancer)
      PORT        listen port (default 8001), HOST (default 127.0.0.1), WORKERS (default 2)
Run:  MODEL=examples/models/breast_cancer/1/model.json /usr/bin/python3 bench/peers/fastapi_xgb.py
"""
import json
import os

import numpy as np
import xgboost as xgb
from fastapi import FastAPI, Request
from fastapi.responses import Response

MODEL_NAME = os.environ.get("MODEL_NAME", "breast_cancer")
DTYPES = {"FP32", "FP64", "FP16", "INT8", "INT16", "INT32", "INT64",
          "UINT8", "UINT16", "UINT32", "UINT64", "BOOL"}

app = FastAPI()
booster = None


@app.on_event("startup")
def load_model():
    global booster
    booster = xgb.Booster(params={"nthread": 1}, model_file=os.environ["MODEL"])


def error(status, msg):
    return Response(json.dumps({"error": msg}), status_code=status, media_type="application/json")


@app.post("/v2/models/{name}/infer")
async def infer(name: str, request: Request):
    if name != MODEL_NAME:
        return error(404, f"unknown model '{name}'")
    try:
        body = json.loads(await request.body())
        inp = body["inputs"][0]
        if inp.get("datatype") not in DTYPES:
            return error(400, f"unsupported datatype {inp.get('datatype')!r}")
        x = np.asarray(inp["data"], dtype=np.float32).reshape(inp["shape"])
        if x.ndim == 1:
            x = x.reshape(1, -1)
    except (ValueError, KeyError, IndexError, TypeError) as e:
        return error(400, f"bad request: {e}")
    try:
        p = booster.inplace_predict(x).astype(np.float32, copy=False).ravel()
    except xgb.core.XGBoostError as e:
        return error(400, f"inference failed: {str(e).splitlines()[0]}")
    # Shortest decimal that round-trips the float32, as a C server printing FP32 would.
    data = [float(str(v)) for v in p]
    out = {"model_name": name, "model_version": "1",
           "outputs": [{"name": "predict", "datatype": "FP32", "shape": [len(data)],
                        "data": data}]}
    return Response(json.dumps(out, separators=(",", ":")), media_type="application/json")


if __name__ == "__main__":
    import uvicorn

    uvicorn.run("fastapi_xgb:app", app_dir=os.path.dirname(os.path.abspath(__file__)),
                host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8001")),
                workers=int(os.environ.get("WORKERS", "2")), loop="uvloop", http="httptools",
                access_log=False, log_level="warning")
