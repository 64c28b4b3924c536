/* The life of a real `ferry serve` process: start-up with corrupt, missing and tampered models
 * (named in the log, reported not ready, the rest serving), strict and relaxed readiness, serving
 * one artifact, environment defaults and flags that win over them, SIGTERM's grace period and
 * drain, a stop while requests queue, start-up time in the log, and usage errors. */
#define _GNU_SOURCE /* strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test_support.h"

#define MAX_SERVERS 3

static struct {
    char *tmp;
    char good_repo[4096];   /* bc_xgb only */
    char broken_repo[4096]; /* good, corrupt, missing, badsha */
    char queue_repo[4096];  /* bc_xgb on one instance: concurrent requests queue */
    json_t *inputs;         /* bc_xgb test_inputs.json */
    json_t *expected;       /* bc_xgb expected.json */
    ts_server servers[MAX_SERVERS];
    int state_count;
} g;

static const char json_ct[] = "Content-Type: application/json\r\n";

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* A fresh --state folder path under the test's temporary folder (static buffer). */
static const char *new_state_dir(void)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/state-%d", g.tmp, ++g.state_count);
    return path;
}

/* Starts servers[slot] with args, failing the test (with the log) when it does not come up. */
static ts_server *start(int slot, const char *const *args, bool free_port)
{
    ts_server *srv = &g.servers[slot];
    bool ok = free_port ? ts_server_start(srv, args) : ts_server_start_args(srv, args);
    if (!ok)
        fprintf(stderr, "test: server did not start:\n%s\n", srv->log ? srv->log : "");
    assert_true(ok);
    return srv;
}

static int status_of(ts_server *srv, const char *method, const char *path, const char *body)
{
    ts_response resp;
    assert_true(ts_server_http(srv, method, path, body ? json_ct : NULL, body,
                               body ? strlen(body) : 0, &resp));
    int status = resp.status;
    ts_response_free(&resp);
    return status;
}

/* A request for row `row` of bc_xgb's test split (malloc'ed). */
static char *row_request(size_t row)
{
    json_t *data = json_object_get(g.inputs, "data");
    json_t *values = json_array();
    for (size_t f = 0; f < 30; f++)
        json_array_append(values, json_array_get(data, row * 30 + f));
    json_t *req = json_pack("{s:[{s:s,s:s,s:[i,i],s:o}]}", "inputs", "name", "input", "datatype",
                            "FP32", "shape", 1, 30, "data", values);
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    assert_non_null(text);
    return text;
}

/* Asserts a response body predicts bc_xgb's row `row` as expected.json does. */
static void assert_row_prediction(const ts_response *resp, size_t row)
{
    if (resp->status != 200)
        fprintf(stderr, "test: infer: %d %s\n", resp->status, resp->body);
    assert_int_equal(resp->status, 200);
    json_t *doc = ts_response_json(resp);
    json_t *data = json_object_get(json_array_get(json_object_get(doc, "outputs"), 0), "data");
    json_t *want =
        json_object_get(json_array_get(json_object_get(g.expected, "outputs"), 0), "data");
    assert_int_equal(json_array_size(data), 1);
    assert_true(ts_close(json_number_value(json_array_get(data, 0)),
                         json_number_value(json_array_get(want, row))));
    json_decref(doc);
}

static void assert_infers(ts_server *srv, const char *model)
{
    char path[256];
    snprintf(path, sizeof path, "/v2/models/%s/infer", model);
    char *body = row_request(4);
    ts_response resp;
    assert_true(ts_server_http(srv, "POST", path, json_ct, body, strlen(body), &resp));
    free(body);
    assert_row_prediction(&resp, 4);
    ts_response_free(&resp);
}

/* The first log line (parsed) at `level` whose model field is `model`; NULL when none. Every
 * line must be a JSON object with ts, level and msg. */
static json_t *find_log_line(const char *log, const char *level, const char *model)
{
    const char *p = log;
    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        json_error_t jerr;
        json_t *line = json_loadb(p, len, 0, &jerr);
        if (line == NULL)
            fprintf(stderr, "test: log line is not JSON: %.*s\n", (int)len, p);
        assert_non_null(line);
        assert_true(json_is_string(json_object_get(line, "ts")));
        assert_true(json_is_string(json_object_get(line, "msg")));
        const char *lv = json_string_value(json_object_get(line, "level"));
        const char *m = json_string_value(json_object_get(line, "model"));
        assert_non_null(lv);
        if (strcmp(lv, level) == 0 && m != NULL && strcmp(m, model) == 0)
            return line;
        json_decref(line);
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

/* Asserts the log has an error line for model whose msg and file mention each needle. */
static void assert_load_error_logged(const char *log, const char *model, const char *file_part,
                                     const char *reason)
{
    json_t *line = find_log_line(log, "error", model);
    if (line == NULL)
        fprintf(stderr, "test: no error line for model '%s' in:\n%s\n", model, log);
    assert_non_null(line);
    const char *msg = json_string_value(json_object_get(line, "msg"));
    const char *file = json_string_value(json_object_get(line, "file"));
    if (strstr(msg, file_part) == NULL || strstr(msg, reason) == NULL)
        fprintf(stderr, "test: '%s' does not name '%s' and '%s'\n", msg, file_part, reason);
    assert_non_null(strstr(msg, file_part));
    assert_non_null(strstr(msg, reason));
    assert_non_null(file);
    assert_non_null(strstr(file, model));
    json_decref(line);
}

/* Asserts GET path answers `status` with an {"error"} naming `needle`. */
static void assert_error(ts_server *srv, const char *method, const char *path, const char *body,
                         int status, const char *needle)
{
    ts_response resp;
    assert_true(ts_server_http(srv, method, path, body ? json_ct : NULL, body,
                               body ? strlen(body) : 0, &resp));
    if (resp.status != status)
        fprintf(stderr, "test: %s %s: %d %s\n", method, path, resp.status, resp.body);
    assert_int_equal(resp.status, status);
    json_t *doc = ts_response_json(&resp);
    const char *msg = json_string_value(json_object_get(doc, "error"));
    assert_non_null(msg);
    assert_non_null(strstr(msg, needle));
    json_decref(doc);
    ts_response_free(&resp);
}

/* Runs a shell command with stderr folded into *out; returns its exit status. */
static int run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(char **out, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = ts_run(cmd, out);
    ts_assert_no_sanitizer_report(*out);
    return rc;
}

/* A listening TCP socket on a free port of every IPv4 address; returns the fd, port in *port. */
static int occupy_port(int *port)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int off = 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    struct sockaddr_in6 addr = {.sin6_family = AF_INET6, .sin6_addr = in6addr_any};
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t len = sizeof addr;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    *port = ntohs(addr.sin6_port);
    return fd;
}

static long long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000LL + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* ------------------------------------------------------------------------------------------ */
/* Setup                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static void write_truncated(const char *from, const char *to, size_t keep)
{
    size_t len = 0;
    char *data = ts_read_file(from, &len);
    assert_non_null(data);
    assert_true(keep < len);
    data[keep] = '\0';
    ts_write_file(to, data);
    free(data);
}

static int group_setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    char path[4200], to[8400];
    snprintf(g.good_repo, sizeof g.good_repo, "%s/good-repo", g.tmp);
    snprintf(g.broken_repo, sizeof g.broken_repo, "%s/broken-repo", g.tmp);
    ts_repo_add(g.good_repo, "bc_xgb", "1", "bc_xgb", "model.json");
    snprintf(g.queue_repo, sizeof g.queue_repo, "%s/queue-repo", g.tmp);
    ts_repo_add(g.queue_repo, "bc_xgb", "1", "bc_xgb", "model.json");
    snprintf(to, sizeof to, "%s/bc_xgb/model.yaml", g.queue_repo);
    ts_write_file(to, "instances: 1\n");

    ts_repo_add(g.broken_repo, "good", "1", "bc_xgb", "model.json");
    /* corrupt: model.json cut off after 5000 bytes */
    snprintf(path, sizeof path, "%s/bc_xgb/model.json", ts_shared("models"));
    snprintf(to, sizeof to, "%s/corrupt/1/model.json", g.broken_repo);
    write_truncated(path, to, 5000);
    /* missing: a version folder with version.yaml and no artifact */
    snprintf(to, sizeof to, "%s/missing/1/version.yaml", g.broken_repo);
    ts_write_file(to, "author: tests\n");
    /* badsha: the artifact does not match version.yaml's sha256 */
    ts_repo_add(g.broken_repo, "badsha", "1", "diabetes_xgb", "model.json");
    snprintf(to, sizeof to, "%s/badsha/1/version.yaml", g.broken_repo);
    ts_write_file(to, "sha256: "
                      "0000000000000000000000000000000000000000000000000000000000000000\n");

    snprintf(path, sizeof path, "%s/bc_xgb/test_inputs.json", ts_shared("models"));
    g.inputs = ts_load_json(path);
    snprintf(path, sizeof path, "%s/bc_xgb/expected.json", ts_shared("models"));
    g.expected = ts_load_json(path);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    json_decref(g.inputs);
    json_decref(g.expected);
    ts_rmtree(g.tmp);
    free(g.tmp);
    return 0;
}

/* Stops whatever servers the test left running and clears the environment it may have set. */
static int teardown(void **state)
{
    (void)state;
    unsetenv("FERRY_REPO");
    unsetenv("FERRY_HTTP_PORT");
    unsetenv("FERRY_STATE");
    int rc = 0;
    for (int i = 0; i < MAX_SERVERS; i++)
        if (g.servers[i].pid > 0 || g.servers[i].log != NULL)
            rc |= ts_server_stop(&g.servers[i]) != 0;
    memset(g.servers, 0, sizeof g.servers);
    return rc ? -1 : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Start-up                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static void test_broken_models_strict(void **state)
{
    (void)state;
    const char *args[] = {"--repo", g.broken_repo, "--state", new_state_dir(), NULL};
    ts_server *srv = start(0, args, true);

    assert_load_error_logged(srv->log, "corrupt", "corrupt/1/model.json", "cannot load");
    assert_load_error_logged(srv->log, "missing", "missing/1", "no model artifact");
    assert_load_error_logged(srv->log, "badsha", "badsha/1/model.json", "version.yaml says");

    /* The good model serves. */
    assert_int_equal(status_of(srv, "GET", "/v2/models/good/ready", NULL), 200);
    assert_infers(srv, "good");

    /* The bad ones are known but not ready: 400 on ready, 503 on infer, naming the reason. */
    char *body = row_request(0);
    const struct {
        const char *model, *reason;
    } bad[] = {{"corrupt", "model.json"}, {"missing", "no model artifact"}, {"badsha", "sha256"}};
    for (size_t i = 0; i < 3; i++) {
        char path[256];
        snprintf(path, sizeof path, "/v2/models/%s/ready", bad[i].model);
        assert_error(srv, "GET", path, NULL, 400, bad[i].reason);
        snprintf(path, sizeof path, "/v2/models/%s/infer", bad[i].model);
        assert_error(srv, "POST", path, body, 503, bad[i].model);
    }
    free(body);

    /* Strict readiness (the default): one model down, the server is not ready; still live. */
    assert_int_equal(status_of(srv, "GET", "/v2/health/ready", NULL), 400);
    assert_int_equal(status_of(srv, "GET", "/v2/health/live", NULL), 200);
    assert_int_equal(ts_server_stop(srv), 0);
}

static void test_broken_models_relaxed(void **state)
{
    (void)state;
    const char *args[] = {"--repo", g.broken_repo, "--state", new_state_dir(), "--strict-readiness",
                          "false",  NULL};
    ts_server *srv = start(0, args, true);
    assert_int_equal(status_of(srv, "GET", "/v2/health/ready", NULL), 200);
    assert_int_equal(status_of(srv, "GET", "/v2/models/corrupt/ready", NULL), 400);
    assert_infers(srv, "good");
    assert_int_equal(ts_server_stop(srv), 0);
}

static void test_startup_time_logged(void **state)
{
    (void)state;
    const char *st = new_state_dir();
    const char *args[] = {"--repo", g.good_repo, "--state", st, NULL};
    ts_server *srv = start(0, args, true);
    const char *p = strstr(srv->log, "startup took ");
    assert_non_null(p);
    double ms = atof(p + strlen("startup took "));
    assert_true(ms > 0 && ms < 30000);
    assert_non_null(strstr(p, " ms"));
    assert_int_equal(status_of(srv, "GET", "/v2/health/ready", NULL), 200);
    /* The --state folder was created. */
    struct stat sb;
    assert_int_equal(stat(st, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(ts_server_stop(srv), 0);
}

static void test_serve_artifact(void **state)
{
    (void)state;
    char artifact[4300];
    snprintf(artifact, sizeof artifact, "%s/artifacts", g.tmp);
    ts_repo_add(artifact, "bc", "1", "bc_xgb", "model.ubj");
    snprintf(artifact, sizeof artifact, "%s/artifacts/bc/1/model.ubj", g.tmp);
    const char *args[] = {artifact, "--name", "cancer", "--state", new_state_dir(), NULL};
    ts_server *srv = start(0, args, true);
    ts_response resp;
    assert_true(ts_server_http(srv, "GET", "/v2/models/cancer", NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    json_t *doc = ts_response_json(&resp);
    assert_string_equal(json_string_value(json_object_get(doc, "name")), "cancer");
    json_decref(doc);
    ts_response_free(&resp);
    assert_int_equal(status_of(srv, "GET", "/v2/health/ready", NULL), 200);
    assert_int_equal(status_of(srv, "GET", "/v2/models/bc_xgb", NULL), 404);
    assert_infers(srv, "cancer");
    assert_int_equal(ts_server_stop(srv), 0);

    /* Without --name the model is named after the file (model.ubj -> model). */
    const char *unnamed[] = {artifact, "--state", new_state_dir(), NULL};
    srv = start(1, unnamed, true);
    assert_int_equal(status_of(srv, "GET", "/v2/models/model/ready", NULL), 200);
    assert_infers(srv, "model");
    assert_int_equal(ts_server_stop(srv), 0);

    /* A missing artifact: exit 1 naming the file. */
    char *out = NULL;
    int rc = run(&out, "timeout 60 '%s' serve '%s/nope/model.json' --http-port 0 --state '%s' 2>&1",
                 ts_ferry_bin(), g.tmp, new_state_dir());
    if (rc != 1 || strstr(out, "nope/model.json") == NULL)
        fprintf(stderr, "test: serve missing artifact: rc %d: %s\n", rc, out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "nope/model.json"));
    free(out);
}

/* ------------------------------------------------------------------------------------------ */
/* Environment                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static void test_environment_defaults(void **state)
{
    (void)state;
    const char *st = new_state_dir();
    setenv("FERRY_REPO", g.good_repo, 1);
    setenv("FERRY_HTTP_PORT", "0", 1);
    setenv("FERRY_GRPC_PORT", "0", 1);
    setenv("FERRY_STATE", st, 1);
    const char *args[] = {NULL}; /* no flags at all */
    ts_server *srv = start(0, args, false);
    unsetenv("FERRY_REPO");
    unsetenv("FERRY_HTTP_PORT");
    unsetenv("FERRY_GRPC_PORT");
    unsetenv("FERRY_STATE");
    assert_true(srv->port > 0);
    assert_true(srv->grpc_port > 0);
    assert_int_not_equal(srv->grpc_port, 8001);
    assert_int_equal(status_of(srv, "GET", "/v2/models/bc_xgb/ready", NULL), 200);
    assert_infers(srv, "bc_xgb");
    struct stat sb;
    assert_int_equal(stat(st, &sb), 0);
    assert_int_equal(ts_server_stop(srv), 0);
}

static void test_flags_win_over_environment(void **state)
{
    (void)state;
    int port = 0;
    int busy = occupy_port(&port);
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);

    /* The environment alone points at the occupied port: the server cannot start (exit 1). */
    char *out = NULL;
    int rc = run(&out, "FERRY_HTTP_PORT=%d timeout 60 '%s' serve --repo '%s' --state '%s' 2>&1",
                 port, ts_ferry_bin(), g.good_repo, new_state_dir());
    if (rc != 1)
        fprintf(stderr, "test: serve on an occupied port: rc %d: %s\n", rc, out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "cannot listen"));
    free(out);

    /* --http-port 0 wins over the occupied FERRY_HTTP_PORT; --repo wins over a bad FERRY_REPO. */
    setenv("FERRY_HTTP_PORT", port_s, 1);
    setenv("FERRY_REPO", "/nonexistent/ferry-repo", 1);
    const char *args[] = {"--repo", g.good_repo, "--state", new_state_dir(), NULL};
    ts_server *srv = start(0, args, true);
    assert_true(srv->port != port);
    assert_infers(srv, "bc_xgb");
    assert_int_equal(ts_server_stop(srv), 0);

    /* ...and over an FERRY_HTTP_PORT that is not a port at all. */
    setenv("FERRY_HTTP_PORT", "not-a-port", 1);
    srv = start(1, args, true);
    assert_infers(srv, "bc_xgb");
    assert_int_equal(ts_server_stop(srv), 0);
    unsetenv("FERRY_HTTP_PORT");
    unsetenv("FERRY_REPO");

    /* Without the flag, the invalid value is a usage error naming the variable. */
    rc = run(&out, "FERRY_HTTP_PORT=not-a-port timeout 60 '%s' serve --repo '%s' --state '%s' 2>&1",
             ts_ferry_bin(), g.good_repo, new_state_dir());
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "FERRY_HTTP_PORT"));
    free(out);
    close(busy);
}

/* --grpc-port and FERRY_GRPC_PORT mirror the REST port's flag and variable; off serves no gRPC. */
static void test_grpc_port_options(void **state)
{
    (void)state;
    int port = 0;
    int busy = occupy_port(&port);

    /* An occupied gRPC port (from the environment): exit 1 naming gRPC. */
    char *out = NULL;
    int rc = run(&out,
                 "FERRY_GRPC_PORT=%d timeout 60 '%s' serve --repo '%s' --http-port 0 --state '%s' "
                 "2>&1",
                 port, ts_ferry_bin(), g.good_repo, new_state_dir());
    if (rc != 1)
        fprintf(stderr, "test: gRPC on an occupied port: rc %d: %s\n", rc, out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "cannot listen for gRPC"));
    free(out);

    /* The flag wins over the variable; off serves REST only. */
    setenv("FERRY_GRPC_PORT", "not-a-port", 1);
    const char *off[] = {"--repo",      g.good_repo, "--state", new_state_dir(),
                         "--grpc-port", "off",       NULL};
    ts_server *srv = start(0, off, true);
    unsetenv("FERRY_GRPC_PORT");
    assert_int_equal(srv->grpc_port, 0);
    assert_null(strstr(srv->log, "gRPC listening"));
    assert_infers(srv, "bc_xgb");
    assert_int_equal(ts_server_stop(srv), 0);

    /* Without the flag, an invalid variable is a usage error naming it. */
    rc = run(&out, "FERRY_GRPC_PORT=70000 timeout 60 '%s' serve --repo '%s' --state '%s' 2>&1",
             ts_ferry_bin(), g.good_repo, new_state_dir());
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "FERRY_GRPC_PORT"));
    free(out);
    close(busy);
}

/* ------------------------------------------------------------------------------------------ */
/* Shutdown                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static void test_sigterm_grace_period(void **state)
{
    (void)state;
    const char *args[] = {"--repo",         g.good_repo, "--state", new_state_dir(),
                          "--grace-period", "1500",      NULL};
    ts_server *srv = start(0, args, true);
    assert_int_equal(status_of(srv, "GET", "/v2/health/ready", NULL), 200);

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(kill(srv->pid, SIGTERM), 0);
    assert_true(ts_server_wait_log(srv, "received: not ready", 2000));

    /* During the grace period: not ready, still live, and still serving requests. */
    assert_int_equal(status_of(srv, "GET", "/v2/health/ready", NULL), 400);
    assert_int_equal(status_of(srv, "GET", "/v2/health/live", NULL), 200);
    assert_int_equal(status_of(srv, "GET", "/v2/models/bc_xgb/ready", NULL), 400);
    assert_infers(srv, "bc_xgb");
    assert_true(elapsed_ms(&t0) < 1500);

    assert_int_equal(ts_server_wait(srv, 20000), 0);
    assert_true(elapsed_ms(&t0) >= 1400);
    assert_non_null(strstr(srv->log, "\"msg\":\"stopped\""));
    assert_null(strstr(srv->log, "drain timeout"));
    assert_int_equal(ts_server_stop(srv), -1); /* already exited: frees the log */
}

static void test_request_in_flight_completes(void **state)
{
    (void)state;
    const char *args[] = {"--repo",          g.good_repo,      "--state",
                          new_state_dir(),   "--grace-period", "200",
                          "--drain-timeout", "15000",          NULL};
    ts_server *srv = start(0, args, true);
    char *body = row_request(7);
    size_t len = strlen(body), half = len / 2;
    int fd = ts_connect(srv->port);
    assert_true(fd >= 0);
    char head[512];
    snprintf(head, sizeof head,
             "POST /v2/models/bc_xgb/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
             len);
    assert_true(ts_send_all(fd, head, strlen(head)));
    assert_true(ts_send_all(fd, body, half));
    usleep(300 * 1000); /* the server has the headers: the request is in flight */

    assert_int_equal(kill(srv->pid, SIGTERM), 0);
    assert_true(ts_server_wait_log(srv, "received: not ready", 2000));
    /* Wait until the grace period is over and the listener is closed (new connections refused). */
    bool refused = false;
    for (int i = 0; i < 100 && !refused; i++) {
        int probe = ts_connect(srv->port);
        refused = probe < 0;
        if (!refused) {
            close(probe);
            usleep(50 * 1000);
        }
    }
    assert_true(refused);

    /* The request in flight still gets its answer. */
    assert_true(ts_send_all(fd, body + half, len - half));
    ts_response resp;
    assert_true(ts_read_response(fd, &resp));
    close(fd);
    free(body);
    assert_row_prediction(&resp, 7);
    ts_response_free(&resp);

    assert_int_equal(ts_server_wait(srv, 20000), 0);
    assert_null(strstr(srv->log, "drain timeout"));
    assert_int_equal(ts_server_stop(srv), -1);
}

/* Keep-alive clients that send request after request to a one-instance model (their connections
 * suspended while their requests queue) until `stop`; run on threads, so they assert nothing. */
#define STOP_CLIENTS 16
#define STOP_ROWS    400

static struct {
    atomic_bool stop;
    int port;
    char *request;
    size_t request_len;
} load;

/* Reads one Content-Length-framed response; false when the connection ends first. */
static bool read_one_response(int fd)
{
    char buf[16384];
    size_t used = 0;
    char *end = NULL;
    while (end == NULL) {
        if (used == sizeof buf - 1)
            return false;
        ssize_t n = recv(fd, buf + used, sizeof buf - 1 - used, 0);
        if (n <= 0)
            return false;
        used += (size_t)n;
        buf[used] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    const char *length = strcasestr(buf, "Content-Length:");
    if (length == NULL || length > end)
        return false;
    size_t want = (size_t)(end + 4 - buf) + strtoul(length + 15, NULL, 10);
    while (used < want) {
        ssize_t n = recv(fd, buf, sizeof buf < want - used ? sizeof buf : want - used, 0);
        if (n <= 0)
            return false;
        used += (size_t)n;
    }
    return true;
}

static void *keep_requesting(void *arg)
{
    (void)arg;
    while (!atomic_load(&load.stop)) {
        int fd = ts_connect(load.port);
        if (fd < 0) { /* the server has stopped listening */
            usleep(1000);
            continue;
        }
        while (!atomic_load(&load.stop) && ts_send_all(fd, load.request, load.request_len) &&
               read_one_response(fd))
            ;
        close(fd);
    }
    return NULL;
}

/* The queue depth of the one-instance bc_xgb (-1 when the metrics do not show it). */
static double queue_depth(ts_server *srv)
{
    ts_response resp;
    assert_true(ts_server_http(srv, "GET", "/metrics", NULL, NULL, 0, &resp));
    const char *series = "ferry_queue_depth{model=\"bc_xgb\",version=\"1\"} ";
    const char *at = strstr(resp.body, series);
    double depth = at != NULL ? strtod(at + strlen(series), NULL) : -1;
    ts_response_free(&resp);
    return depth;
}

/* SIGTERM with no grace period and no drain while clients keep requests queued: connections are
 * suspended, resumed by a finished job or by the stop, and read by the HTTP workers all at once.
 * The server must exit 0 every time (libmicrohttpd aborts the process when a daemon stops with a
 * connection still suspended: one resumed by its job just as the stop swept the suspended list,
 * or suspended by a worker just after it). A race, so several rounds. */
static void test_stop_with_requests_queued(void **state)
{
    (void)state;
    char *row = row_request(3); /* {"inputs":[{...,"shape":[1,30],"data":[30 values]}]} */
    const char *values = strstr(row, "\"data\":[") + 8;
    size_t values_len = strcspn(values, "]");
    size_t cap = STOP_ROWS * (values_len + 1) + 512;
    char *body = malloc(cap);
    assert_non_null(body);
    size_t n = (size_t)snprintf(body, cap,
                                "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\","
                                "\"shape\":[%d,30],\"data\":[",
                                STOP_ROWS);
    for (int r = 0; r < STOP_ROWS; r++)
        n += (size_t)snprintf(body + n, cap - n, "%s%.*s", r ? "," : "", (int)values_len, values);
    n += (size_t)snprintf(body + n, cap - n, "]}]}");
    free(row);
    load.request = malloc(n + 512);
    assert_non_null(load.request);
    int head = snprintf(load.request, 512,
                        "POST /v2/models/bc_xgb/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                        n);
    memcpy(load.request + head, body, n);
    load.request_len = (size_t)head + n;
    free(body);

    for (int round = 0; round < 8; round++) {
        const char *args[] = {"--repo", g.queue_repo,     "--state", new_state_dir(),   "--threads",
                              "4",      "--grace-period", "0",       "--drain-timeout", "0",
                              NULL};
        ts_server *srv = start(0, args, true);
        load.port = srv->port;
        atomic_store(&load.stop, false);
        pthread_t clients[STOP_CLIENTS];
        for (int c = 0; c < STOP_CLIENTS; c++)
            assert_int_equal(pthread_create(&clients[c], NULL, keep_requesting, NULL), 0);
        double depth = 0;
        for (int i = 0; i < 2000 && depth < 2; i++) {
            depth = queue_depth(srv);
            usleep(1000);
        }
        int signalled = kill(srv->pid, SIGTERM);
        int status = ts_server_wait(srv, 20000);
        atomic_store(&load.stop, true);
        for (int c = 0; c < STOP_CLIENTS; c++)
            pthread_join(clients[c], NULL);
        assert_true(depth >= 2); /* requests were queued: their connections suspended */
        assert_int_equal(signalled, 0);
        if (status != 0)
            fprintf(stderr, "test: round %d: exit status %d; the log ends:\n%s\n", round, status,
                    srv->log_len > 2000 ? srv->log + srv->log_len - 2000 : srv->log);
        assert_int_equal(status, 0);
        assert_int_equal(ts_server_stop(srv), -1); /* already exited: frees the log */
    }
    free(load.request);
    load.request = NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Usage                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static void test_usage(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = run(&out, "'%s' serve --bogus 2>&1", ts_ferry_bin());
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "--bogus"));
    free(out);

    rc = run(&out, "'%s' serve --http-port 70000 2>&1", ts_ferry_bin());
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "--http-port"));
    free(out);

    rc = run(&out, "'%s' serve --strict-readiness maybe 2>&1", ts_ferry_bin());
    assert_int_equal(rc, 2);
    free(out);

    rc = run(&out, "'%s' serve --help", ts_ferry_bin());
    assert_int_equal(rc, 0);
    const char *options[] = {
        "--repo",       "--name",          "--http-port",     "--grpc-port",
        "--host",       "--state",         "--log-level",     "--strict-readiness",
        "--body-limit", "--idle-timeout",  "--grace-period",  "--drain-timeout",
        "FERRY_REPO",   "FERRY_HTTP_PORT", "FERRY_GRPC_PORT", "--grpc-threads"};
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        if (strstr(out, options[i]) == NULL)
            fprintf(stderr, "test: serve --help does not mention %s\n", options[i]);
        assert_non_null(strstr(out, options[i]));
    }
    free(out);

    /* A repository that does not exist: exit 1 naming it. */
    rc = run(&out, "timeout 60 '%s' serve --repo '%s/no-repo' --http-port 0 --state '%s' 2>&1",
             ts_ferry_bin(), g.tmp, new_state_dir());
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "no-repo"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_broken_models_strict, teardown),
        cmocka_unit_test_teardown(test_broken_models_relaxed, teardown),
        cmocka_unit_test_teardown(test_startup_time_logged, teardown),
        cmocka_unit_test_teardown(test_serve_artifact, teardown),
        cmocka_unit_test_teardown(test_environment_defaults, teardown),
        cmocka_unit_test_teardown(test_flags_win_over_environment, teardown),
        cmocka_unit_test_teardown(test_grpc_port_options, teardown),
        cmocka_unit_test_teardown(test_sigterm_grace_period, teardown),
        cmocka_unit_test_teardown(test_request_in_flight_completes, teardown),
        cmocka_unit_test_teardown(test_stop_with_requests_queued, teardown),
        cmocka_unit_test_teardown(test_usage, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
