/* Every OIP v2 REST endpoint of a real `ferry serve` over sockets: health, server and model
 * metadata, model ready, 404/405 answers, and inference on bc_xgb and diabetes_xgb checked against
 * python3-xgboost's expected.json, with ids, X-Request-Id and output selection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_support.h"

typedef struct fixture_model {
    const char *name;
    size_t features;
    json_t *inputs;   /* test_inputs.json */
    json_t *expected; /* expected.json */
    json_t *meta;     /* meta.json */
} fixture_model;

static struct {
    char *tmp;
    ts_server srv;
    fixture_model models[2];
} g;

static const char json_ct[] = "Content-Type: application/json\r\n";

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static json_t *load_fixture_file(const char *model, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", ts_shared("models"), model, file);
    return ts_load_json(path);
}

static void get(const char *path, ts_response *resp)
{
    assert_true(ts_server_http(&g.srv, "GET", path, NULL, NULL, 0, resp));
}

static void post(const char *path, const char *headers, const char *body, ts_response *resp)
{
    assert_true(ts_server_http(&g.srv, "POST", path, headers, body, strlen(body), resp));
}

/* Posts a request document (stolen) and returns the parsed response; asserts the status. */
static json_t *infer_doc(const char *path, json_t *request, int want_status)
{
    char *body = json_dumps(request, JSON_COMPACT);
    assert_non_null(body);
    json_decref(request);
    ts_response resp;
    post(path, json_ct, body, &resp);
    free(body);
    if (resp.status != want_status)
        fprintf(stderr, "test: %s: status %d, body %.400s\n", path, resp.status, resp.body);
    assert_int_equal(resp.status, want_status);
    json_t *doc = ts_response_json(&resp);
    ts_response_free(&resp);
    return doc;
}

/* Asserts that a 4xx/5xx body is {"error": "..."} containing `needle`. */
static void assert_error_body(const ts_response *resp, const char *needle)
{
    json_t *doc = ts_response_json(resp);
    const char *msg = json_string_value(json_object_get(doc, "error"));
    assert_non_null(msg);
    if (needle != NULL && strstr(msg, needle) == NULL)
        fprintf(stderr, "test: error '%s' does not mention '%s'\n", msg, needle);
    assert_non_null(needle == NULL ? msg : strstr(msg, needle));
    json_decref(doc);
}

/* Rows [first, first + n) of a fixture's test inputs, nested ([[...], ...]) or flat. */
static json_t *rows_data(const fixture_model *m, size_t first, size_t n, bool nested)
{
    json_t *data = json_object_get(m->inputs, "data");
    json_t *out = json_array();
    for (size_t r = first; r < first + n; r++) {
        json_t *row = nested ? json_array() : out;
        for (size_t f = 0; f < m->features; f++)
            json_array_append(row, json_array_get(data, r * m->features + f));
        if (nested)
            json_array_append_new(out, row);
    }
    return out;
}

static json_t *rows_request(const fixture_model *m, size_t first, size_t n, bool nested,
                            const char *datatype)
{
    return json_pack("{s:[{s:s,s:s,s:[I,I],s:o}]}", "inputs", "name", "input", "datatype", datatype,
                     "shape", (json_int_t)n, (json_int_t)m->features, "data",
                     rows_data(m, first, n, nested));
}

/* Checks response outputs[0] against expected rows [first, first + n). */
static void check_prediction(const fixture_model *m, json_t *resp, size_t first, size_t n)
{
    assert_string_equal(json_string_value(json_object_get(resp, "model_name")), m->name);
    assert_string_equal(json_string_value(json_object_get(resp, "model_version")), "1");
    json_t *outputs = json_object_get(resp, "outputs");
    assert_int_equal(json_array_size(outputs), 1);
    json_t *out = json_array_get(outputs, 0);
    assert_string_equal(json_string_value(json_object_get(out, "name")), "predict");
    assert_string_equal(json_string_value(json_object_get(out, "datatype")), "FP32");
    json_t *shape = json_object_get(out, "shape");
    assert_int_equal(json_array_size(shape), 1);
    assert_int_equal(json_integer_value(json_array_get(shape, 0)), n);
    json_t *data = json_object_get(out, "data");
    json_t *want =
        json_object_get(json_array_get(json_object_get(m->expected, "outputs"), 0), "data");
    assert_int_equal(json_array_size(data), n);
    for (size_t i = 0; i < n; i++) {
        double a = json_number_value(json_array_get(data, i));
        double e = json_number_value(json_array_get(want, first + i));
        if (!ts_close(a, e))
            fprintf(stderr, "test: %s row %zu: got %.9g, expected %.9g\n", m->name, first + i, a,
                    e);
        assert_true(json_is_number(json_array_get(data, i)));
        assert_true(ts_close(a, e));
    }
}

static size_t fixture_rows(const fixture_model *m)
{
    return (size_t)json_integer_value(json_array_get(json_object_get(m->inputs, "shape"), 0));
}

/* ------------------------------------------------------------------------------------------ */
/* Setup                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static int setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    char repo[4096], st[4096];
    snprintf(repo, sizeof repo, "%s/repo", g.tmp);
    snprintf(st, sizeof st, "%s/state", g.tmp);
    const char *names[] = {"bc_xgb", "diabetes_xgb"};
    const size_t features[] = {30, 10};
    for (int i = 0; i < 2; i++) {
        ts_repo_add(repo, names[i], "1", names[i], "model.json");
        g.models[i] = (fixture_model){.name = names[i],
                                      .features = features[i],
                                      .inputs = load_fixture_file(names[i], "test_inputs.json"),
                                      .expected = load_fixture_file(names[i], "expected.json"),
                                      .meta = load_fixture_file(names[i], "meta.json")};
    }
    const char *args[] = {"--repo", repo, "--state", st, NULL};
    if (!ts_server_start(&g.srv, args)) {
        fprintf(stderr, "test: server did not start:\n%s\n", g.srv.log ? g.srv.log : "");
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = ts_server_stop(&g.srv);
    for (int i = 0; i < 2; i++) {
        json_decref(g.models[i].inputs);
        json_decref(g.models[i].expected);
        json_decref(g.models[i].meta);
    }
    ts_rmtree(g.tmp);
    free(g.tmp);
    return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Health and metadata                                                                          */
/* ------------------------------------------------------------------------------------------ */

static void test_health(void **state)
{
    (void)state;
    const char *paths[] = {"/v2/health/live", "/v2/health/ready"};
    for (int i = 0; i < 2; i++) {
        ts_response resp;
        get(paths[i], &resp);
        assert_int_equal(resp.status, 200);
        assert_int_equal(resp.body_len, 0);
        ts_response_free(&resp);
    }
}

static void test_server_metadata(void **state)
{
    (void)state;
    const char *paths[] = {"/v2", "/v2/"};
    for (int i = 0; i < 2; i++) {
        ts_response resp;
        get(paths[i], &resp);
        assert_int_equal(resp.status, 200);
        char type[128];
        assert_non_null(ts_header(&resp, "Content-Type", type, sizeof type));
        assert_non_null(strstr(type, "application/json"));
        json_t *doc = ts_response_json(&resp);
        assert_string_equal(json_string_value(json_object_get(doc, "name")), "ferry");
        assert_string_equal(json_string_value(json_object_get(doc, "version")), FERRY_VERSION);
        assert_true(json_is_array(json_object_get(doc, "extensions")));
        json_decref(doc);
        ts_response_free(&resp);
    }
}

static void check_tensor_meta(json_t *t, const char *name, const char *datatype, int ndim,
                              const long long *shape)
{
    assert_string_equal(json_string_value(json_object_get(t, "name")), name);
    assert_string_equal(json_string_value(json_object_get(t, "datatype")), datatype);
    json_t *s = json_object_get(t, "shape");
    assert_int_equal(json_array_size(s), ndim);
    for (int d = 0; d < ndim; d++)
        assert_int_equal(json_integer_value(json_array_get(s, (size_t)d)), shape[d]);
}

static void test_model_metadata(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        const fixture_model *m = &g.models[i];
        char paths[2][256];
        snprintf(paths[0], sizeof paths[0], "/v2/models/%s", m->name);
        snprintf(paths[1], sizeof paths[1], "/v2/models/%s/versions/1", m->name);
        for (int p = 0; p < 2; p++) {
            ts_response resp;
            get(paths[p], &resp);
            assert_int_equal(resp.status, 200);
            json_t *doc = ts_response_json(&resp);
            assert_string_equal(json_string_value(json_object_get(doc, "name")), m->name);
            json_t *versions = json_object_get(doc, "versions");
            assert_int_equal(json_array_size(versions), 1);
            assert_string_equal(json_string_value(json_array_get(versions, 0)), "1");
            assert_true(json_is_string(json_object_get(doc, "platform")));
            json_t *inputs = json_object_get(doc, "inputs"),
                   *outputs = json_object_get(doc, "outputs");
            assert_int_equal(json_array_size(inputs), 1);
            assert_int_equal(json_array_size(outputs), 1);
            const long long in_shape[] = {-1, (long long)m->features}, out_shape[] = {-1};
            check_tensor_meta(json_array_get(inputs, 0), "input", "FP32", 2, in_shape);
            check_tensor_meta(json_array_get(outputs, 0), "predict", "FP32", 1, out_shape);
            json_t *names = json_object_get(doc, "feature_names");
            json_t *want = json_object_get(json_array_get(json_object_get(m->meta, "inputs"), 0),
                                           "feature_names");
            assert_int_equal(json_array_size(names), m->features);
            assert_true(json_equal(names, want));
            json_decref(doc);
            ts_response_free(&resp);
        }
    }
}

static void test_model_ready(void **state)
{
    (void)state;
    const char *paths[] = {"/v2/models/bc_xgb/ready", "/v2/models/bc_xgb/versions/1/ready",
                           "/v2/models/diabetes_xgb/ready"};
    for (int i = 0; i < 3; i++) {
        ts_response resp;
        get(paths[i], &resp);
        assert_int_equal(resp.status, 200);
        assert_int_equal(resp.body_len, 0);
        ts_response_free(&resp);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* 404 and 405                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static void test_unknown_model(void **state)
{
    (void)state;
    const char *paths[] = {"/v2/models/no_such_model", "/v2/models/no_such_model/ready",
                           "/v2/models/no_such_model/versions/1"};
    for (int i = 0; i < 3; i++) {
        ts_response resp;
        get(paths[i], &resp);
        assert_int_equal(resp.status, 404);
        assert_error_body(&resp, "no_such_model");
        ts_response_free(&resp);
    }
    ts_response resp;
    post("/v2/models/no_such_model/infer", json_ct,
         "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,1],\"data\":[1]}]}",
         &resp);
    assert_int_equal(resp.status, 404);
    assert_error_body(&resp, "no_such_model");
    ts_response_free(&resp);
}

static void test_unknown_version(void **state)
{
    (void)state;
    const char *paths[] = {"/v2/models/bc_xgb/versions/7", "/v2/models/bc_xgb/versions/7/ready"};
    for (int i = 0; i < 2; i++) {
        ts_response resp;
        get(paths[i], &resp);
        assert_int_equal(resp.status, 404);
        assert_error_body(&resp, "7");
        ts_response_free(&resp);
    }
    json_t *doc = infer_doc("/v2/models/bc_xgb/versions/7/infer",
                            rows_request(&g.models[0], 0, 1, false, "FP32"), 404);
    const char *msg = json_string_value(json_object_get(doc, "error"));
    assert_non_null(msg);
    assert_non_null(strstr(msg, "bc_xgb"));
    assert_non_null(strstr(msg, "'7'"));
    json_decref(doc);
}

static void test_wrong_method(void **state)
{
    (void)state;
    const struct {
        const char *method, *path, *allow;
    } cases[] = {
        {"POST", "/v2/health/live", "GET"},
        {"DELETE", "/v2/health/ready", "GET"},
        {"PUT", "/v2", "GET"},
        {"POST", "/v2/models/bc_xgb", "GET"},
        {"POST", "/v2/models/bc_xgb/ready", "GET"},
        {"GET", "/v2/models/bc_xgb/infer", "POST"},
        {"PUT", "/v2/models/bc_xgb/versions/1/infer", "POST"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_response resp;
        assert_true(ts_server_http(&g.srv, cases[i].method, cases[i].path, NULL, NULL, 0, &resp));
        if (resp.status != 405)
            fprintf(stderr, "test: %s %s: %d\n", cases[i].method, cases[i].path, resp.status);
        assert_int_equal(resp.status, 405);
        char allow[128];
        assert_non_null(ts_header(&resp, "Allow", allow, sizeof allow));
        assert_non_null(strstr(allow, cases[i].allow));
        assert_error_body(&resp, NULL);
        ts_response_free(&resp);
    }
}

static void test_unknown_path(void **state)
{
    (void)state;
    const char *paths[] = {"/",
                           "/v3",
                           "/v2/health",
                           "/v2/models",
                           "/v2/healthz",
                           "/v2/models/bc_xgb/explain",
                           "/v2/models/bc_xgb/versions/1/foo"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        ts_response resp;
        get(paths[i], &resp);
        if (resp.status != 404)
            fprintf(stderr, "test: GET %s: %d\n", paths[i], resp.status);
        assert_int_equal(resp.status, 404);
        assert_error_body(&resp, NULL);
        ts_response_free(&resp);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Inference                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static void test_infer_whole_split(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        const fixture_model *m = &g.models[i];
        char *body = ts_fixture_request(m->name);
        char path[256];
        snprintf(path, sizeof path, "/v2/models/%s/infer", m->name);
        ts_response resp;
        post(path, json_ct, body, &resp);
        free(body);
        assert_int_equal(resp.status, 200);
        char type[128];
        assert_non_null(ts_header(&resp, "Content-Type", type, sizeof type));
        assert_non_null(strstr(type, "application/json"));
        json_t *doc = ts_response_json(&resp);
        check_prediction(m, doc, 0, fixture_rows(m));
        json_decref(doc);
        ts_response_free(&resp);
    }
}

static void test_infer_single_rows_nested(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        const fixture_model *m = &g.models[i];
        size_t n = fixture_rows(m);
        const size_t rows[] = {0, 1, n / 2, n - 1};
        char path[256];
        snprintf(path, sizeof path, "/v2/models/%s/infer", m->name);
        for (size_t k = 0; k < 4; k++) {
            json_t *doc = infer_doc(path, rows_request(m, rows[k], 1, true, "FP32"), 200);
            check_prediction(m, doc, rows[k], 1);
            json_decref(doc);
        }
        /* Three rows nested, through the versioned path. */
        snprintf(path, sizeof path, "/v2/models/%s/versions/1/infer", m->name);
        json_t *doc = infer_doc(path, rows_request(m, 5, 3, true, "FP32"), 200);
        check_prediction(m, doc, 5, 3);
        json_decref(doc);
    }
}

static void test_infer_fp64(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        const fixture_model *m = &g.models[i];
        char path[256];
        snprintf(path, sizeof path, "/v2/models/%s/infer", m->name);
        json_t *doc = infer_doc(path, rows_request(m, 0, fixture_rows(m), false, "FP64"), 200);
        check_prediction(m, doc, 0, fixture_rows(m));
        json_decref(doc);
    }
}

static void test_request_id_in_body(void **state)
{
    (void)state;
    json_t *req = rows_request(&g.models[0], 0, 1, false, "FP32");
    json_object_set_new(req, "id", json_string("body-id-1"));
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    ts_response resp;
    post("/v2/models/bc_xgb/infer", json_ct, body, &resp);
    assert_int_equal(resp.status, 200);
    json_t *doc = ts_response_json(&resp);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), "body-id-1");
    check_prediction(&g.models[0], doc, 0, 1);
    json_decref(doc);
    ts_response_free(&resp);

    /* The body's id wins over the header's in the response body. */
    post("/v2/models/bc_xgb/infer", "Content-Type: application/json\r\nX-Request-Id: hdr-9\r\n",
         body, &resp);
    free(body);
    assert_int_equal(resp.status, 200);
    doc = ts_response_json(&resp);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), "body-id-1");
    json_decref(doc);
    ts_response_free(&resp);
}

static void test_request_id_header(void **state)
{
    (void)state;
    json_t *req = rows_request(&g.models[1], 2, 1, false, "FP32");
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    ts_response resp;
    post("/v2/models/diabetes_xgb/infer",
         "Content-Type: application/json\r\nX-Request-Id: trace-abc-123\r\n", body, &resp);
    free(body);
    assert_int_equal(resp.status, 200);
    char rid[128];
    assert_non_null(ts_header(&resp, "X-Request-Id", rid, sizeof rid));
    assert_string_equal(rid, "trace-abc-123");
    json_t *doc = ts_response_json(&resp);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), "trace-abc-123");
    check_prediction(&g.models[1], doc, 2, 1);
    json_decref(doc);
    ts_response_free(&resp);

    /* Without any id the response carries a generated UUID v4, in the body (for feedback) and as
     * X-Request-Id. */
    req = rows_request(&g.models[1], 2, 1, false, "FP32");
    body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    post("/v2/models/diabetes_xgb/infer", json_ct, body, &resp);
    free(body);
    assert_int_equal(resp.status, 200);
    assert_non_null(ts_header(&resp, "X-Request-Id", rid, sizeof rid));
    assert_true(rid[0] != '\0');
    doc = ts_response_json(&resp);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), rid);
    assert_int_equal(strlen(rid), 36);
    json_decref(doc);
    ts_response_free(&resp);
}

static void test_outputs_selection(void **state)
{
    (void)state;
    json_t *req = rows_request(&g.models[0], 3, 2, true, "FP32");
    json_object_set_new(req, "outputs", json_pack("[{s:s}]", "name", "predict"));
    json_t *doc = infer_doc("/v2/models/bc_xgb/infer", req, 200);
    check_prediction(&g.models[0], doc, 3, 2);
    json_decref(doc);

    req = rows_request(&g.models[0], 3, 2, true, "FP32");
    json_object_set_new(req, "outputs", json_pack("[{s:s}]", "name", "probabilities"));
    doc = infer_doc("/v2/models/bc_xgb/infer", req, 400);
    const char *msg = json_string_value(json_object_get(doc, "error"));
    assert_non_null(msg);
    assert_non_null(strstr(msg, "'probabilities'"));
    json_decref(doc);
}

static void test_keep_alive(void **state)
{
    (void)state;
    int fd = ts_connect(g.srv.port);
    assert_true(fd >= 0);
    json_t *req = rows_request(&g.models[0], 10, 1, false, "FP32");
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    for (int i = 0; i < 3; i++) {
        const char live[] = "GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        assert_true(ts_send_all(fd, live, strlen(live)));
        ts_response resp;
        ts_read_framed_response(fd, &resp);
        assert_int_equal(resp.status, 200);
        ts_response_free(&resp);

        char head[256];
        snprintf(head, sizeof head,
                 "POST /v2/models/bc_xgb/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                 strlen(body));
        assert_true(ts_send_all(fd, head, strlen(head)));
        assert_true(ts_send_all(fd, body, strlen(body)));
        ts_read_framed_response(fd, &resp);
        assert_int_equal(resp.status, 200);
        json_t *doc = ts_response_json(&resp);
        check_prediction(&g.models[0], doc, 10, 1);
        json_decref(doc);
        ts_response_free(&resp);
    }
    free(body);
    close(fd);
    ts_server_read_log(&g.srv);
}

/* Nobody reads the server's log while this test talks to it over a raw socket: 2000 requests write
 * about 400 KiB of access lines, several times what a pipe holds (64 KiB), and every one is still
 * answered (the harness must capture the log where a write never blocks the server). */
static void test_unread_log(void **state)
{
    (void)state;
    enum { REQUESTS = 2000, PIPE_CAPACITY = 64 * 1024 };
    ts_server_read_log(&g.srv);
    size_t before = g.srv.log_len;
    int fd = ts_connect(g.srv.port);
    assert_true(fd >= 0);
    const char live[] = "GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for (int i = 0; i < REQUESTS; i++) {
        assert_true(ts_send_all(fd, live, strlen(live)));
        ts_response resp;
        ts_read_framed_response(fd, &resp);
        assert_int_equal(resp.status, 200);
        ts_response_free(&resp);
    }
    close(fd);
    ts_server_read_log(&g.srv);
    size_t written = g.srv.log_len - before;
    fprintf(stderr, "test: %d requests logged %zu bytes\n", REQUESTS, written);
    assert_true(written > 4 * PIPE_CAPACITY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_server_metadata),
        cmocka_unit_test(test_model_metadata),
        cmocka_unit_test(test_model_ready),
        cmocka_unit_test(test_unknown_model),
        cmocka_unit_test(test_unknown_version),
        cmocka_unit_test(test_wrong_method),
        cmocka_unit_test(test_unknown_path),
        cmocka_unit_test(test_infer_whole_split),
        cmocka_unit_test(test_infer_single_rows_nested),
        cmocka_unit_test(test_infer_fp64),
        cmocka_unit_test(test_request_id_in_body),
        cmocka_unit_test(test_request_id_header),
        cmocka_unit_test(test_outputs_selection),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_unread_log),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
