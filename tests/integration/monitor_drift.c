/* End-to-end test of live drift: bc_xgb registered with its training CSV (profile.json with a
 * 455-row reference sample, so `auto` uses KS), drift windows of 1,000 rows. 2,000 rows drawn
 * from the reference raise no drift; 2,000 rows with two features shifted by one standard
 * deviation drift on exactly those two. The drift endpoint (404s and the report's shape), the
 * gauges, the drift-state log event and the webhook (a listener socket of the test's own,
 * given by --alert-webhook) are checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_support.h"

#define FEATURES 30

static struct {
    char *tmp;
    ts_server srv;
    json_t *profile;
    double *sample; /* rows x FEATURES */
    size_t rows;
    double std[FEATURES];
    const char *names[FEATURES];
    int listener; /* the webhook receiver */
    int listener_port;
} g;

/* A listening socket on a free loopback port. */
static void listen_for_webhook(void)
{
    g.listener = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(g.listener >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(g.listener, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(g.listener, 4), 0);
    assert_int_equal(getsockname(g.listener, (struct sockaddr *)&a, &len), 0);
    g.listener_port = ntohs(a.sin_port);
}

/* Accepts one POST within timeout_ms, answers 200 and returns its body (malloc'ed), or NULL. */
static char *receive_webhook(int timeout_ms)
{
    struct pollfd p = {.fd = g.listener, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) != 1)
        return NULL;
    int fd = accept(g.listener, NULL, NULL);
    if (fd < 0)
        return NULL;
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t cap = 1 << 16, used = 0;
    char *buf = calloc(cap + 1, 1);
    for (;;) {
        ssize_t n = buf != NULL && used < cap ? recv(fd, buf + used, cap - used, 0) : -1;
        if (n <= 0)
            break;
        used += (size_t)n;
        char *body = strstr(buf, "\r\n\r\n");
        const char *cl = strstr(buf, "Content-Length:");
        if (body != NULL && cl != NULL &&
            used >= (size_t)(body + 4 - buf) + strtoul(cl + 15, NULL, 10))
            break;
    }
    const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)!send(fd, ok, sizeof ok - 1, MSG_NOSIGNAL);
    close(fd);
    char *body = buf != NULL ? strstr(buf, "\r\n\r\n") : NULL;
    char *copy = body != NULL ? strdup(body + 4) : NULL;
    free(buf);
    return copy;
}

static const char json_ct[] = "Content-Type: application/json\r\n";

static void run_ok(const char *cmd)
{
    char *out = NULL;
    int rc = ts_run(cmd, &out);
    if (rc != 0)
        fail_msg("%s: %s", cmd, out);
    free(out);
}

static void load_profile(const char *path)
{
    g.profile = ts_load_json(path);
    json_t *columns = json_object_get(g.profile, "columns");
    g.rows =
        (size_t)json_integer_value(json_object_get(json_object_get(g.profile, "sample"), "rows"));
    g.sample = calloc(g.rows * FEATURES, sizeof *g.sample);
    assert_non_null(g.sample);
    for (size_t k = 0; k < FEATURES; k++) {
        json_t *c = json_array_get(columns, k);
        g.names[k] = json_string_value(json_object_get(c, "name"));
        g.std[k] = json_number_value(json_object_get(c, "std"));
        json_t *s = json_object_get(c, "sample");
        for (size_t r = 0; r < g.rows; r++)
            g.sample[r * FEATURES + k] = json_number_value(json_array_get(s, r));
    }
}

static int group_setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    char repo[4096], path[4300], st[4200], cmd[16384];
    snprintf(repo, sizeof repo, "%s/models", g.tmp);
    snprintf(path, sizeof path, "%s/.keep", repo);
    ts_write_file(path, "");
    snprintf(cmd, sizeof cmd,
             "'%s' register bc '%s/bc_xgb/model.json' --repo '%s' --create --data '%s' "
             "--label target 2>&1",
             ts_ferry_bin(), ts_shared("models"), repo,
             ts_source("examples/models/breast_cancer/data/train.csv"));
    run_ok(cmd);
    snprintf(cmd, sizeof cmd,
             "'%s' register plain '%s/bc_xgb/model.json' --repo '%s' --create 2>&1", ts_ferry_bin(),
             ts_shared("models"), repo);
    run_ok(cmd);
    snprintf(path, sizeof path, "%s/bc/model.yaml", repo);
    char *old = ts_read_file(path, NULL);
    char text[8192];
    snprintf(text, sizeof text, "%sdrift: {window: 1000}\n", old ? old : "");
    free(old);
    ts_write_file(path, text);
    snprintf(path, sizeof path, "%s/bc/1/profile.json", repo);
    load_profile(path);
    snprintf(st, sizeof st, "%s/state", g.tmp);
    listen_for_webhook();
    char hook[64];
    snprintf(hook, sizeof hook, "http://127.0.0.1:%d/alert", g.listener_port);
    const char *args[] = {"--repo", repo, "--state", st, "--alert-webhook", hook, NULL};
    ts_server_start_ok(&g.srv, args);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    assert_int_equal(ts_server_stop(&g.srv), 0);
    close(g.listener);
    json_decref(g.profile);
    free(g.sample);
    ts_rmtree(g.tmp);
    free(g.tmp);
    return 0;
}

static json_t *get_json(const char *path, int want_status)
{
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", path, NULL, NULL, 0, &resp));
    if (resp.status != want_status)
        fail_msg("GET %s: %d %s", path, resp.status, resp.body);
    json_t *j = ts_response_json(&resp);
    ts_response_free(&resp);
    return j;
}

/* Sends `n` rows drawn (seeded) from the reference sample in requests of 100, with features a and
 * b (when >= 0) shifted up by one standard deviation. */
static void send_rows(size_t n, int a, int b, unsigned seed)
{
    srand(seed);
    for (size_t sent = 0; sent < n; sent += 100) {
        json_t *data = json_array();
        for (size_t r = 0; r < 100; r++) {
            size_t pick = (size_t)rand() % g.rows;
            for (int k = 0; k < FEATURES; k++) {
                double x = g.sample[pick * FEATURES + (size_t)k];
                if (k == a || k == b)
                    x += g.std[k];
                json_array_append_new(data, json_real(x));
            }
        }
        json_t *body = json_pack("{s:[{s:s, s:s, s:[i,i], s:o}]}", "inputs", "name", "input",
                                 "datatype", "FP32", "shape", 100, FEATURES, "data", data);
        char *text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        ts_response resp;
        assert_true(ts_server_http(&g.srv, "POST", "/v2/models/bc/infer", json_ct, text,
                                   strlen(text), &resp));
        assert_int_equal(resp.status, 200);
        ts_response_free(&resp);
        free(text);
    }
}

/* Waits until `windows` windows are measured; returns the drift report. */
static json_t *wait_windows(long long windows)
{
    for (int i = 0; i < 200; i++) {
        json_t *j = get_json("/v2/models/bc/drift", 200);
        if (json_integer_value(json_object_get(j, "windows_completed")) >= windows)
            return j;
        json_decref(j);
        usleep(50000);
    }
    fail_msg("drift window %lld was not measured", windows);
    return NULL;
}

static void test_endpoint_answers(void **state)
{
    (void)state;
    json_t *j = get_json("/v2/models/bc/drift", 200);
    assert_true(json_is_null(json_object_get(j, "report")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "message")), "no drift window"));
    assert_string_equal(json_string_value(json_object_get(j, "mapping")), "position");
    assert_int_equal(json_integer_value(json_object_get(j, "window_size")), 1000);
    json_decref(j);
    j = get_json("/v2/models/nosuch/drift", 404);
    assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "nosuch"));
    json_decref(j);
    j = get_json("/v2/models/plain/drift", 404);
    assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "no training profile"));
    json_decref(j);
}

static size_t count_drifted(json_t *report, const char **names, size_t cap)
{
    size_t n = 0;
    json_t *features = json_object_get(report, "features"), *f;
    size_t i;
    json_array_foreach(features, i, f)
    {
        if (json_is_true(json_object_get(f, "drifted")) && n < cap)
            names[n++] = json_string_value(json_object_get(f, "name"));
    }
    return n;
}

static void test_drift(void **state)
{
    (void)state;
    send_rows(2000, -1, -1, 7);
    json_t *j = wait_windows(2);
    const char *names[FEATURES];
    assert_int_equal(json_array_size(json_object_get(j, "features")), FEATURES);
    assert_true(json_array_size(json_object_get(j, "prediction")) >= 1);
    assert_int_equal(count_drifted(j, names, FEATURES), 0);
    assert_true(json_is_false(json_object_get(j, "dataset_drift")));
    json_t *window = json_object_get(j, "window");
    assert_int_equal(json_integer_value(json_object_get(window, "rows")), 1000);
    assert_non_null(json_string_value(json_object_get(window, "start")));
    assert_int_equal(json_integer_value(json_object_get(j, "partial_window_rows")), 0);
    json_t *f0 = json_array_get(json_object_get(j, "features"), 0);
    assert_string_equal(json_string_value(json_object_get(f0, "method")), "ks");
    json_decref(j);

    send_rows(1000, 0, 5, 8);
    j = wait_windows(3);
    assert_int_equal(count_drifted(j, names, FEATURES), 2);
    assert_string_equal(names[0], g.names[0]);
    assert_string_equal(names[1], g.names[5]);
    assert_int_equal(json_integer_value(json_object_get(j, "drifted_features")), 2);
    json_decref(j);

    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", "/metrics", NULL, NULL, 0, &resp));
    char want[256];
    snprintf(want, sizeof want,
             "ferry_feature_drifted{model=\"bc\",version=\"1\",feature=\"%s\"} 1\n", g.names[0]);
    assert_non_null(strstr(resp.body, want));
    snprintf(want, sizeof want,
             "ferry_feature_drifted{model=\"bc\",version=\"1\",feature=\"%s\"} 0\n", g.names[1]);
    assert_non_null(strstr(resp.body, want));
    assert_non_null(strstr(resp.body, "ferry_dataset_drift{model=\"bc\",version=\"1\"} 0\n"));
    snprintf(want, sizeof want,
             "ferry_feature_missing_ratio{model=\"bc\",version=\"1\",feature=\"%s\"} 0\n",
             g.names[2]);
    assert_non_null(strstr(resp.body, want));
    snprintf(want, sizeof want,
             "ferry_feature_drift_score{model=\"bc\",version=\"1\",feature=\"%s\",method=\"ks\"} ",
             g.names[0]);
    assert_non_null(strstr(resp.body, want));
    ts_response_free(&resp);
    assert_true(ts_server_wait_log(&g.srv, "drift state changed", 5000));
    char *hook = receive_webhook(10000);
    assert_non_null(hook);
    json_error_t jerr;
    json_t *alert = json_loads(hook, 0, &jerr);
    if (alert == NULL)
        fail_msg("webhook body is not JSON: %s", hook);
    assert_string_equal(json_string_value(json_object_get(alert, "version")), "4");
    assert_string_equal(json_string_value(json_object_get(alert, "status")), "firing");
    json_t *first = json_array_get(json_object_get(alert, "alerts"), 0);
    json_t *labels = json_object_get(first, "labels");
    assert_string_equal(json_string_value(json_object_get(labels, "alertname")), "FerryDataDrift");
    assert_string_equal(json_string_value(json_object_get(labels, "model")), "bc");
    char pair[256];
    snprintf(pair, sizeof pair, "%s,%s", g.names[0], g.names[5]);
    assert_string_equal(json_string_value(json_object_get(json_object_get(first, "annotations"),
                                                          "drifted_features")),
                        pair);
    json_decref(alert);
    free(hook);
    send_rows(1000, 0, 5, 9);
    j = wait_windows(4);
    assert_int_equal(count_drifted(j, names, FEATURES), 2);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoint_answers),
        cmocka_unit_test(test_drift),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
