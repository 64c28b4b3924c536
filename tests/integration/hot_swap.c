/* Hot swap under load: 64 keep-alive connections (8 threads x 8 connections, each thread keeping
 * all of its connections busy at once) drive inference requests at a real `ferry serve` for 10 s
 * while the test deploys and rolls back 20 times between two versions with `ferry deploy` and
 * `ferry rollback` (a second test writes model.yaml itself, as a git checkout does). The versions
 * (bc_xgb and the example breast-cancer model: same 30 features, different trees) give different
 * outputs for the request, so every response must be a 200 whose outputs are those of the
 * `model_version` it names; both versions must be seen many times, and every flip must have been
 * applied. */
#define _GNU_SOURCE /* strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ferry/ferry.h"
#include "test_support.h"

#define CLIENT_THREADS     8
#define CONNS_PER_THREAD   8
#define FLIPS              20
#define FLIP_INTERVAL_MS   500
#define LOAD_DURATION_MS   10000
#define RESPONSE_MAX_BYTES 65536

static struct {
    char *tmp;
    char repo[4200];
    char *body;    /* the inference request: one row */
    char *request; /* the whole HTTP request */
    size_t request_len;
    double expected[3]; /* output per version (1 and 2) */
    ts_server srv;
    atomic_bool stop;
    atomic_bool stop_drain;
    size_t swaps;       /* "serves the model now" lines seen in the server's log */
    size_t error_lines; /* error lines and sanitizer reports seen in it */
    char first_error_line[512];
} g;

typedef struct client {
    pthread_t thread;
    long by_version[3];
    long bad; /* non-200, unparsable, or outputs of another version than named */
    long reconnects;
    long switches; /* responses whose version differs from the thread's previous response */
    int last_version;
    char first_error[512];
} client;

/* ------------------------------------------------------------------------------------------ */
/* Expected outputs, computed in process with the embedding API                                 */
/* ------------------------------------------------------------------------------------------ */

static double predict(const char *artifact, const float *row)
{
    ferry_model *model = NULL;
    ferry_error err;
    if (ferry_model_open(artifact, &model, &err) != FERRY_OK)
        fail_msg("%s", err.message);
    ferry_tensor input = {.name = "input",
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 2,
                          .shape = {1, 30},
                          .data = (void *)row,
                          .nbytes = 30 * sizeof(float)};
    ferry_tensor out[1];
    assert_int_equal(ferry_model_infer(model, &input, 1, out, 1, &err), FERRY_OK);
    double value = ((const float *)out[0].data)[0];
    ferry_tensor_release(&out[0]);
    ferry_model_close(model);
    return value;
}

/* Reads the request's row and each version's output for it. */
static void compute_expected(const char *v1, const char *v2)
{
    json_t *doc = json_loads(g.body, 0, NULL);
    assert_non_null(doc);
    json_t *data = json_object_get(json_array_get(json_object_get(doc, "inputs"), 0), "data");
    assert_int_equal(json_array_size(data), 30);
    float row[30];
    for (size_t i = 0; i < 30; i++)
        row[i] = (float)json_number_value(json_array_get(data, i));
    json_decref(doc);
    g.expected[1] = predict(v1, row);
    g.expected[2] = predict(v2, row);
    /* The test means something only if the versions disagree well beyond rounding. */
    assert_true(fabs(g.expected[1] - g.expected[2]) > 1e-3 * fabs(g.expected[1]));
}

/* ------------------------------------------------------------------------------------------ */
/* A keep-alive HTTP/1.1 client                                                                 */
/* ------------------------------------------------------------------------------------------ */

typedef struct conn {
    int fd;
    char buf[RESPONSE_MAX_BYTES];
    size_t len;
} conn;

static bool conn_open(conn *c)
{
    c->len = 0;
    c->fd = ts_connect(g.srv.port);
    if (c->fd < 0)
        return false;
    struct timeval tv = {.tv_sec = 10};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return true;
}

/* Reads one response; returns the body (NUL-terminated inside c->buf) and its status, or NULL
 * when the connection failed. */
static const char *conn_read(conn *c, int *status)
{
    for (;;) {
        c->buf[c->len] = '\0';
        char *end = strstr(c->buf, "\r\n\r\n");
        const char *cl = end ? strcasestr(c->buf, "\r\nContent-Length:") : NULL;
        if (end != NULL && cl != NULL && cl < end) {
            size_t body_len = (size_t)atol(cl + 17), head_len = (size_t)(end + 4 - c->buf);
            if (head_len + body_len >= sizeof c->buf)
                return NULL;
            if (c->len >= head_len + body_len) {
                *status = atoi(c->buf + 9);
                memmove(c->buf, end + 4, body_len);
                c->buf[body_len] = '\0';
                c->len = 0; /* one request in flight per connection: nothing follows */
                return c->buf;
            }
        }
        if (c->len + 1 >= sizeof c->buf)
            return NULL;
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);
        if (n <= 0)
            return NULL;
        c->len += (size_t)n;
    }
}

/* Checks one response body: a 200 whose output is the named version's. */
static void check_response(client *cl, int status, const char *body)
{
    json_t *doc = status == 200 ? json_loads(body, 0, NULL) : NULL;
    const char *v = json_string_value(json_object_get(doc, "model_version"));
    json_t *out = json_array_get(json_object_get(doc, "outputs"), 0);
    double value = json_number_value(json_array_get(json_object_get(out, "data"), 0));
    int version = v != NULL ? atoi(v) : 0;
    bool ok = (version == 1 || version == 2) && ts_close(value, g.expected[version]);
    if (ok) {
        cl->by_version[version]++;
        cl->switches += cl->last_version != 0 && cl->last_version != version;
        cl->last_version = version;
    } else {
        if (cl->bad++ == 0)
            snprintf(cl->first_error, sizeof cl->first_error, "status %d: %.400s", status, body);
    }
    json_decref(doc);
}

static void *client_main(void *arg)
{
    client *cl = arg;
    conn *conns = calloc(CONNS_PER_THREAD, sizeof *conns);
    assert_non_null(conns);
    for (int i = 0; i < CONNS_PER_THREAD; i++)
        conns[i].fd = -1;
    while (!atomic_load(&g.stop)) {
        for (int i = 0; i < CONNS_PER_THREAD; i++) { /* all eight in flight at once */
            if (conns[i].fd < 0 && !conn_open(&conns[i]))
                continue;
            if (!ts_send_all(conns[i].fd, g.request, g.request_len)) {
                close(conns[i].fd);
                conns[i].fd = -1;
                cl->reconnects++;
            }
        }
        for (int i = 0; i < CONNS_PER_THREAD; i++) {
            int status = 0;
            const char *body = conns[i].fd >= 0 ? conn_read(&conns[i], &status) : NULL;
            if (body != NULL) {
                check_response(cl, status, body);
            } else if (conns[i].fd >= 0) {
                close(conns[i].fd); /* the request on it counts as failed */
                conns[i].fd = -1;
                cl->reconnects++;
                if (cl->bad++ == 0)
                    snprintf(cl->first_error, sizeof cl->first_error, "connection lost");
            }
        }
    }
    for (int i = 0; i < CONNS_PER_THREAD; i++)
        if (conns[i].fd >= 0)
            close(conns[i].fd);
    free(conns);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* The test                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static void write_production(int version)
{
    char final[4300], tmp[4400], text[64];
    snprintf(final, sizeof final, "%s/bc/model.yaml", g.repo);
    snprintf(tmp, sizeof tmp, "%s/bc/.model.yaml.tmp", g.repo);
    snprintf(text, sizeof text, "production: %d\n", version);
    ts_write_file(tmp, text);
    assert_int_equal(rename(tmp, final), 0);
}

/* Flips production with the CLI as an operator would: odd flips `ferry deploy bc 2`, even flips
 * `ferry rollback bc` (back to the `from` of that deploy, version 1). */
static void deploy_or_rollback(int flip)
{
    char cmd[9000];
    if (flip % 2)
        snprintf(cmd, sizeof cmd, "'%s' deploy bc 2 --repo '%s' --reason 'flip %d' >/dev/null",
                 ts_ferry_bin(), g.repo, flip);
    else
        snprintf(cmd, sizeof cmd, "'%s' rollback bc --repo '%s' --reason 'flip %d' >/dev/null",
                 ts_ferry_bin(), g.repo, flip);
    assert_int_equal(system(cmd), 0);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_until(double t)
{
    double left = t - now_ms();
    if (left > 0)
        usleep((useconds_t)(left * 1000));
}

/* ------------------------------------------------------------------------------------------ */
/* The server's log                                                                             */
/* ------------------------------------------------------------------------------------------ */

/* Scans the complete lines of the log read so far and drops them, keeping a partial last line.
 * At info level the server logs every request: kept whole, the log would grow by megabytes. */
static void scan_log(void)
{
    ts_server_read_log(&g.srv);
    char *end = g.srv.log ? strrchr(g.srv.log, '\n') : NULL;
    if (end == NULL)
        return;
    for (char *line = g.srv.log; line <= end;) {
        char *nl = strchr(line, '\n');
        *nl = '\0';
        g.swaps += strstr(line, "serves the model now") != NULL;
        if (strstr(line, "\"level\":\"error\"") || strstr(line, "Sanitizer") ||
            strstr(line, "runtime error:")) {
            if (g.error_lines++ == 0)
                snprintf(g.first_error_line, sizeof g.first_error_line, "%s", line);
        }
        line = nl + 1;
    }
    size_t rest = g.srv.log_len - (size_t)(end + 1 - g.srv.log);
    memmove(g.srv.log, end + 1, rest + 1);
    g.srv.log_len = rest;
}

static void *drain_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&g.stop_drain)) {
        scan_log();
        usleep(2000);
    }
    scan_log();
    return NULL;
}

static size_t count(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static int setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    snprintf(g.repo, sizeof g.repo, "%s/repo", g.tmp);
    char v1[4096], v2[4096], path[4400];
    snprintf(v1, sizeof v1, "%s", ts_shared("models/bc_xgb/model.json"));
    snprintf(v2, sizeof v2, "%s", ts_source("examples/models/breast_cancer/1/model.json"));
    snprintf(path, sizeof path, "%s/bc/1/model.json", g.repo);
    ts_copy_file(v1, path);
    snprintf(path, sizeof path, "%s/bc/2/model.json", g.repo);
    ts_copy_file(v2, path);
    write_production(1);

    g.body = ts_read_file(ts_source("examples/models/breast_cancer/request.json"), NULL);
    assert_non_null(g.body);
    size_t body_len = strlen(g.body);
    while (body_len > 0 && (g.body[body_len - 1] == '\n' || g.body[body_len - 1] == '\r'))
        g.body[--body_len] = '\0';
    compute_expected(v1, v2);
    g.request = malloc(body_len + 256);
    assert_non_null(g.request);
    g.request_len = (size_t)sprintf(g.request,
                                    "POST /v2/models/bc/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n"
                                    "%s",
                                    body_len, g.body);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (g.srv.pid > 0)
        ts_server_stop(&g.srv);
    ts_rmtree(g.tmp);
    free(g.tmp);
    free(g.body);
    free(g.request);
    return 0;
}

static void report(const client *clients, long *v1, long *v2, long *bad, long *reconnects)
{
    *v1 = *v2 = *bad = *reconnects = 0;
    for (int i = 0; i < CLIENT_THREADS; i++) {
        fprintf(stderr, "hot_swap: client %d saw the version change %ld times\n", i,
                clients[i].switches);
        *v1 += clients[i].by_version[1];
        *v2 += clients[i].by_version[2];
        *bad += clients[i].bad;
        *reconnects += clients[i].reconnects;
        if (clients[i].bad > 0)
            fprintf(stderr, "hot_swap: client %d: %ld bad, first: %s\n", i, clients[i].bad,
                    clients[i].first_error);
    }
    fprintf(stderr,
            "hot_swap: %ld responses in %d s over %d connections: version 1 %ld, version 2 %ld, "
            "bad %ld, reconnects %ld\n",
            *v1 + *v2 + *bad, LOAD_DURATION_MS / 1000, CLIENT_THREADS * CONNS_PER_THREAD, *v1, *v2,
            *bad, *reconnects);
}

static void test_hot_swap_under_load(void **state)
{
    (void)state;
    char st[4300];
    snprintf(st, sizeof st, "%s/state", g.tmp);
    const char *args[] = {"--repo", g.repo, "--state", st, NULL};
    bool started = ts_server_start(&g.srv, args);
    if (!started)
        fprintf(stderr, "test: server did not start:\n%s\n", g.srv.log ? g.srv.log : "");
    assert_true(started);
    atomic_init(&g.stop, false);
    atomic_init(&g.stop_drain, false);
    pthread_t drain;
    assert_int_equal(pthread_create(&drain, NULL, drain_main, NULL), 0);

    client clients[CLIENT_THREADS];
    memset(clients, 0, sizeof clients);
    double t0 = now_ms();
    for (int i = 0; i < CLIENT_THREADS; i++)
        assert_int_equal(pthread_create(&clients[i].thread, NULL, client_main, &clients[i]), 0);
    for (int flip = 1; flip <= FLIPS; flip++) {
        sleep_until(t0 + flip * FLIP_INTERVAL_MS - FLIP_INTERVAL_MS / 2);
        deploy_or_rollback(flip);
    }
    sleep_until(t0 + LOAD_DURATION_MS);
    atomic_store(&g.stop, true);
    for (int i = 0; i < CLIENT_THREADS; i++)
        assert_int_equal(pthread_join(clients[i].thread, NULL), 0);

    usleep(100 * 1000);
    atomic_store(&g.stop_drain, true);
    assert_int_equal(pthread_join(drain, NULL), 0);

    long v1, v2, bad, reconnects;
    report(clients, &v1, &v2, &bad, &reconnects);
    fprintf(stderr, "hot_swap: %zu swaps logged\n", g.swaps);
    if (g.error_lines > 0)
        fprintf(stderr, "hot_swap: %zu error lines, first: %s\n", g.error_lines,
                g.first_error_line);
    assert_int_equal(g.error_lines, 0);
    assert_int_equal(bad, 0);
    assert_int_equal(reconnects, 0);
    assert_true(v1 >= 200 && v2 >= 200);
    /* Every client followed the flips. Flips may coalesce when the second comes before the first
     * was read (the reconciler applies the state of the files, not each write), more often on a
     * loaded machine: the bound only checks that swaps kept happening under load. */
    for (int i = 0; i < CLIENT_THREADS; i++)
        assert_true(clients[i].switches >= FLIPS / 2);
    assert_true(g.swaps >= FLIPS / 2 && g.swaps <= FLIPS);
    assert_int_equal(ts_server_stop(&g.srv), 0);
}

/* Without load and one flip at a time, each flip is exactly one swap. */
static void test_every_flip_applied(void **state)
{
    (void)state;
    char st[4300];
    snprintf(st, sizeof st, "%s/state2", g.tmp);
    const char *args[] = {"--repo", g.repo, "--state", st, NULL};
    assert_true(ts_server_start(&g.srv, args));
    for (int flip = 1; flip <= FLIPS; flip++) {
        write_production(flip % 2 ? 2 : 1);
        double t0 = now_ms();
        while (count(g.srv.log, "serves the model now") < (size_t)flip) {
            if (now_ms() - t0 > 10000)
                fail_msg("flip %d not applied within 10 s:\n%s", flip, g.srv.log);
            usleep(2000);
            ts_server_read_log(&g.srv);
        }
    }
    assert_int_equal(count(g.srv.log, "serves the model now"), FLIPS);
    assert_int_equal(ts_server_stop(&g.srv), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hot_swap_under_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_flip_applied, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
