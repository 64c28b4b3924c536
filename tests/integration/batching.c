/* The scheduler on a real `ferry serve`: many concurrent REST requests of mixed batch sizes each
 * get exactly their own rows back from a batching model (a chain of identity MatMuls, slow enough
 * to queue, whose output equals its input so that any mixing shows), a full queue answers 503 with
 * Retry-After, a request whose `timeout` passes in the queue answers 504 and never runs, clients
 * that disconnect while queued are dropped without running, the statistics agree with what was
 * sent, and concurrent keep-alive connections spread over the HTTP worker threads. */
#define _GNU_SOURCE /* strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "onnx_model.h"
#include "test_support.h"

#define WIDTH              512
#define LAYERS             12
#define CLIENTS            48
#define WORKERS            4 /* --http-threads */
#define KEEP_ALIVE_CLIENTS 8

static struct {
    char *tmp;
    ts_server srv;
} g;

static void add_model(const char *repo, const char *name, const char *yaml)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s/1/model.onnx", repo, name);
    ts_onnx_write_slow_identity(path, WIDTH, LAYERS);
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
    add_model(repo, "gone", "instances: 1\n");
    snprintf(st, sizeof st, "%s/state", g.tmp);
    const char *args[] = {"--repo", repo, "--state", st, "--threads", "4", NULL};
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

/* A request of `rows` rows in the binary tensor extension (no JSON to parse: it starts running
 * soon after it is sent), answered with its output as a binary blob too. */
static char *build_binary_request(const char *model, int rows, size_t *len)
{
    size_t blob = (size_t)rows * WIDTH * sizeof(float);
    char header[512];
    int hl = snprintf(header, sizeof header,
                      "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[%d,%d],"
                      "\"parameters\":{\"binary_data_size\":%zu}}],\"parameters\":"
                      "{\"binary_data_output\":true}}",
                      rows, WIDTH, blob);
    char *req = malloc(blob + 1024);
    assert_non_null(req);
    int n = snprintf(req, 1024,
                     "POST /v2/models/%s/infer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     "Content-Type: application/octet-stream\r\n"
                     "Inference-Header-Content-Length: %d\r\nContent-Length: %zu\r\n\r\n%s",
                     model, hl, (size_t)hl + blob, header);
    float *x = (float *)(req + n);
    for (size_t i = 0; i < (size_t)rows * WIDTH; i++)
        memcpy(&x[i], &(float){(float)(i % 1000)}, sizeof(float));
    *len = (size_t)n + blob;
    return req;
}

/* The value of the /metrics line that starts with `series` (-1 when absent). */
static double metric_value(const char *series)
{
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", "/metrics", NULL, NULL, 0, &resp));
    const char *at = strstr(resp.body, series);
    double v = at != NULL ? strtod(at + strlen(series), NULL) : -1;
    ts_response_free(&resp);
    return v;
}

#define GONE_CLIENTS 5

/* Clients that disconnect while their requests wait behind a long one are dropped from the queue
 * without running, counted as client_gone, and the server goes on serving. */
/* Status of a one-row request to `gone` with a 1 µs queue timeout: 504 while an instance is busy.
 */
static int probe_gone(void)
{
    size_t len;
    char *req = build_request("gone", 0, 1, "\"parameters\":{\"timeout\":1},", &len);
    int fd = ts_connect(g.srv.port);
    assert_true(fd >= 0 && ts_send_all(fd, req, len));
    free(req);
    ts_response resp;
    time_t t0 = time(NULL);
    if (!ts_read_response(fd, &resp)) {
        int e = errno;
        ts_server_read_log(&g.srv);
        fprintf(stderr, "probe: no response after %lds (%s); server warnings:\n",
                (long)(time(NULL) - t0), strerror(e));
        for (const char *l = g.srv.log; l != NULL && *l != '\0';
             l = strchr(l, '\n'), l += l != NULL)
            if (strncmp(l, "{\"ts\"", 5) == 0 && strncmp(l + 33, "\"level\":\"info\"", 14) != 0)
                fprintf(stderr, "%.*s\n", (int)strcspn(l, "\n"), l);
        fail();
    }
    close(fd);
    int status = resp.status;
    ts_response_free(&resp);
    return status;
}

/* Clients that disconnect while their requests wait behind a long one are dropped from the queue
 * without running, counted as client_gone, and the server goes on serving. */
static void test_client_gone(void **state)
{
    (void)state;
    size_t len;
    char *req = build_binary_request("gone", 2048, &len); /* about a second on one instance */
    int blocker = ts_connect(g.srv.port);
    assert_true(blocker >= 0);
    assert_true(ts_send_all(blocker, req, len));
    free(req);
    int probe = 200;
    for (int i = 0; i < 5000 && probe == 200; i++)
        probe = probe_gone(); /* until the blocker runs */
    assert_int_equal(probe, 504);
    json_t *before = model_stats("gone");
    const char *gone =
        "ferry_requests_rejected_total{model=\"gone\",version=\"1\",reason=\"client_gone\"} ";
    double gone_before = metric_value(gone) < 0 ? 0 : metric_value(gone); /* -1: none yet */
    int fds[GONE_CLIENTS];
    char *reqs[GONE_CLIENTS];
    size_t lens[GONE_CLIENTS];
    for (int r = 0; r < GONE_CLIENTS; r++)
        reqs[r] = build_request("gone", r + 1, 1, "", &lens[r]);
    const char *depth = "ferry_queue_depth{model=\"gone\",version=\"1\"} ";
    /* The gauge counts requests waiting in the queue (the running blocker no longer does);
     * counted from a baseline all the same, so that the wait below needs all five. */
    double depth_before = metric_value(depth) < 0 ? 0 : metric_value(depth);
    send_all(reqs, lens, GONE_CLIENTS, fds);
    for (int i = 0; i < 2000 && metric_value(depth) - depth_before < GONE_CLIENTS; i++)
        usleep(1000);
    assert_int_equal((int)(metric_value(depth) - depth_before), GONE_CLIENTS); /* all queued */
    for (int r = 0; r < GONE_CLIENTS; r++)
        close(fds[r]);
    ts_response resp;
    assert_true(ts_read_response(blocker, &resp));
    close(blocker);
    assert_int_equal(resp.status, 200);
    ts_response_free(&resp);
    for (int i = 0; i < 2000 && metric_value(gone) - gone_before < GONE_CLIENTS; i++)
        usleep(1000);
    double dropped = metric_value(gone) - gone_before;
    ts_server_read_log(&g.srv);
    if ((int)dropped != GONE_CLIENTS)
        fail_msg("%.0f requests dropped as client_gone (%.0f before), want %d; server log:\n%s",
                 dropped, gone_before, GONE_CLIENTS, g.srv.log != NULL ? g.srv.log : "");
    assert_int_equal((int)metric_value(depth), 0);
    req = build_request("gone", 9, 2, "", &len); /* still serving */
    int fd = ts_connect(g.srv.port);
    assert_true(fd >= 0 && ts_send_all(fd, req, len));
    free(req);
    assert_true(ts_read_response(fd, &resp));
    close(fd);
    assert_int_equal(resp.status, 200);
    check_rows(&resp, 9, 2);
    ts_response_free(&resp);
    json_t *after = model_stats("gone");
    json_int_t runs = json_integer_value(json_object_get(after, "execution_count")) -
                      json_integer_value(json_object_get(before, "execution_count"));
    assert_int_equal(runs, 2); /* the blocker and the last request; none of the gone ones */
    json_decref(before);
    json_decref(after);
}

/* Connections handed to each HTTP worker so far (ferry_http_connections_total{worker}). */
static void worker_connections(double counts[WORKERS])
{
    for (int w = 0; w < WORKERS; w++) {
        char series[80];
        snprintf(series, sizeof series, "ferry_http_connections_total{worker=\"%d\"} ", w);
        counts[w] = metric_value(series);
        assert_true(counts[w] >= 0);
    }
}

/* The status of one keep-alive response read from fd. */
static int read_keep_alive(int fd)
{
    ts_response resp;
    ts_read_framed_response(fd, &resp);
    int status = resp.status;
    ts_response_free(&resp);
    return status;
}

/* Eight keep-alive connections open at once, each answered before the next connects, land on more
 * than one worker (the acceptor hands each to the least-loaded one). Counted from a baseline, so
 * the connections of the tests before do not matter. */
static void test_keep_alive_spread(void **state)
{
    (void)state;
    double before[WORKERS], after[WORKERS];
    worker_connections(before);
    int fds[KEEP_ALIVE_CLIENTS];
    const char *req = "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int c = 0; c < KEEP_ALIVE_CLIENTS; c++) {
        fds[c] = ts_connect(g.srv.port);
        assert_true(fds[c] >= 0);
        for (int r = 0; r < 3; r++) {
            assert_true(ts_send_all(fds[c], req, strlen(req)));
            assert_int_equal(read_keep_alive(fds[c]), 200);
        }
    }
    worker_connections(after);
    int used = 0;
    double total = 0, most = 0;
    for (int w = 0; w < WORKERS; w++) {
        double d = after[w] - before[w];
        fprintf(stderr, "test: worker %d: %.0f connection(s)\n", w, d);
        used += d > 0;
        total += d;
        most = d > most ? d : most;
    }
    for (int c = 0; c < KEEP_ALIVE_CLIENTS; c++)
        close(fds[c]);
    assert_true(total >= KEEP_ALIVE_CLIENTS); /* and the metrics scrapes */
    assert_true(used > 1);
    assert_true(most < KEEP_ALIVE_CLIENTS); /* no worker took them all */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_mixed_batches), cmocka_unit_test(test_queue_full),
        cmocka_unit_test(test_timeout_in_queue),         cmocka_unit_test(test_client_gone),
        cmocka_unit_test(test_keep_alive_spread),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
