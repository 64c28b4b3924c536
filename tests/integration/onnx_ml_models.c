/* ONNX models with string tensors and ai.onnx.ml operators served over OIP v2, as a user runs
 * them: a repository (over a socket) with a string-input pipeline (ArrayFeatureExtractor then
 * LabelEncoder), a string-output LabelEncoder and a classifier ending in ZipMap (served as its
 * probability tensor); metadata says BYTES and FP32 where it should, BYTES data travels as JSON
 * strings both ways, a BYTES request of the wrong length or datatype is refused, and `ferry
 * predict` answers the same. Models from tests/data/onnx (make_ml_models.py). */
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
    char repo[4096];
} g;

static const struct {
    const char *name, *source;
} models[] = {
    {"pipeline", "tests/data/onnx/strings/feature_pipeline"},
    {"encoder", "tests/data/onnx/ml/label_encoder_v2_int_string"},
    {"zipmap", "tests/data/onnx/ml/zipmap_after_classifier"},
};

static int setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    snprintf(g.repo, sizeof g.repo, "%s/repo", g.tmp);
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char from[4200], to[4400];
        snprintf(from, sizeof from, "%s/model.onnx", ts_source(models[i].source));
        snprintf(to, sizeof to, "%s/%s/1/model.onnx", g.repo, models[i].name);
        ts_write_file(to, "");
        ts_copy_file(from, to);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(g.tmp);
    free(g.tmp);
    return 0;
}

/* POSTs body to /v2/models/NAME/infer; returns the response (caller frees). */
static ts_response infer(ts_server *srv, const char *name, const char *body)
{
    char path[256];
    snprintf(path, sizeof path, "/v2/models/%s/infer", name);
    ts_response resp;
    assert_true(ts_server_http(srv, "POST", path, "Content-Type: application/json\r\n", body,
                               strlen(body), &resp));
    return resp;
}

/* The first output's field `key` of a response as compact JSON (caller frees). */
static char *output_json(const ts_response *resp, size_t k, const char *key)
{
    json_t *doc = ts_response_json(resp);
    json_t *out = json_array_get(json_object_get(doc, "outputs"), k);
    assert_non_null(out);
    char *text = json_dumps(json_object_get(out, key), JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(doc);
    return text;
}

static void expect_output(const ts_response *resp, size_t k, const char *datatype,
                          const char *shape, const char *data)
{
    if (resp->status != 200)
        fail_msg("HTTP %d: %s", resp->status, resp->body);
    char *dt = output_json(resp, k, "datatype"), *sh = output_json(resp, k, "shape");
    char *d = output_json(resp, k, "data");
    char want_dt[64];
    snprintf(want_dt, sizeof want_dt, "\"%s\"", datatype);
    assert_string_equal(dt, want_dt);
    assert_string_equal(sh, shape);
    if (data != NULL)
        assert_string_equal(d, data);
    free(dt);
    free(sh);
    free(d);
}

static void test_server(void **state)
{
    (void)state;
    char st[4200];
    snprintf(st, sizeof st, "%s/state", g.tmp);
    const char *args[] = {"--repo", g.repo, "--state", st, NULL};
    ts_server srv = {0};
    if (!ts_server_start(&srv, args))
        fail_msg("server did not start:\n%s", srv.log ? srv.log : "");
    ts_response resp;
    assert_true(ts_server_http(&srv, "GET", "/v2/models/pipeline", NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "\"inputs\":[{\"name\":\"X\",\"datatype\":\"BYTES\","
                                      "\"shape\":[-1,3]}]"));
    ts_response_free(&resp);
    assert_true(ts_server_http(&srv, "GET", "/v2/models/zipmap", NULL, NULL, 0, &resp));
    assert_non_null(strstr(resp.body, "{\"name\":\"probabilities\",\"datatype\":\"FP32\","
                                      "\"shape\":[-1,3]}"));
    ts_response_free(&resp);

    resp = infer(&srv, "pipeline",
                 "{\"inputs\":[{\"name\":\"X\",\"datatype\":\"BYTES\",\"shape\":[2,3],\"data\":"
                 "[\"small\",\"large\",\"medium\",\"large\",\"tiny\",\"small\"]}]}");
    expect_output(&resp, 0, "INT64", "[2,2]", "[2,3,1,-1]");
    ts_response_free(&resp);
    resp = infer(&srv, "encoder",
                 "{\"inputs\":[{\"name\":\"X\",\"datatype\":\"INT64\",\"shape\":[3],\"data\":"
                 "[4,5,6]}]}");
    expect_output(&resp, 0, "BYTES", "[3]", "[\"four\",\"five\",\"none\"]");
    ts_response_free(&resp);
    resp = infer(&srv, "zipmap",
                 "{\"inputs\":[{\"name\":\"X\",\"datatype\":\"FP32\",\"shape\":[2,4],\"data\":"
                 "[5.1,3.5,1.4,0.2,6.7,3.0,5.2,2.3]}]}");
    expect_output(&resp, 0, "INT64", "[2]", "[0,2]");
    expect_output(&resp, 1, "FP32", "[2,3]", NULL);
    ts_response_free(&resp);

    /* Too few strings for the shape, and numbers where strings belong. */
    resp = infer(&srv, "pipeline",
                 "{\"inputs\":[{\"name\":\"X\",\"datatype\":\"BYTES\",\"shape\":[2,3],\"data\":"
                 "[\"small\",\"large\"]}]}");
    assert_int_equal(resp.status, 400);
    ts_response_free(&resp);
    resp = infer(&srv, "pipeline",
                 "{\"inputs\":[{\"name\":\"X\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":"
                 "[1,2,3]}]}");
    assert_int_equal(resp.status, 400);
    assert_non_null(strstr(resp.body, "expected BYTES"));
    ts_response_free(&resp);
    assert_int_equal(ts_server_stop(&srv), 0);
}

static void test_predict(void **state)
{
    (void)state;
    char request[4200], cmd[12000], *out = NULL;
    snprintf(request, sizeof request, "%s/request.json", g.tmp);
    ts_write_file(request, "{\"inputs\":[{\"name\":\"X\",\"datatype\":\"BYTES\",\"shape\":[1,3],"
                           "\"data\":[\"medium\",\"small\",\"huge\"]}]}");
    snprintf(cmd, sizeof cmd, "'%s' predict --model '%s/pipeline/1/model.onnx' --input '%s' 2>&1",
             ts_ferry_bin(), g.repo, request);
    int rc = ts_run(cmd, &out);
    ts_assert_no_sanitizer_report(out);
    if (rc != 0 || strstr(out, "\"data\":[-1,1]") == NULL)
        fail_msg("exit %d: %s", rc, out);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server),
        cmocka_unit_test(test_predict),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
