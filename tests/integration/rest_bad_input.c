/* Bad input against a real `ferry serve`: each malformed, mistyped, misshapen, misaddressed,
 * oversized or stalled request gets a clear error naming what is wrong, and the server goes on
 * answering good requests after every one of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_support.h"

#define BODY_LIMIT "4096"

static struct {
    char *tmp;
    ts_server srv;
    json_t *inputs;   /* bc_xgb test_inputs.json */
    json_t *expected; /* bc_xgb expected.json */
} g;

static const char json_ct[] = "Content-Type: application/json\r\n";

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* The first row of bc_xgb's test split as a JSON array text "[v0,...,v29]" of n values. */
static char *row_text(size_t n)
{
    json_t *data = json_object_get(g.inputs, "data");
    json_t *row = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(row, json_array_get(data, i % 30));
    char *text = json_dumps(row, JSON_COMPACT);
    json_decref(row);
    assert_non_null(text);
    return text;
}

/* printf into a malloc'ed string. */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return text;
}

/* A request with one tensor; data is JSON text. Returns malloc'ed text. */
static char *request(const char *name, const char *datatype, const char *shape, const char *data)
{
    return format("{\"inputs\":[{\"name\":\"%s\",\"datatype\":\"%s\",\"shape\":%s,"
                  "\"data\":%s}]}",
                  name, datatype, shape, data);
}

/* A good single-row request for bc_xgb. */
static char *good_request(void)
{
    char *row = row_text(30);
    char *text = request("input", "FP32", "[1,30]", row);
    free(row);
    return text;
}

/* Asserts the server still answers a good inference request correctly. */
static void assert_still_serving(void)
{
    char *body = good_request();
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "POST", "/v2/models/bc_xgb/infer", json_ct, body,
                               strlen(body), &resp));
    free(body);
    if (resp.status != 200)
        fprintf(stderr, "test: good request after bad input: %d %s\n", resp.status, resp.body);
    assert_int_equal(resp.status, 200);
    json_t *doc = ts_response_json(&resp);
    json_t *data = json_object_get(json_array_get(json_object_get(doc, "outputs"), 0), "data");
    json_t *want =
        json_object_get(json_array_get(json_object_get(g.expected, "outputs"), 0), "data");
    assert_int_equal(json_array_size(data), 1);
    assert_true(ts_close(json_number_value(json_array_get(data, 0)),
                         json_number_value(json_array_get(want, 0))));
    json_decref(doc);
    ts_response_free(&resp);
}

/* Sends body to path (with headers) and asserts the status and that the {"error"} message
 * contains every needle; then that the server still serves. */
static void expect_error(const char *path, const char *headers, const char *body, size_t len,
                         int status, const char *const *needles)
{
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "POST", path, headers, body, len, &resp));
    if (resp.status != status)
        fprintf(stderr, "test: %s: status %d (want %d): %s\n", path, resp.status, status,
                resp.body);
    assert_int_equal(resp.status, status);
    json_t *doc = ts_response_json(&resp);
    const char *msg = json_string_value(json_object_get(doc, "error"));
    assert_non_null(msg);
    for (size_t i = 0; needles != NULL && needles[i] != NULL; i++) {
        if (strstr(msg, needles[i]) == NULL)
            fprintf(stderr, "test: error '%s' does not mention '%s'\n", msg, needles[i]);
        assert_non_null(strstr(msg, needles[i]));
    }
    json_decref(doc);
    ts_response_free(&resp);
    assert_still_serving();
}

static void expect_infer_error(const char *body, int status, const char *const *needles)
{
    expect_error("/v2/models/bc_xgb/infer", json_ct, body, strlen(body), status, needles);
}

/* ------------------------------------------------------------------------------------------ */
/* Setup                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static int setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    char repo[4096], st[4096], path[4096];
    snprintf(repo, sizeof repo, "%s/repo", g.tmp);
    snprintf(st, sizeof st, "%s/state", g.tmp);
    ts_repo_add(repo, "bc_xgb", "1", "bc_xgb", "model.json");
    ts_repo_add(repo, "diabetes_xgb", "1", "diabetes_xgb", "model.json");
    snprintf(path, sizeof path, "%s/bc_xgb/test_inputs.json", ts_shared("models"));
    g.inputs = ts_load_json(path);
    snprintf(path, sizeof path, "%s/bc_xgb/expected.json", ts_shared("models"));
    g.expected = ts_load_json(path);
    const char *args[] = {"--repo",         repo, "--state", st, "--body-limit", BODY_LIMIT,
                          "--idle-timeout", "1",  NULL};
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
    json_decref(g.inputs);
    json_decref(g.expected);
    ts_rmtree(g.tmp);
    free(g.tmp);
    return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------------------------ */
/* JSON                                                                                         */
/* ------------------------------------------------------------------------------------------ */

static void test_malformed_json(void **state)
{
    (void)state;
    const char *const needles[] = {"malformed JSON", "line 1", "column", NULL};
    expect_infer_error("{\"inputs\": [ {\"name\": \"input\",, } ]}", 400, needles);
    expect_infer_error("not json at all", 400, needles);
    const char *const not_object[] = {"JSON object", NULL};
    expect_infer_error("[1, 2, 3]", 400, not_object);
}

static void test_truncated_json(void **state)
{
    (void)state;
    char *body = good_request();
    const char *const needles[] = {"malformed JSON", NULL};
    expect_error("/v2/models/bc_xgb/infer", json_ct, body, strlen(body) / 2, 400, needles);
    expect_error("/v2/models/bc_xgb/infer", json_ct, body, strlen(body) - 1, 400, needles);
    expect_error("/v2/models/bc_xgb/infer", json_ct, "", 0, 400, needles);
    free(body);
}

/* ------------------------------------------------------------------------------------------ */
/* Tensors                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void test_wrong_datatype(void **state)
{
    (void)state;
    char ints[256] = "[";
    for (int i = 0; i < 30; i++)
        snprintf(ints + strlen(ints), sizeof ints - strlen(ints), "%s%d", i ? "," : "", i);
    strcat(ints, "]");
    char *body = request("input", "INT32", "[1,30]", ints);
    const char *const int32[] = {"'input'", "INT32", "FP32", NULL};
    expect_infer_error(body, 400, int32);
    free(body);

    char strings[512] = "[";
    for (int i = 0; i < 30; i++)
        strcat(strings, i ? ",\"x\"" : "\"x\"");
    strcat(strings, "]");
    body = request("input", "BYTES", "[1,30]", strings);
    const char *const bytes[] = {"'input'", "BYTES", "FP32", NULL};
    expect_infer_error(body, 400, bytes);
    free(body);

    /* A string where a number belongs, named by its position. */
    char *row = row_text(29);
    char mixed[1024];
    snprintf(mixed, sizeof mixed, "[%.*s,\"abc\"]", (int)strlen(row) - 2, row + 1);
    free(row);
    body = request("input", "FP32", "[1,30]", mixed);
    const char *const element[] = {"'input'", "element 29", "not a number", NULL};
    expect_infer_error(body, 400, element);
    free(body);

    body = request("input", "FLOAT", "[1,30]", ints);
    const char *const unknown[] = {"'input'", "unknown datatype 'FLOAT'", NULL};
    expect_infer_error(body, 400, unknown);
    free(body);
}

static void test_fp16_in_json(void **state)
{
    (void)state;
    char *row = row_text(30);
    const char *types[] = {"FP16", "BF16"};
    for (int i = 0; i < 2; i++) {
        char *body = request("input", types[i], "[1,30]", row);
        const char *const needles[] = {"'input'", types[i], "binary", NULL};
        expect_infer_error(body, 400, needles);
        free(body);
    }
    free(row);
}

static void test_shape_data_mismatch(void **state)
{
    (void)state;
    char *row = row_text(29);
    char *body = request("input", "FP32", "[1,30]", row);
    const char *const fewer[] = {"'input'", "[1,30]", "30 elements", "data has 29", NULL};
    expect_infer_error(body, 400, fewer);
    free(body);
    free(row);

    row = row_text(31);
    body = request("input", "FP32", "[1,30]", row);
    const char *const more[] = {"'input'", "more than the 30 elements", NULL};
    expect_infer_error(body, 400, more);
    free(body);
    free(row);

    row = row_text(30);
    body = request("input", "FP32", "[1,-30]", row);
    const char *const negative[] = {"'input'", "shape dimension 1", NULL};
    expect_infer_error(body, 400, negative);
    free(body);
    free(row);
}

static void test_wrong_feature_count(void **state)
{
    (void)state;
    char *row = row_text(29);
    char *body = request("input", "FP32", "[1,29]", row);
    const char *const needles[] = {"'bc_xgb'", "'input'", "29 features", "expects 30", NULL};
    expect_infer_error(body, 400, needles);
    free(body);
    free(row);

    /* A 1-D tensor instead of [N, F]. */
    row = row_text(30);
    body = request("input", "FP32", "[30]", row);
    const char *const rank[] = {"'input'", "shape [30]", "[-1,30]", NULL};
    expect_infer_error(body, 400, rank);
    free(body);
    free(row);
}

static void test_unknown_input_name(void **state)
{
    (void)state;
    char *row = row_text(30);
    char *body = request("features", "FP32", "[1,30]", row);
    const char *const needles[] = {"no input 'features'", "'input'", NULL};
    expect_infer_error(body, 400, needles);
    free(body);
    free(row);
}

static void test_missing_input(void **state)
{
    (void)state;
    const char *const needles[] = {"'inputs'", NULL};
    expect_infer_error("{\"inputs\":[]}", 400, needles);
    expect_infer_error("{\"id\":\"x\"}", 400, needles);
    expect_infer_error("{\"inputs\":{}}", 400, needles);
    const char *const no_data[] = {"'input'", "'data'", NULL};
    expect_infer_error("{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,30]}]}",
                       400, no_data);
}

static void test_extra_input(void **state)
{
    (void)state;
    char *row = row_text(30);
    char *body = format("{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,30],"
                        "\"data\":%s},{\"name\":\"extra\",\"datatype\":\"FP32\",\"shape\":[1],"
                        "\"data\":[1]}]}",
                        row);
    const char *const needles[] = {"'extra'", NULL};
    expect_infer_error(body, 400, needles);
    free(body);

    /* The same input twice. */
    body = format("{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,30],"
                  "\"data\":%s},{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,30],"
                  "\"data\":%s}]}",
                  row, row);
    const char *const twice[] = {"'input'", "twice", NULL};
    expect_infer_error(body, 400, twice);
    free(body);
    free(row);
}

static void test_nan_and_infinity_accepted(void **state)
{
    (void)state;
    /* docs/api.md: null and "NaN" read as NaN (a missing value for XGBoost), "Infinity" as inf. */
    char *row = row_text(27);
    char data[1024];
    snprintf(data, sizeof data, "[%.*s,null,\"NaN\",\"Infinity\"]", (int)strlen(row) - 2, row + 1);
    free(row);
    char *body = request("input", "FP32", "[1,30]", data);
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "POST", "/v2/models/bc_xgb/infer", json_ct, body,
                               strlen(body), &resp));
    free(body);
    assert_int_equal(resp.status, 200);
    json_t *doc = ts_response_json(&resp);
    json_t *value = json_array_get(
        json_object_get(json_array_get(json_object_get(doc, "outputs"), 0), "data"), 0);
    assert_true(json_is_number(value));
    json_decref(doc);
    ts_response_free(&resp);
}

/* ------------------------------------------------------------------------------------------ */
/* Addressing and HTTP                                                                          */
/* ------------------------------------------------------------------------------------------ */

static void test_unknown_model_and_version(void **state)
{
    (void)state;
    char *body = good_request();
    const char *const model[] = {"'no_such_model'", NULL};
    expect_error("/v2/models/no_such_model/infer", json_ct, body, strlen(body), 404, model);
    const char *const version[] = {"'bc_xgb'", "'42'", NULL};
    expect_error("/v2/models/bc_xgb/versions/42/infer", json_ct, body, strlen(body), 404, version);
    free(body);
}

static void test_body_over_limit(void **state)
{
    (void)state;
    /* Valid JSON, just too big: 200 rows. */
    char *row = row_text(30 * 200);
    char *body = request("input", "FP32", "[200,30]", row);
    free(row);
    assert_true(strlen(body) > 4096);
    const char *const needles[] = {"limit", BODY_LIMIT, NULL};
    expect_error("/v2/models/bc_xgb/infer", json_ct, body, strlen(body), 413, needles);

    /* The same body sent chunked (no Content-Length to refuse it up front). */
    int fd = ts_connect(g.srv.port);
    assert_true(fd >= 0);
    const char head[] = "POST /v2/models/bc_xgb/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Connection: close\r\nContent-Type: application/json\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n";
    assert_true(ts_send_all(fd, head, strlen(head)));
    size_t len = strlen(body);
    for (size_t off = 0; off < len; off += 1000) {
        size_t n = len - off < 1000 ? len - off : 1000;
        char size_line[32];
        snprintf(size_line, sizeof size_line, "%zx\r\n", n);
        assert_true(ts_send_all(fd, size_line, strlen(size_line)));
        assert_true(ts_send_all(fd, body + off, n));
        assert_true(ts_send_all(fd, "\r\n", 2));
    }
    assert_true(ts_send_all(fd, "0\r\n\r\n", 5));
    ts_response resp;
    assert_true(ts_read_response(fd, &resp));
    close(fd);
    assert_int_equal(resp.status, 413);
    ts_response_free(&resp);
    free(body);
    assert_still_serving();

    /* Just under the limit is fine. */
    row = row_text(30 * 3);
    body = request("input", "FP32", "[3,30]", row);
    free(row);
    assert_true(strlen(body) < 4096);
    assert_true(ts_server_http(&g.srv, "POST", "/v2/models/bc_xgb/infer", json_ct, body,
                               strlen(body), &resp));
    assert_int_equal(resp.status, 200);
    ts_response_free(&resp);
    free(body);
}

static void test_content_types(void **state)
{
    (void)state;
    char *body = good_request();
    const char *const text[] = {"text/plain", "application/json", NULL};
    expect_error("/v2/models/bc_xgb/infer", "Content-Type: text/plain\r\n", body, strlen(body), 415,
                 text);
    const char *const form[] = {"application/x-www-form-urlencoded", NULL};
    expect_error("/v2/models/bc_xgb/infer", "Content-Type: application/x-www-form-urlencoded\r\n",
                 body, strlen(body), 415, form);

    const char *accepted[] = {NULL, "Content-Type: application/json; charset=utf-8\r\n",
                              "Content-Type: Application/JSON\r\n"};
    for (int i = 0; i < 3; i++) {
        ts_response resp;
        assert_true(ts_server_http(&g.srv, "POST", "/v2/models/bc_xgb/infer", accepted[i], body,
                                   strlen(body), &resp));
        if (resp.status != 200)
            fprintf(stderr, "test: %s: %d %s\n", accepted[i] ? accepted[i] : "(no type)",
                    resp.status, resp.body);
        assert_int_equal(resp.status, 200);
        ts_response_free(&resp);
    }
    free(body);
}

/* ------------------------------------------------------------------------------------------ */
/* Timeouts                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static void test_idle_connection_closed(void **state)
{
    (void)state;
    int fd = ts_connect(g.srv.port);
    assert_true(fd >= 0);
    int ms = ts_wait_closed(fd, 5000);
    close(fd);
    if (ms < 0)
        fprintf(stderr, "test: an idle connection was still open after 5 s\n");
    assert_true(ms >= 0);
    assert_true(ms >= 500); /* closed by the 1 s timeout, not at once */
    assert_still_serving();
}

static void test_stalled_clients_closed(void **state)
{
    (void)state;
    const char *halves[] = {
        /* half of the request line */
        "POST /v2/models/bc_xgb/inf",
        /* headers without their end */
        "POST /v2/models/bc_xgb/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: applic",
        /* complete headers, half the body */
        "POST /v2/models/bc_xgb/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nContent-Length: 600\r\n\r\n{\"inputs\":[{\"name\":",
    };
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = ts_connect(g.srv.port);
        assert_true(fds[i] >= 0);
        assert_true(ts_send_all(fds[i], halves[i], strlen(halves[i])));
    }
    /* While they stall, others are served. */
    assert_still_serving();
    for (int i = 0; i < 3; i++) {
        int ms = ts_wait_closed(fds[i], 5000);
        close(fds[i]);
        if (ms < 0)
            fprintf(stderr, "test: stalled client %d was still connected after 5 s\n", i);
        assert_true(ms >= 0);
    }
    assert_still_serving();
}

static void test_still_serving_at_the_end(void **state)
{
    (void)state;
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", "/v2/health/ready", NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    ts_response_free(&resp);
    assert_true(ts_server_http(&g.srv, "GET", "/v2/health/live", NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    ts_response_free(&resp);
    assert_still_serving();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_truncated_json),
        cmocka_unit_test(test_wrong_datatype),
        cmocka_unit_test(test_fp16_in_json),
        cmocka_unit_test(test_shape_data_mismatch),
        cmocka_unit_test(test_wrong_feature_count),
        cmocka_unit_test(test_unknown_input_name),
        cmocka_unit_test(test_missing_input),
        cmocka_unit_test(test_extra_input),
        cmocka_unit_test(test_nan_and_infinity_accepted),
        cmocka_unit_test(test_unknown_model_and_version),
        cmocka_unit_test(test_body_over_limit),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_idle_connection_closed),
        cmocka_unit_test(test_stalled_clients_closed),
        cmocka_unit_test(test_still_serving_at_the_end),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
