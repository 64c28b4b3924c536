/* The scheduler on a real `ferry serve`: many concurrent REST requests of mixed batch sizes each
 * get exactly their own rows back from a batching model (a chain of identity MatMuls, slow enough
 * to queue, whose output equals its input so that any mixing shows), a full queue answers 503 with
 * Retry-After, a request whose `timeout` passes in the queue answers 504 and never runs, and the
 * statistics agree with what was sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnx_model.h"
#include "test_support.h"

#define WIDTH   512
#define LAYERS  12
#define CLIENTS 48

static struct {
    char *tmp;
    ts_server srv;
} g;

/* y = x * I * I ... (LAYERS times): slow enough to queue behind, exact in FP32. */
static void write_slow_identity(const char *path)
{
    ts_write_file(path, ""); /* creates the folders */
    float *eye = calloc(WIDTH * WIDTH, sizeof *eye);
    assert_non_null(eye);
    for (int i = 0; i < WIDTH; i++)
        eye[i * WIDTH + i] = 1.0f;
    ts_onnx_model *b = ts_onnx_create(13);
    int64_t in_shape[2] = {-1, WIDTH}, w_shape[2] = {WIDTH, WIDTH};
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, in_shape);
    ts_onnx_initializer(b, "eye", FERRY_DTYPE_FP32, 2, w_shape, eye);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, in_shape);
    char prev[16] = "x", next[16], edges[64];
    for (int l = 0; l < LAYERS; l++) {
        snprintf(next, sizeof next, l == LAYERS - 1 ? "y" : "h%d", l);
        snprintf(edges, sizeof edges, "%s,eye", prev);
        ts_onnx_node(b, "MatMul", edges, next);
        snprintf(prev, sizeof prev, "%s", next);
    }
    ts_onnx_write(b, path);
    ts_onnx_destroy(b);
    free(eye);
}

static void add_model(const char *repo, const char *name, const char *yaml)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s/1/model.onnx", repo, name);
    write_slow_identity(path);
    snprintf(path, sizeof path, "%s/%s/model.yaml", repo, name);
    ts_write_file(path, yaml);
}

static int group_setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    char repo[4096], st[4200];
    snprintf(repo, sizeof repo, "%s/models", g.tmp);
    add_model(repo, "batched",
              "instances: 1\nbatching:\n  max_batch_size: 32\n  max_queue_delay_us: 2000\n");
    add_model(repo, "narrow", "instances: 1\nbatching:\n  max_queue_size: 1\n");
    snprintf(st, sizeof st, "%s/state", g.tmp);
    const char *args[] = {"--repo", repo, "--state", st, NULL};
    bool ok = ts_server_start(&g.srv, args);
    if (!ok)
        fprintf(stderr, "test: server did not start:\n%s\n", g.srv.log ? g.srv.log : "");
    assert_true(ok);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    assert_int_equal(ts_server_stop(&g.srv), 0);
    ts_rmtree(g.tmp);
    free(g.tmp);
    return 0;
}

/* Value of request r, row i, column j: unique across the test. */
static float cell(int r, int i, int j)
{
    return (float)(r * 100000 + i * 1000 + j);
}

/* A whole HTTP request of `rows` rows for client r (malloc'ed; length in *len). */
static char *build_request(const char *model, int r, int rows, const char *params, size_t *len)
{
    size_t cap = (size_t)rows * WIDTH * 16 + 1024;
    char *body = malloc(cap), *req = malloc(cap + 512);
    assert_non_null(body);
    assert_non_null(req);
    size_t n =
        (size_t)snprintf(body, cap,
                         "{%s\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[%d,%d],"
                         "\"data\":[",
                         params, rows, WIDTH);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < WIDTH; j++)
            n += (size_t)snprintf(body + n, cap - n, "%s%.0f", i + j ? "," : "", cell(r, i, j));
    n += (size_t)snprintf(body + n, cap - n, "]}]}");
    int hn = snprintf(req, 512,
                      "POST /v2/models/%s/infer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                      model, n);
    memcpy(req + hn, body, n);
    free(body);
    *len = (size_t)hn + n;
    return req;
}

/* Sends every request (built beforehand, so that they arrive close together); returns the fds. */
static void send_all(char **reqs, const size_t *lens, int n, int *fds)
{
    for (int r = 0; r < n; r++) {
        fds[r] = ts_connect(g.srv.port);
        assert_true(fds[r] >= 0);
        assert_true(ts_send_all(fds[r], reqs[r], lens[r]));
        free(reqs[r]);
    }
}

static void check_rows(const ts_response *resp, int r, int rows)
{
    json_t *doc = ts_response_json(resp);
    json_t *out = json_array_get(json_object_get(doc, "outputs"), 0);
    json_t *data = json_object_get(out, "data");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(out, "shape"), 0)), rows);
    assert_int_equal(json_array_size(data), (size_t)rows * WIDTH);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < WIDTH; j++) {
            double v = json_number_value(json_array_get(data, (size_t)(i * WIDTH + j)));
            if (v != cell(r, i, j))
                fail_msg("request %d row %d column %d: got %.0f, want %.0f", r, i, j, v,
                         cell(r, i, j));
        }
    json_decref(doc);
}

static json_t *model_stats(const char *model)
{
    char path[256];
    snprintf(path, sizeof path, "/v2/models/%s/stats", model);
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", path, NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    json_t *doc = ts_response_json(&resp);
    ts_response_free(&resp);
    json_t *s = json_incref(json_array_get(json_object_get(doc, "model_stats"), 0));
    json_decref(doc);
    return s;
}

static json_int_t stat_count(json_t *s, const char *what)
{
    return json_integer_value(
        json_object_get(json_object_get(json_object_get(s, "inference_stats"), what), "count"));
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* The /metrics page holds `needle`. */
static void assert_metric(const char *needle)
{
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", "/metrics", NULL, NULL, 0, &resp));
    if (strstr(resp.body, needle) == NULL)
        fail_msg("no %s in /metrics", needle);
    ts_response_free(&resp);
}

static void test_concurrent_mixed_batches(void **state)
{
    (void)state;
    int fds[CLIENTS], rows[CLIENTS], total = 0;
    char *reqs[CLIENTS];
    size_t lens[CLIENTS];
    for (int r = 0; r < CLIENTS; r++) {
        rows[r] = 1 + r % 4;
        total += rows[r];
        reqs[r] = build_request("batched", r, rows[r], "", &lens[r]);
    }
    send_all(reqs, lens, CLIENTS, fds);
    for (int r = 0; r < CLIENTS; r++) {
        ts_response resp;
        assert_true(ts_read_response(fds[r], &resp));
        close(fds[r]);
        if (resp.status != 200)
            fail_msg("request %d: status %d: %s", r, resp.status, resp.body);
        check_rows(&resp, r, rows[r]);
        ts_response_free(&resp);
    }
    json_t *s = model_stats("batched");
    assert_int_equal(stat_count(s, "success"), CLIENTS);
    assert_int_equal(json_integer_value(json_object_get(s, "inference_count")), total);
    json_int_t executions = json_integer_value(json_object_get(s, "execution_count"));
    fprintf(stderr, "test: %d requests ran in %lld executions\n", CLIENTS, (long long)executions);
    assert_true(executions >= 1 && executions < CLIENTS); /* some ran together */
    json_decref(s);
    assert_metric("ferry_batch_size_bucket{model=\"batched\",version=\"1\",le=\"+Inf\"} 48");
    assert_metric("ferry_queue_duration_seconds_count{model=\"batched\",version=\"1\"} 48");
    assert_metric("ferry_queue_depth{model=\"batched\",version=\"1\"} 0");
}

/* Sends CLIENTS requests to the one-instance, one-slot `narrow` model at once, with `params`;
 * counts the answers by status. */
static void flood_narrow(const char *params, int *ok, int *busy, int *late)
{
    int fds[CLIENTS];
    char *reqs[CLIENTS];
    size_t lens[CLIENTS];
    *ok = *busy = *late = 0;
    for (int r = 0; r < CLIENTS; r++)
        reqs[r] = build_request("narrow", r, 4, params, &lens[r]);
    send_all(reqs, lens, CLIENTS, fds);
    for (int r = 0; r < CLIENTS; r++) {
        ts_response resp;
        assert_true(ts_read_response(fds[r], &resp));
        close(fds[r]);
        char retry[32];
        if (resp.status == 200) {
            check_rows(&resp, r, 4);
            (*ok)++;
        } else if (resp.status == 503) {
            assert_non_null(ts_header(&resp, "Retry-After", retry, sizeof retry));
            assert_non_null(strstr(resp.body, "queue is full"));
            (*busy)++;
        } else if (resp.status == 504) {
            assert_non_null(strstr(resp.body, "timed out"));
            (*late)++;
        } else {
            fail_msg("request %d: status %d: %s", r, resp.status, resp.body);
        }
        ts_response_free(&resp);
    }
}

/* One flood of `narrow`: the statistics must show that only the answered requests ran. */
static void flood_checked(const char *params, int *ok, int *busy, int *late)
{
    json_t *before = model_stats("narrow");
    flood_narrow(params, ok, busy, late);
    json_t *after = model_stats("narrow");
    json_int_t runs = json_integer_value(json_object_get(after, "execution_count")) -
                      json_integer_value(json_object_get(before, "execution_count"));
    fprintf(stderr, "test: %s: %d ok, %d refused, %d timed out, %lld runs\n", params, *ok, *busy,
            *late, (long long)runs);
    assert_true(*ok >= 1);
    assert_int_equal(runs, *ok); /* the refused and timed-out ones never ran */
    assert_int_equal(stat_count(after, "fail") - stat_count(before, "fail"), *busy + *late);
    json_decref(before);
    json_decref(after);
}

/* Floods until a refusal shows (the machine may be fast enough to serve a flood in order). */
static void test_queue_full(void **state)
{
    (void)state;
    int ok, busy = 0, late;
    for (int round = 0; round < 8 && busy == 0; round++) {
        flood_checked("", &ok, &busy, &late);
        assert_int_equal(late, 0);
    }
    assert_true(busy >= 1);
    assert_metric(
        "ferry_requests_rejected_total{model=\"narrow\",version=\"1\",reason=\"queue_full\"}");
}

/* A timeout of 1 µs passes in the queue: such requests answer 504 and never run. */
static void test_timeout_in_queue(void **state)
{
    (void)state;
    int ok, busy, late = 0;
    for (int round = 0; round < 8 && late == 0; round++)
        flood_checked("\"parameters\":{\"timeout\":1},", &ok, &busy, &late);
    assert_true(late >= 1);
    assert_metric(
        "ferry_requests_rejected_total{model=\"narrow\",version=\"1\",reason=\"timeout\"}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_mixed_batches),
        cmocka_unit_test(test_queue_full),
        cmocka_unit_test(test_timeout_in_queue),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
