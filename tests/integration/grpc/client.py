#!/usr/bin/python3
"""Drives every rpc of ferry's gRPC service with Debian's python3-grpcio, as a Triton or KServe
client would, and checks the answers. Run by tests/integration/grpc_service.c, which starts the
server (bc_xgb and the `types` Identity model of tests/integration/grpc_service.c) and generates
the stubs from proto/grpc_service.proto into --stubs with python3-grpc-tools.

Prints one line per check ("ok NAME" or "FAIL NAME: why"), then "counts {json}" with the bc_xgb
requests it sent, and "passed N of M checks"; exits 1 when a check failed.
"""
import argparse
import json
import math
import re
import struct
import sys
import threading
import time

SERVICE = "/inference.GRPCInferenceService/"

checks = {"passed": 0, "failed": 0}
# What this script sent to bc_xgb, for the statistics checks (the C test adds its REST requests).
sent = {"success": 0, "fail": 0, "rows": 0, "batches": {}}


def check(name, condition, why=""):
    if condition:
        checks["passed"] += 1
        print("ok", name)
    else:
        checks["failed"] += 1
        print("FAIL %s: %s" % (name, why))
    sys.stdout.flush()
    return condition


def expect_error(name, grpc, call, code, needles=()):
    """Runs call(); checks that it fails with `code` and a message holding every needle."""
    try:
        call()
    except grpc.RpcError as e:
        details = e.details() or ""
        ok = e.code() == code and all(n in details for n in needles)
        return check(name, ok, "got %s %r, want %s with %r" % (e.code(), details, code, needles))
    return check(name, False, "succeeded, want %s" % code)


def close(a, b):
    return abs(a - b) <= 1e-6 + 1e-5 * abs(b)


# ------------------------------------------------------------------------------------------------
# Health and metadata
# ------------------------------------------------------------------------------------------------


def test_health(pb, stub, grpc):
    check("server_live", stub.ServerLive(pb.ServerLiveRequest()).live)
    check("server_ready", stub.ServerReady(pb.ServerReadyRequest()).ready)
    meta = stub.ServerMetadata(pb.ServerMetadataRequest())
    check("server_metadata", meta.name == "ferry" and meta.version != "" and
          "statistics" in meta.extensions and "model_repository" in meta.extensions, str(meta))
    check("model_ready", stub.ModelReady(pb.ModelReadyRequest(name="bc_xgb")).ready)
    check("model_ready_version",
          stub.ModelReady(pb.ModelReadyRequest(name="bc_xgb", version="1")).ready)
    expect_error("model_ready_unknown", grpc,
                 lambda: stub.ModelReady(pb.ModelReadyRequest(name="nope")),
                 grpc.StatusCode.NOT_FOUND, ["nope"])
    expect_error("model_ready_unknown_version", grpc,
                 lambda: stub.ModelReady(pb.ModelReadyRequest(name="bc_xgb", version="9")),
                 grpc.StatusCode.NOT_FOUND, ["9"])
    expect_error("model_ready_no_name", grpc, lambda: stub.ModelReady(pb.ModelReadyRequest()),
                 grpc.StatusCode.INVALID_ARGUMENT)


def test_metadata(pb, stub, grpc):
    m = stub.ModelMetadata(pb.ModelMetadataRequest(name="bc_xgb"))
    ok = (m.name == "bc_xgb" and list(m.versions) == ["1"] and m.platform != "" and
          len(m.inputs) == 1 and m.inputs[0].name == "input" and m.inputs[0].datatype == "FP32" and
          list(m.inputs[0].shape) == [-1, 30] and len(m.outputs) == 1 and
          m.outputs[0].name == "predict" and m.outputs[0].datatype == "FP32")
    check("model_metadata", ok, str(m))
    t = stub.ModelMetadata(pb.ModelMetadataRequest(name="types", version="1"))
    names = {i.name: (i.datatype, list(i.shape)) for i in t.inputs}
    check("model_metadata_types", names.get("i64") == ("INT64", [-1, 2]) and
          names.get("text") == ("BYTES", [-1]) and names.get("flag") == ("BOOL", [-1]), str(t))
    expect_error("model_metadata_unknown", grpc,
                 lambda: stub.ModelMetadata(pb.ModelMetadataRequest(name="nope")),
                 grpc.StatusCode.NOT_FOUND, ["nope"])


# ------------------------------------------------------------------------------------------------
# Inference on bc_xgb (FP32)
# ------------------------------------------------------------------------------------------------


def fp32_request(pb, rows, data, raw, model_version="", rid="", outputs=()):
    req = pb.ModelInferRequest(model_name="bc_xgb", model_version=model_version, id=rid)
    t = req.inputs.add(name="input", datatype="FP32", shape=[rows, 30])
    if raw:
        req.raw_input_contents.append(struct.pack("<%df" % len(data), *data))
    else:
        t.contents.fp32_contents.extend(data)
    for name in outputs:
        req.outputs.add(name=name)
    return req


def count_success(rows):
    sent["success"] += 1
    sent["rows"] += rows
    sent["batches"][rows] = sent["batches"].get(rows, 0) + 1


def predictions(resp):
    """The predict output from raw_output_contents (ferry, as Triton, always answers raw)."""
    out = resp.outputs[0]
    raw = resp.raw_output_contents[0]
    return out, list(struct.unpack("<%df" % (len(raw) // 4), raw))


def test_infer_bc(pb, stub, inputs, expected):
    rows = inputs["shape"][0]
    data = inputs["data"]
    want = next(o["data"] for o in expected["outputs"] if o["name"] == "predict")

    resp = stub.ModelInfer(fp32_request(pb, 4, data[:120], raw=False, rid="typed-1"))
    count_success(4)
    out, got = predictions(resp)
    check("infer_typed_fp32", resp.model_name == "bc_xgb" and resp.model_version == "1" and
          resp.id == "typed-1" and out.name == "predict" and out.datatype == "FP32" and
          list(out.shape) == [4] and len(resp.raw_output_contents) == 1 and
          not out.HasField("contents") and all(close(g, w) for g, w in zip(got, want[:4])) and
          len(got) == 4, "%s %s" % (resp.outputs, got))

    resp = stub.ModelInfer(fp32_request(pb, rows, data, raw=True, model_version="1"))
    count_success(rows)
    out, got = predictions(resp)
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if not close(g, w)]
    check("infer_raw_fp32_whole_split", list(out.shape) == [rows] and len(got) == rows and
          not bad, "rows %d, %d mismatches, first %s" % (len(got), len(bad), bad[:3]))

    resp = stub.ModelInfer(fp32_request(pb, 1, data[:30], raw=True, outputs=["predict"]))
    count_success(1)
    out, got = predictions(resp)
    check("infer_requested_output", out.name == "predict" and close(got[0], want[0]), str(got))
    # No id in the request: the server names the response with a UUID v7 (feedback can name it;
    # the C test posts feedback for it after a restart).
    check("infer_generated_id", re.fullmatch(
        "[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", resp.id) is not None,
        resp.id)
    print("generated-id", resp.id)


def test_concurrent(pb, stub, inputs, expected):
    data = inputs["data"]
    want = next(o["data"] for o in expected["outputs"] if o["name"] == "predict")
    errors = []
    lock = threading.Lock()

    def worker(k):
        for i in range(25):
            row = (k * 25 + i) % inputs["shape"][0]
            try:
                resp = stub.ModelInfer(fp32_request(pb, 1, data[row * 30:row * 30 + 30], raw=True))
                _, got = predictions(resp)
                if not close(got[0], want[row]):
                    raise ValueError("row %d: %s != %s" % (row, got[0], want[row]))
            except Exception as e:  # noqa: BLE001 (collected and reported below)
                with lock:
                    errors.append(str(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for _ in range(16 * 25 - len(errors)):
        count_success(1)
    check("infer_16_concurrent_clients", not errors, "; ".join(errors[:3]))


# ------------------------------------------------------------------------------------------------
# Every datatype through the `types` model (Identity per input)
# ------------------------------------------------------------------------------------------------


def bytes_raw(items):
    return b"".join(struct.pack("<I", len(s)) + s for s in items)


def output_map(resp):
    return {o.name: (o, resp.raw_output_contents[i]) for i, o in enumerate(resp.outputs)}


def types_request(pb, raw):
    """A request for every input of `types`, typed (raw=False) or raw (raw=True)."""
    req = pb.ModelInferRequest(model_name="types")
    i64 = [1, -2, 2**40, -(2**62)]
    flags = [True, False, True]
    text = [b"hello", b"", "h\u00e9llo".encode(), b"\x00\xffbin"]
    i8 = [-128, 0, 127]
    u16 = [0, 65535, 7]
    f64 = [0.1, -1e300, math.pi]
    specs = [("i64", "INT64", [2, 2], i64, "int64_contents", "<4q"),
             ("flag", "BOOL", [3], flags, "bool_contents", "<3?"),
             ("text", "BYTES", [4], text, "bytes_contents", None),
             ("i8", "INT8", [3], i8, "int_contents", "<3b"),
             ("u16", "UINT16", [3], u16, "uint_contents", "<3H"),
             ("f64", "FP64", [3], f64, "fp64_contents", "<3d")]
    for name, dtype, shape, values, field, fmt in specs:
        t = req.inputs.add(name=name, datatype=dtype, shape=shape)
        if raw:
            req.raw_input_contents.append(bytes_raw(values) if fmt is None else
                                          struct.pack(fmt, *values))
        else:
            getattr(t.contents, field).extend(values)
    if raw:  # FP16 can only travel raw
        req.inputs.add(name="h", datatype="FP16", shape=[2])
        req.raw_input_contents.append(struct.pack("<2e", 1.5, -2.0))
    return req, {"i64": (i64, "<4q"), "flag": (flags, "<3?"), "text": (text, None),
                 "i8": (i8, "<3b"), "u16": (u16, "<3H"), "f64": (f64, "<3d")}


def test_types(pb, stub, grpc):
    for raw in (False, True):
        mode = "raw" if raw else "typed"
        req, want = types_request(pb, raw)
        if not raw:  # FP16 has no typed field: the typed request carries a zero-element one
            req.inputs.add(name="h", datatype="FP16", shape=[0])
        resp = stub.ModelInfer(req)
        outs = output_map(resp)
        for name, (values, fmt) in want.items():
            out, blob = outs.get("o_" + name, (None, b""))
            expect_blob = bytes_raw(values) if fmt is None else struct.pack(fmt, *values)
            check("types_%s_%s" % (mode, name), out is not None and blob == expect_blob,
                  "%r != %r" % (blob, expect_blob))
        out, blob = outs.get("o_h", (None, b""))
        want_h = struct.pack("<2e", 1.5, -2.0) if raw else b""
        check("types_%s_fp16" % mode, out is not None and out.datatype == "FP16" and
              blob == want_h, repr(blob))

    req, _ = types_request(pb, raw=False)
    req.inputs.add(name="h", datatype="FP16", shape=[2]).contents.fp32_contents.extend([1, 2])
    expect_error("types_fp16_typed_refused", grpc, lambda: stub.ModelInfer(req),
                 grpc.StatusCode.INVALID_ARGUMENT, ["'h'", "raw_input_contents"])

    req, _ = types_request(pb, raw=False)
    req.inputs.add(name="h", datatype="FP16", shape=[0])
    del req.inputs[3].contents.int_contents[:]
    req.inputs[3].contents.int_contents.extend([1, 300, 2])
    expect_error("types_int8_out_of_range", grpc, lambda: stub.ModelInfer(req),
                 grpc.StatusCode.INVALID_ARGUMENT, ["'i8'", "300"])

    req, _ = types_request(pb, raw=True)
    req.raw_input_contents[2] = struct.pack("<I", 50) + b"short"
    expect_error("types_bytes_bad_prefix", grpc, lambda: stub.ModelInfer(req),
                 grpc.StatusCode.INVALID_ARGUMENT, ["'text'"])


# ------------------------------------------------------------------------------------------------
# Errors (each reaches bc_xgb version 1 unless said otherwise, and counts as a failure there)
# ------------------------------------------------------------------------------------------------


def test_errors(pb, stub, grpc, inputs):
    data = inputs["data"]
    inv = grpc.StatusCode.INVALID_ARGUMENT

    expect_error("error_unknown_model", grpc,
                 lambda: stub.ModelInfer(pb.ModelInferRequest(model_name="nope")),
                 grpc.StatusCode.NOT_FOUND, ["nope"])  # never reaches bc_xgb
    expect_error("error_unknown_version", grpc,
                 lambda: stub.ModelInfer(fp32_request(pb, 1, data[:30], raw=True,
                                                      model_version="7")),
                 grpc.StatusCode.NOT_FOUND, ["7"])  # nor does this
    expect_error("error_no_model_name", grpc, lambda: stub.ModelInfer(pb.ModelInferRequest()),
                 inv, ["model_name"])

    def fails(name, req, needles):
        sent["fail"] += 1
        expect_error(name, grpc, lambda: stub.ModelInfer(req), inv, needles)

    fails("error_wrong_shape", fp32_request(pb, 2, data[:58], raw=False), ["'input'"])
    req = pb.ModelInferRequest(model_name="bc_xgb")
    req.inputs.add(name="input", datatype="FP32", shape=[2, 29]).contents.fp32_contents.extend(
        data[:58])
    fails("error_wrong_feature_count", req, ["'input'", "29"])
    req = pb.ModelInferRequest(model_name="bc_xgb")
    req.inputs.add(name="input", datatype="INT32", shape=[1, 30]).contents.int_contents.extend(
        [1] * 30)
    fails("error_wrong_datatype", req, ["'input'", "INT32"])
    req = fp32_request(pb, 1, data[:30], raw=True)
    req.inputs[0].contents.fp32_contents.extend(data[:30])
    fails("error_raw_and_typed", req, ["'input'", "raw_input_contents"])
    req = fp32_request(pb, 1, data[:30], raw=True)
    req.raw_input_contents[0] = req.raw_input_contents[0][:-4]
    fails("error_raw_size_mismatch", req, ["'input'", "116 bytes"])
    req = fp32_request(pb, 1, data[:30], raw=True)
    req.raw_input_contents.append(b"\0" * 4)
    fails("error_raw_count_mismatch", req, ["raw_input_contents", "2 entries"])
    req = pb.ModelInferRequest(model_name="bc_xgb")
    req.inputs.add(name="input", datatype="FP32", shape=[1, 30]).contents.fp64_contents.extend(
        data[:30])
    fails("error_data_in_wrong_field", req, ["'input'", "fp64_contents", "fp32_contents"])
    req = pb.ModelInferRequest(model_name="bc_xgb")
    req.inputs.add(name="input", datatype="FP32", shape=[1, 30])
    fails("error_no_data", req, ["'input'", "no data"])
    fails("error_unknown_output", fp32_request(pb, 1, data[:30], raw=True, outputs=["nope"]),
          ["'nope'"])
    fails("error_missing_input", pb.ModelInferRequest(model_name="bc_xgb"), ["missing input"])
    req = fp32_request(pb, 1, data[:30], raw=False)
    req.inputs[0].datatype = "FLOAT"
    fails("error_unknown_datatype", req, ["'FLOAT'"])

    # A message larger than the server's limit (the C test sets --body-limit 1 MiB).
    big = fp32_request(pb, 1, data[:30], raw=True)
    big.raw_input_contents[0] = b"\0" * (2 << 20)
    expect_error("error_message_too_large", grpc, lambda: stub.ModelInfer(big),
                 grpc.StatusCode.RESOURCE_EXHAUSTED)

    # An rpc of Triton's service that ferry does not serve.
    call = stub._channel_for_tests.unary_unary(SERVICE + "ModelConfig")
    expect_error("error_unimplemented_rpc", grpc, lambda: call(b"\n\x06bc_xgb"),
                 grpc.StatusCode.UNIMPLEMENTED, ["ModelConfig"])
    # Garbage instead of a ModelInferRequest.
    call = stub._channel_for_tests.unary_unary(SERVICE + "ModelInfer")
    expect_error("error_unparsable_request", grpc, lambda: call(b"\xff\xff\xff"), inv)

    # The server still answers after all that.
    resp = stub.ModelInfer(fp32_request(pb, 1, data[:30], raw=True))
    count_success(1)
    check("still_serves_after_errors", len(resp.raw_output_contents) == 1)


# ------------------------------------------------------------------------------------------------
# Statistics
# ------------------------------------------------------------------------------------------------


def test_statistics(pb, stub, grpc, args):
    stats = stub.ModelStatistics(pb.ModelStatisticsRequest(name="bc_xgb"))
    check("stats_one_version", len(stats.model_stats) == 1, str(stats))
    s = stats.model_stats[0]
    i = s.inference_stats
    success = sent["success"] + args.rest_success
    fail = sent["fail"] + args.rest_fail
    rows = sent["rows"] + args.rest_rows
    check("stats_name_version", s.name == "bc_xgb" and s.version == "1", s.name + s.version)
    check("stats_success_count", i.success.count == success,
          "%d != %d" % (i.success.count, success))
    check("stats_fail_count", i.fail.count == fail, "%d != %d" % (i.fail.count, fail))
    check("stats_inference_count", s.inference_count == rows,
          "%d != %d" % (s.inference_count, rows))
    check("stats_execution_count", s.execution_count == success,
          "%d != %d" % (s.execution_count, success))
    check("stats_durations", i.success.ns > 0 and i.compute_infer.count == success and
          0 < i.compute_infer.ns <= i.success.ns and i.compute_input.count == success and
          i.compute_output.count == success and i.queue.count == success and i.queue.ns <= i.success.ns and
          i.fail.ns > 0 and i.cache_hit.count == 0 and i.cache_miss.count == 0, str(i))
    now_ms = time.time() * 1000
    check("stats_last_inference", abs(s.last_inference - now_ms) < 60000,
          "%d vs %d" % (s.last_inference, now_ms))
    batches = {b.batch_size: b.compute_infer.count for b in s.batch_stats}
    want = dict(sent["batches"])
    for size, n in args.rest_batches.items():
        want[size] = want.get(size, 0) + n
    check("stats_batch_sizes", batches == want, "%s != %s" % (batches, want))
    check("stats_batch_sorted", [b.batch_size for b in s.batch_stats] ==
          sorted(b.batch_size for b in s.batch_stats))

    every = stub.ModelStatistics(pb.ModelStatisticsRequest())
    check("stats_every_model", sorted((m.name, m.version) for m in every.model_stats) ==
          [("bc_xgb", "1"), ("types", "1")], str([m.name for m in every.model_stats]))
    one = stub.ModelStatistics(pb.ModelStatisticsRequest(name="bc_xgb", version="1"))
    check("stats_exact_version", len(one.model_stats) == 1 and
          one.model_stats[0].inference_stats.success.count == success)
    expect_error("stats_unknown_model", grpc,
                 lambda: stub.ModelStatistics(pb.ModelStatisticsRequest(name="nope")),
                 grpc.StatusCode.NOT_FOUND, ["nope"])
    expect_error("stats_unknown_version", grpc,
                 lambda: stub.ModelStatistics(pb.ModelStatisticsRequest(name="bc_xgb",
                                                                        version="3")),
                 grpc.StatusCode.NOT_FOUND)


# ------------------------------------------------------------------------------------------------
# Model repository
# ------------------------------------------------------------------------------------------------


def wait_for(predicate, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def index_state(pb, stub, name):
    models = stub.RepositoryIndex(pb.RepositoryIndexRequest()).models
    return [(m.version, m.state) for m in models if m.name == name]


def test_repository(pb, stub, grpc, args):
    models = stub.RepositoryIndex(pb.RepositoryIndexRequest(ready=True)).models
    check("repository_index", sorted((m.name, m.version, m.state) for m in models) ==
          [("bc_xgb", "1", "READY"), ("types", "1", "READY")], str(models))
    named = stub.RepositoryIndex(pb.RepositoryIndexRequest(repository_name=args.repo_name))
    check("repository_index_named", len(named.models) == 2, str(named))
    expect_error("repository_index_other_repo", grpc,
                 lambda: stub.RepositoryIndex(pb.RepositoryIndexRequest(repository_name="other")),
                 grpc.StatusCode.NOT_FOUND, ["other"])

    stub.RepositoryModelUnload(pb.RepositoryModelUnloadRequest(model_name="types"))
    check("repository_unload", wait_for(lambda: index_state(pb, stub, "types") ==
                                        [("1", "UNAVAILABLE")]), str(index_state(pb, stub,
                                                                                 "types")))
    check("model_ready_false_when_unloaded",
          not stub.ModelReady(pb.ModelReadyRequest(name="types")).ready)
    expect_error("infer_unloaded_unavailable", grpc,
                 lambda: stub.ModelInfer(pb.ModelInferRequest(model_name="types")),
                 grpc.StatusCode.UNAVAILABLE, ["types"])
    stub.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name="types"))
    check("repository_load", wait_for(lambda: index_state(pb, stub, "types") ==
                                      [("1", "READY")]), str(index_state(pb, stub, "types")))
    check("model_ready_after_load", stub.ModelReady(pb.ModelReadyRequest(name="types")).ready)

    req = pb.RepositoryModelLoadRequest(model_name="types")
    req.parameters["config"].string_param = "{}"
    expect_error("repository_load_config_refused", grpc, lambda: stub.RepositoryModelLoad(req),
                 grpc.StatusCode.INVALID_ARGUMENT, ["config"])
    expect_error("repository_load_unknown_model", grpc,
                 lambda: stub.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name="nope")),
                 grpc.StatusCode.NOT_FOUND, ["nope"])
    expect_error("repository_load_bad_name", grpc,
                 lambda: stub.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name="../x")),
                 grpc.StatusCode.INVALID_ARGUMENT, ["../x"])


# ------------------------------------------------------------------------------------------------


def test_admin_token(pb, stub, grpc, token):
    """A server run with --admin-token: the repository rpcs need it, inference does not."""
    index = pb.RepositoryIndexRequest()
    expect_error("auth_no_token", grpc, lambda: stub.RepositoryIndex(index),
                 grpc.StatusCode.UNAUTHENTICATED, ["admin token"])
    expect_error("auth_wrong_token", grpc,
                 lambda: stub.RepositoryIndex(index,
                                              metadata=[("authorization", "Bearer wrong")]),
                 grpc.StatusCode.UNAUTHENTICATED, ["does not match"])
    models = stub.RepositoryIndex(index, metadata=[("authorization", "Bearer " + token)]).models
    check("auth_right_token", [m.name for m in models] == ["bc_xgb"], str(models))
    check("auth_not_needed_to_infer", stub.ModelReady(pb.ModelReadyRequest(name="bc_xgb")).ready)


# ------------------------------------------------------------------------------------------------
# The queue (--mode queue: the one-instance `slow` identity model, max_queue_size 6, batching, two polling threads)
# ------------------------------------------------------------------------------------------------

SLOW_WIDTH = 512


def slow_request(pb, k, rows, timeout_us=None):
    req = pb.ModelInferRequest(model_name="slow")
    req.inputs.add(name="x", datatype="FP32", shape=[rows, SLOW_WIDTH])
    data = [float(k * 10000 + i) for i in range(rows * SLOW_WIDTH)]
    req.raw_input_contents.append(struct.pack("<%df" % len(data), *data))
    if timeout_us is not None:
        req.parameters["timeout"].int64_param = timeout_us
    return req, data


def flood_slow(pb, stub, grpc, n, rows, timeout_us=None):
    """Sends n calls at once; returns (answers by status code name, wrong outputs)."""
    reqs = [slow_request(pb, k, rows, timeout_us) for k in range(n)]
    futures = [stub.ModelInfer.future(req, timeout=60) for req, _ in reqs]
    codes, wrong, details = {}, 0, {}
    for (_, data), fut in zip(reqs, futures):
        try:
            resp = fut.result()
            raw = resp.raw_output_contents[0]
            wrong += list(struct.unpack("<%df" % (len(raw) // 4), raw)) != data
            code = "OK"
        except grpc.RpcError as e:
            code = e.code().name
            details[code] = e.details()
        codes[code] = codes.get(code, 0) + 1
    return codes, wrong, details


def slow_executions(pb, stub):
    s = stub.ModelStatistics(pb.ModelStatisticsRequest(name="slow")).model_stats[0]
    return s.execution_count, s.inference_stats.success.count


def test_queue(pb, stub, grpc):
    runs0, ok0 = slow_executions(pb, stub)
    codes, wrong, _ = flood_slow(pb, stub, grpc, 6, 8)
    runs, ok = slow_executions(pb, stub)
    # Two polling threads: had each waited for its queued call, at most one call would ever be
    # queued, and no two could batch.
    check("queue_batched", codes == {"OK": 6} and wrong == 0 and ok - ok0 == 6 and runs - runs0 < 6,
          "answers %s, %d wrong, %d runs for %d requests" % (codes, wrong, runs - runs0, ok - ok0))
    full = {}
    for _ in range(8):
        codes, wrong, details = flood_slow(pb, stub, grpc, 24, 4)
        if "RESOURCE_EXHAUSTED" in codes:
            full = codes
            break
    check("queue_full", full.get("RESOURCE_EXHAUSTED", 0) >= 1 and full.get("OK", 0) >= 1 and
          wrong == 0 and "queue is full" in details.get("RESOURCE_EXHAUSTED", ""),
          "answers %s %s" % (codes, details))
    late = {}
    for _ in range(8):
        runs0, ok0 = slow_executions(pb, stub)
        codes, wrong, details = flood_slow(pb, stub, grpc, 12, 8, timeout_us=1)
        runs, ok = slow_executions(pb, stub)
        if "DEADLINE_EXCEEDED" in codes:
            late = codes
            break
    check("queue_timeout", late.get("DEADLINE_EXCEEDED", 0) >= 1 and wrong == 0 and
          "timed out" in details.get("DEADLINE_EXCEEDED", "") and ok - ok0 == late.get("OK", 0),
          "answers %s %s, %d succeeded" % (codes, details, ok - ok0))
    expect_error("queue_timeout_negative", grpc,
                 lambda: stub.ModelInfer(slow_request(pb, 0, 1, timeout_us=-5)[0]),
                 grpc.StatusCode.INVALID_ARGUMENT, ["timeout"])
    check("queue_serves_after", flood_slow(pb, stub, grpc, 2, 1)[0] == {"OK": 2})


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--stubs", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", choices=["all", "ready", "auth", "queue"], default="all",
                   help="ready: print ServerLive and ServerReady; auth: the --admin-token checks; "
                   "queue: the queue checks against the `slow` model")
    p.add_argument("--token", default="")
    p.add_argument("--inputs", help="bc_xgb test_inputs.json")
    p.add_argument("--expected", help="bc_xgb expected.json")
    p.add_argument("--repo-name", default="")
    p.add_argument("--rest-success", type=int, default=0)
    p.add_argument("--rest-fail", type=int, default=0)
    p.add_argument("--rest-rows", type=int, default=0)
    p.add_argument("--rest-batches", type=json.loads, default={},
                   help='{"batch size": count} of the successful REST requests')
    args = p.parse_args()
    args.rest_batches = {int(k): v for k, v in args.rest_batches.items()}
    return args


def main():
    args = parse_args()
    sys.path.insert(0, args.stubs)
    import grpc
    import grpc_service_pb2 as pb
    import grpc_service_pb2_grpc as pb_grpc

    channel = grpc.insecure_channel("127.0.0.1:%d" % args.port)
    grpc.channel_ready_future(channel).result(timeout=30)
    stub = pb_grpc.GRPCInferenceServiceStub(channel)
    stub._channel_for_tests = channel
    if args.mode == "ready":
        print("live", str(stub.ServerLive(pb.ServerLiveRequest()).live).lower())
        print("ready", str(stub.ServerReady(pb.ServerReadyRequest()).ready).lower())
        return 0
    if args.mode == "auth":
        test_admin_token(pb, stub, grpc, args.token)
        return 0 if checks["failed"] == 0 else 1
    if args.mode == "queue":
        test_queue(pb, stub, grpc)
        return 0 if checks["failed"] == 0 else 1

    with open(args.inputs) as f:
        inputs = json.load(f)
    with open(args.expected) as f:
        expected = json.load(f)

    test_health(pb, stub, grpc)
    test_metadata(pb, stub, grpc)
    test_infer_bc(pb, stub, inputs, expected)
    test_types(pb, stub, grpc)
    test_errors(pb, stub, grpc, inputs)
    test_concurrent(pb, stub, inputs, expected)
    test_statistics(pb, stub, grpc, args)
    test_repository(pb, stub, grpc, args)

    print("counts", json.dumps({"success": sent["success"], "fail": sent["fail"],
                                "rows": sent["rows"]}))
    total = checks["passed"] + checks["failed"]
    print("passed %d of %d checks" % (checks["passed"], total))
    return 0 if checks["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
