/* Integration test of request validation against a training profile: bc_xgb registered with its
 * training CSV (`ferry register --data`, so profile.json maps to the model's features by
 * position), served three times over with `validation: reject`, the default (warn) and `off`.
 * reject answers 400 with the violations (row, feature, value, rule, expected) and serves valid
 * rows (over gRPC: INVALID_ARGUMENT with the message, checked with Debian's python3-grpcio);
 * warn serves and counts ferry_validation_violations_total; off does neither. A wrong dtype or
 * shape is answered as a violation (rule dtype or shape, the input as feature, row null) over
 * REST, and INVALID_ARGUMENT naming them over gRPC, whatever the policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

static struct {
    char *tmp;
    ts_server srv;
    json_t *inputs; /* bc_xgb test_inputs.json */
} g;

static const char json_ct[] = "Content-Type: application/json\r\n";

/* Registers bc_xgb's model.json as model `name` with the breast-cancer training data. */
static void register_model(const char *repo, const char *name, const char *yaml)
{
    char cmd[16384], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "'%s' register %s '%s/bc_xgb/model.json' --repo '%s' --create --data '%s' "
             "--label target 2>&1",
             ts_ferry_bin(), name, ts_shared("models"), repo,
             ts_source("examples/models/breast_cancer/data/train.csv"));
    int rc = ts_run(cmd, &out);
    if (rc != 0)
        fail_msg("register %s: %s", name, out);
    free(out);
    char path[4400];
    snprintf(path, sizeof path, "%s/%s/model.yaml", repo, name);
    char *old = ts_read_file(path, NULL);
    char *text = malloc(strlen(old ? old : "") + strlen(yaml) + 1);
    sprintf(text, "%s%s", old ? old : "", yaml);
    ts_write_file(path, text);
    free(text);
    free(old);
}

static int group_setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    char repo[4096], path[4200], st[4200];
    snprintf(repo, sizeof repo, "%s/models", g.tmp);
    snprintf(path, sizeof path, "%s/.keep", repo);
    ts_write_file(path, "");
    register_model(repo, "bc_reject", "validation: reject\n");
    register_model(repo, "bc_warn", "");
    register_model(repo, "bc_off", "validation: {policy: off}\n");
    snprintf(path, sizeof path, "%s/bc_xgb/test_inputs.json", ts_shared("models"));
    g.inputs = ts_load_json(path);
    snprintf(st, sizeof st, "%s/state", g.tmp);
    const char *args[] = {"--repo", repo, "--state", st, NULL};
    ts_server_start_ok(&g.srv, args);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    assert_int_equal(ts_server_stop(&g.srv), 0);
    json_decref(g.inputs);
    ts_rmtree(g.tmp);
    free(g.tmp);
    return 0;
}

/* Two test rows; row 1's feature `feature` set to `value` when feature >= 0. */
static char *request(int feature, double value)
{
    json_t *data = json_array();
    json_t *all = json_object_get(g.inputs, "data");
    for (size_t i = 0; i < 60; i++)
        json_array_append(data, json_array_get(all, i));
    if (feature >= 0)
        json_array_set_new(data, 30 + (size_t)feature, json_real(value));
    json_t *body = json_pack("{s:[{s:s, s:s, s:[i,i], s:o}]}", "inputs", "name", "input",
                             "datatype", "FP32", "shape", 2, 30, "data", data);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

static int infer(const char *model, const char *body, json_t **reply)
{
    char path[256];
    snprintf(path, sizeof path, "/v2/models/%s/infer", model);
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "POST", path, json_ct, body, strlen(body), &resp));
    int status = resp.status;
    if (reply != NULL)
        *reply = ts_response_json(&resp);
    ts_response_free(&resp);
    return status;
}

static char *metrics_text(void)
{
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", "/metrics", NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    char *text = strdup(resp.body);
    ts_response_free(&resp);
    return text;
}

static void test_reject(void **state)
{
    (void)state;
    char *ok = request(-1, 0), *high = request(0, 1000), *low = request(3, -5000);
    assert_int_equal(infer("bc_reject", ok, NULL), 200);
    json_t *reply = NULL;
    assert_int_equal(infer("bc_reject", high, &reply), 400);
    const char *error = json_string_value(json_object_get(reply, "error"));
    assert_non_null(error);
    assert_non_null(strstr(error, "model 'bc_reject' version 1: 1 validation violation"));
    assert_non_null(strstr(error, "mean_radius"));
    json_t *v = json_object_get(reply, "violations");
    assert_int_equal(json_array_size(v), 1);
    json_t *x = json_array_get(v, 0);
    assert_int_equal(json_integer_value(json_object_get(x, "row")), 1);
    assert_string_equal(json_string_value(json_object_get(x, "feature")), "mean_radius");
    assert_true(json_number_value(json_object_get(x, "value")) == 1000);
    assert_string_equal(json_string_value(json_object_get(x, "rule")), "max");
    assert_non_null(strstr(json_string_value(json_object_get(x, "expected")), "<= "));
    json_decref(reply);
    assert_int_equal(infer("bc_reject", low, &reply), 400);
    x = json_array_get(json_object_get(reply, "violations"), 0);
    assert_string_equal(json_string_value(json_object_get(x, "feature")), "mean_area");
    assert_string_equal(json_string_value(json_object_get(x, "rule")), "min");
    json_decref(reply);
    free(ok);
    free(high);
    free(low);
}

/* A request of rows x cols values of `datatype` (as JSON numbers). */
static char *typed_request(const char *datatype, int rows, int cols)
{
    json_t *data = json_array();
    json_t *all = json_object_get(g.inputs, "data");
    for (int i = 0; i < rows * cols; i++)
        json_array_append_new(
            data, json_integer((json_int_t)json_number_value(json_array_get(all, (size_t)i % 30))));
    json_t *body = json_pack("{s:[{s:s, s:s, s:[i,i], s:o}]}", "inputs", "name", "input",
                             "datatype", datatype, "shape", rows, cols, "data", data);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

/* The only violation of a 400 answer: its rule, the input as feature, row null. */
static json_t *only_violation(json_t *reply, const char *rule)
{
    json_t *v = json_object_get(reply, "violations");
    assert_int_equal(json_array_size(v), 1);
    json_t *x = json_array_get(v, 0);
    assert_true(json_is_null(json_object_get(x, "row")));
    assert_string_equal(json_string_value(json_object_get(x, "feature")), "input");
    assert_string_equal(json_string_value(json_object_get(x, "rule")), rule);
    return x;
}

/* dtype and shape are checked whatever the policy (here off) and listed as violations. */
static void test_dtype_and_shape(void **state)
{
    (void)state;
    char *ints = typed_request("INT32", 2, 30), *narrow = typed_request("FP32", 2, 29);
    json_t *reply = NULL;
    assert_int_equal(infer("bc_off", ints, &reply), 400);
    assert_non_null(strstr(json_string_value(json_object_get(reply, "error")), "INT32"));
    json_t *x = only_violation(reply, "dtype");
    assert_string_equal(json_string_value(json_object_get(x, "value")), "INT32");
    assert_string_equal(json_string_value(json_object_get(x, "expected")), "FP32");
    json_decref(reply);
    assert_int_equal(infer("bc_off", narrow, &reply), 400);
    assert_non_null(strstr(json_string_value(json_object_get(reply, "error")), "29 features"));
    x = only_violation(reply, "shape");
    json_t *value = json_object_get(x, "value");
    assert_int_equal(json_array_size(value), 2);
    assert_int_equal(json_integer_value(json_array_get(value, 0)), 2);
    assert_int_equal(json_integer_value(json_array_get(value, 1)), 29);
    assert_string_equal(json_string_value(json_object_get(x, "expected")), "[-1,30]");
    json_decref(reply);
    /* An unknown input is no dtype or shape matter: a plain error. */
    char *body = request(-1, 0);
    char *renamed = strstr(body, "\"input\"");
    memcpy(renamed, "\"inpux\"", 7);
    assert_int_equal(infer("bc_off", body, &reply), 400);
    assert_null(json_object_get(reply, "violations"));
    json_decref(reply);
    char *text = metrics_text();
    assert_non_null(strstr(text, "ferry_validation_violations_total{model=\"bc_off\",version=\"1\","
                                 "feature=\"input\",rule=\"dtype\"} 1\n"));
    assert_non_null(strstr(text, "ferry_validation_violations_total{model=\"bc_off\",version=\"1\","
                                 "feature=\"input\",rule=\"shape\"} 1\n"));
    free(text);
    free(body);
    free(ints);
    free(narrow);
}

static void test_warn_and_off(void **state)
{
    (void)state;
    char *high = request(0, 1000);
    assert_int_equal(infer("bc_warn", high, NULL), 200);
    assert_int_equal(infer("bc_warn", high, NULL), 200);
    assert_int_equal(infer("bc_off", high, NULL), 200);
    char *text = metrics_text();
    assert_non_null(strstr(text,
                           "ferry_validation_violations_total{model=\"bc_warn\",version=\"1\","
                           "feature=\"mean_radius\",rule=\"max\"} 2\n"));
    assert_null(strstr(text, "model=\"bc_off\",version=\"1\",feature=\"mean_radius\""));
    free(text);
    assert_true(
        ts_server_wait_log(&g.srv, "validation violation(s) served under policy warn", 5000));
    assert_true(ts_server_wait_log(&g.srv, "profile mapped to 30 features by position", 1000));
    free(high);
}

/* gRPC ModelInfers by python3-grpcio with stubs generated from proto/grpc_service.proto: to
 * bc_reject with row 0's mean_radius at 1000; to bc_off as INT32; to bc_off with 29 features;
 * to bc_warn out of range (served). Prints each one's status code and message on a line. */
static const char grpc_script[] =
    "import sys, struct\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "import grpc, grpc_service_pb2 as pb, grpc_service_pb2_grpc as pbg\n"
    "stub = pbg.GRPCInferenceServiceStub(grpc.insecure_channel('127.0.0.1:' + sys.argv[2]))\n"
    "row = [1000, 15.0, 90, 700, 0.1, 0.1, 0.05, 0.03, 0.18, 0.06, 0.3, 1.2, 2.5, 30, 0.007, "
    "0.02, 0.03, 0.01, 0.02, 0.003, 16, 25, 105, 880, 0.13, 0.25, 0.27, 0.11, 0.29, 0.08]\n"
    "def call(model, datatype, shape, raw):\n"
    "    req = pb.ModelInferRequest(model_name=model)\n"
    "    req.inputs.add(name='input', datatype=datatype, shape=shape)\n"
    "    req.raw_input_contents.append(raw)\n"
    "    try:\n"
    "        stub.ModelInfer(req, timeout=10)\n"
    "        print('OK')\n"
    "    except grpc.RpcError as e:\n"
    "        print(e.code().name, e.details())\n"
    "call('bc_reject', 'FP32', [1, 30], struct.pack('<30f', *row))\n"
    "call('bc_off', 'INT32', [1, 30], struct.pack('<30i', *[int(x) for x in row]))\n"
    "call('bc_off', 'FP32', [1, 29], struct.pack('<29f', *row[:29]))\n"
    "call('bc_warn', 'FP32', [1, 30], struct.pack('<30f', *row))\n";

static void test_grpc_reject(void **state)
{
    (void)state;
    char stubs[4200], script[4200], cmd[16384], *out = NULL;
    snprintf(stubs, sizeof stubs, "%s/stubs", g.tmp);
    snprintf(script, sizeof script, "%s/reject.py", g.tmp);
    ts_write_file(script, grpc_script);
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s' && /usr/bin/python3 -m grpc_tools.protoc -I'%s' --python_out='%s' "
             "--grpc_python_out='%s' '%s/grpc_service.proto' 2>&1 && /usr/bin/python3 '%s' '%s' "
             "%d 2>&1",
             stubs, ts_source("proto"), stubs, stubs, ts_source("proto"), script, stubs,
             g.srv.grpc_port);
    int rc = ts_run(cmd, &out);
    if (rc != 0 || strstr(out, "INVALID_ARGUMENT model 'bc_reject' version 1: 1 validation "
                               "violation; row 0, feature 'mean_radius': 1000 breaks rule "
                               "'max'") == NULL)
        fail_msg("gRPC reject: %s", out);
    if (strstr(out, "INVALID_ARGUMENT model 'bc_off' version 1: input 'input' has datatype INT32, "
                    "expected FP32") == NULL ||
        strstr(out, "INVALID_ARGUMENT model 'bc_off' version 1: input 'input' has 29 features "
                    "per row, the model expects 30") == NULL ||
        strstr(out, "\nOK\n") == NULL)
        fail_msg("gRPC dtype, shape, warn: %s", out);
    char *text = metrics_text();
    if (strstr(text, "ferry_validation_violations_total{model=\"bc_warn\",version=\"1\","
                     "feature=\"mean_radius\",rule=\"max\"} 3\n") == NULL)
        fail_msg("gRPC warn not counted:\n%s", text);
    free(text);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reject),
        cmocka_unit_test(test_dtype_and_shape),
        cmocka_unit_test(test_warn_and_off),
        cmocka_unit_test(test_grpc_reject),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
