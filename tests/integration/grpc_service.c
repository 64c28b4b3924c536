/* The gRPC front end of a real `ferry serve`, driven by a client on Debian's python3-grpcio
 * (tests/integration/grpc/client.py) with stubs generated at test time by python3-grpc-tools from
 * proto/grpc_service.proto: every rpc, typed and raw contents of every datatype (through an
 * Identity model built here), the error statuses, statistics consistent with the requests sent
 * over both protocols (ModelStatistics, GET .../stats, the metrics' protocol label), the repository
 * rpcs with and without an admin token, and readiness while draining. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "onnx_model.h"
#include "test_support.h"

#define PYTHON "/usr/bin/python3"

static struct {
    char *tmp;
    char repo[4096];
    char stubs[4096];
    ts_server srv;
} g;

static const char json_ct[] = "Content-Type: application/json\r\n";

/* ------------------------------------------------------------------------------------------ */
/* Setup                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* `types`: one Identity per input, for every datatype the codec converts. */
static void write_types_model(const char *path)
{
    static const struct {
        const char *name;
        ferry_dtype dtype;
        int ndim;
    } io[] = {
        {"i64", FERRY_DTYPE_INT64, 2},  {"flag", FERRY_DTYPE_BOOL, 1},
        {"text", FERRY_DTYPE_BYTES, 1}, {"i8", FERRY_DTYPE_INT8, 1},
        {"u16", FERRY_DTYPE_UINT16, 1}, {"f64", FERRY_DTYPE_FP64, 1},
        {"h", FERRY_DTYPE_FP16, 1},
    };
    ts_onnx_model *b = ts_onnx_create(13);
    for (size_t i = 0; i < sizeof io / sizeof io[0]; i++) {
        int64_t shape[2] = {-1, 2};
        char out[16], edge[64];
        snprintf(out, sizeof out, "o_%s", io[i].name);
        ts_onnx_input(b, io[i].name, io[i].dtype, io[i].ndim, shape);
        ts_onnx_output(b, out, io[i].dtype, io[i].ndim, shape);
        snprintf(edge, sizeof edge, "%s", io[i].name);
        ts_onnx_node(b, "Identity", edge, out);
    }
    ts_onnx_write(b, path);
    ts_onnx_destroy(b);
}

/* The Python stubs, generated from the repository's .proto into g.stubs. */
static void generate_stubs(void)
{
    char proto_dir[4096], cmd[16384], *out = NULL;
    snprintf(proto_dir, sizeof proto_dir, "%s", ts_source("proto"));
    snprintf(g.stubs, sizeof g.stubs, "%s/stubs", g.tmp);
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s' && " PYTHON " -m grpc_tools.protoc -I'%s' --python_out='%s' "
             "--grpc_python_out='%s' '%s/grpc_service.proto' 2>&1",
             g.stubs, proto_dir, g.stubs, g.stubs, proto_dir);
    int rc = ts_run(cmd, &out);
    if (rc != 0)
        fprintf(stderr, "test: python3-grpc-tools failed (%d): %s\n", rc, out);
    assert_int_equal(rc, 0);
    free(out);
}

static int group_setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    snprintf(g.repo, sizeof g.repo, "%s/models", g.tmp);
    ts_repo_add(g.repo, "bc_xgb", "1", "bc_xgb", "model.json");
    char path[4200];
    snprintf(path, sizeof path, "%s/types/1/model.onnx", g.repo);
    ts_write_file(path, ""); /* creates the folders */
    write_types_model(path);
    generate_stubs();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    ts_server_stop(&g.srv);
    ts_rmtree(g.tmp);
    free(g.tmp);
    return 0;
}

static void start_server(ts_server *srv, const char *admin_token)
{
    char state_dir[4200];
    snprintf(state_dir, sizeof state_dir, "%s/state", g.tmp);
    const char *args[] = {"--repo",
                          g.repo,
                          "--state",
                          state_dir,
                          "--body-limit",
                          "1048576",
                          admin_token ? "--admin-token" : NULL,
                          admin_token,
                          NULL};
    ts_server_start_ok(srv, args);
    assert_true(srv->grpc_port > 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Runs client.py with `extra` arguments against srv; returns its exit status and output. */
static int run_client(ts_server *srv, const char *extra, char **out)
{
    char cmd[16384], out_path[4200];
    snprintf(out_path, sizeof out_path, "%s/client.out", g.tmp);
    snprintf(cmd, sizeof cmd, "exec " PYTHON " '%s' --stubs '%s' --port %d %s >'%s' 2>&1",
             ts_source("tests/integration/grpc/client.py"), g.stubs, srv->grpc_port, extra,
             out_path);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    for (int waited = 0; waitpid(pid, &status, WNOHANG) != pid; waited += 10) {
        if (waited > 240000) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        ts_server_read_log(srv);
        usleep(10000);
    }
    *out = ts_read_file(out_path, NULL);
    assert_non_null(*out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* POSTs rows [first, first+rows) of bc_xgb's test split over REST; returns the status. */
static int rest_infer(int first, int rows, int features)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/bc_xgb/test_inputs.json", ts_shared("models"));
    json_t *inputs = ts_load_json(path);
    json_t *data = json_array();
    for (int i = first * 30; i < (first + rows) * 30 && i % 30 < features; i++)
        json_array_append(data, json_array_get(json_object_get(inputs, "data"), (size_t)i));
    json_t *req = json_pack("{s:[{s:s,s:s,s:[i,i],s:o}]}", "inputs", "name", "input", "datatype",
                            "FP32", "shape", rows, features, "data", data);
    char *body = json_dumps(req, JSON_COMPACT);
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "POST", "/v2/models/bc_xgb/infer", json_ct, body,
                               strlen(body), &resp));
    int status = resp.status;
    ts_response_free(&resp);
    free(body);
    json_decref(req);
    json_decref(inputs);
    return status;
}

static json_t *get_json(const char *path, int want_status)
{
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", path, NULL, NULL, 0, &resp));
    if (resp.status != want_status)
        fprintf(stderr, "test: GET %s: %d %s\n", path, resp.status, resp.body);
    assert_int_equal(resp.status, want_status);
    json_t *doc = ts_response_json(&resp);
    ts_response_free(&resp);
    return doc;
}

/* The value of the sample `line` (a full series name with labels) on the metrics page, or -1. */
static double metric(const char *page, const char *series)
{
    char needle[512];
    snprintf(needle, sizeof needle, "\n%s ", series);
    const char *p = strstr(page, needle);
    return p != NULL ? atof(p + strlen(needle)) : -1;
}

static json_int_t stat_count(json_t *model_stats, const char *key)
{
    json_t *d = json_object_get(json_object_get(model_stats, "inference_stats"), key);
    return json_integer_value(json_object_get(d, "count"));
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static void assert_metrics(json_t *counts)
{
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", "/metrics", NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    const char *page = resp.body;
    double ok =
        metric(page, "ferry_requests_total{model=\"bc_xgb\",version=\"1\",protocol=\"grpc\","
                     "code=\"OK\"}");
    double bad = metric(page, "ferry_requests_total{model=\"bc_xgb\",version=\"1\","
                              "protocol=\"grpc\",code=\"INVALID_ARGUMENT\"}");
    double unknown = metric(page, "ferry_requests_total{model=\"_unknown\",version=\"\","
                                  "protocol=\"grpc\",code=\"NOT_FOUND\"}");
    double rest = metric(page, "ferry_requests_total{model=\"bc_xgb\",version=\"1\","
                               "protocol=\"rest\",code=\"200\"}");
    assert_int_equal((json_int_t)ok, json_integer_value(json_object_get(counts, "success")));
    assert_int_equal((json_int_t)bad, json_integer_value(json_object_get(counts, "fail")));
    assert_true(unknown >= 1);
    assert_int_equal((int)rest, 2);
    assert_true(metric(page, "ferry_request_duration_seconds_count{model=\"bc_xgb\",version=\"1\","
                             "protocol=\"grpc\"}") > 0);
    ts_response_free(&resp);
}

/* REST's view of the statistics matches the requests both protocols sent. */
static void assert_rest_stats(json_t *counts)
{
    json_t *doc = get_json("/v2/models/bc_xgb/stats", 200);
    json_t *s = json_array_get(json_object_get(doc, "model_stats"), 0);
    json_int_t success = json_integer_value(json_object_get(counts, "success")) + 2;
    json_int_t fail = json_integer_value(json_object_get(counts, "fail")) + 1;
    json_int_t rows = json_integer_value(json_object_get(counts, "rows")) + 4;
    assert_int_equal(stat_count(s, "success"), success);
    assert_int_equal(stat_count(s, "fail"), fail);
    assert_int_equal(json_integer_value(json_object_get(s, "inference_count")), rows);
    assert_int_equal(json_integer_value(json_object_get(s, "execution_count")), success);
    json_decref(doc);
}

/* An id the server generated for a gRPC request was logged without an id-index row and is found
 * by its time: feedback for it after a restart (nothing in memory) answers 200. */
static void assert_generated_id_found(const char *id)
{
    char state_dir[4300];
    snprintf(state_dir, sizeof state_dir, "%s/state", g.tmp);
    assert_int_equal(ts_state_id_rows(state_dir, id), 0);

    start_server(&g.srv, NULL);
    char body[256];
    snprintf(body, sizeof body, "{\"id\": \"%s\", \"label\": 1}", id);
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "POST", "/v2/models/bc_xgb/feedback", json_ct, body,
                               strlen(body), &resp));
    if (resp.status != 200)
        fprintf(stderr, "feedback for %s: %d %s\n", id, resp.status, resp.body ? resp.body : "");
    assert_int_equal(resp.status, 200);
    ts_response_free(&resp);
    assert_int_equal(ts_server_stop(&g.srv), 0);
}

static void test_every_rpc(void **state)
{
    (void)state;
    start_server(&g.srv, NULL);
    /* REST first: two successes (3 rows, 1 row) and a failure, which the client's statistics
     * checks add to its own. */
    assert_int_equal(rest_infer(0, 3, 30), 200);
    assert_int_equal(rest_infer(5, 1, 30), 200);
    assert_int_equal(rest_infer(0, 1, 29), 400);

    char extra[16384], *out = NULL;
    char inputs[4096], expected[4096], repo_copy[4096];
    snprintf(inputs, sizeof inputs, "%s/bc_xgb/test_inputs.json", ts_shared("models"));
    snprintf(expected, sizeof expected, "%s/bc_xgb/expected.json", ts_shared("models"));
    snprintf(repo_copy, sizeof repo_copy, "%s", g.repo);
    snprintf(extra, sizeof extra,
             "--inputs '%s' --expected '%s' --repo-name '%s' --rest-success 2 --rest-fail 1 "
             "--rest-rows 4 --rest-batches '{\"3\": 1, \"1\": 1}'",
             inputs, expected, basename(repo_copy));
    int rc = run_client(&g.srv, extra, &out);
    if (rc != 0 || strstr(out, "FAIL") != NULL)
        fprintf(stderr, "test: client.py exited %d:\n%s\n", rc, out);
    assert_int_equal(rc, 0);
    assert_null(strstr(out, "FAIL"));
    assert_non_null(strstr(out, "ok stats_success_count"));
    assert_non_null(strstr(out, "ok types_raw_text"));
    const char *line = strstr(out, "\ncounts ");
    assert_non_null(line);
    json_t *counts = json_loads(line + strlen("\ncounts "), JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(counts);
    char generated[64] = "";
    line = strstr(out, "\ngenerated-id ");
    assert_non_null(line);
    assert_int_equal(sscanf(line, "\ngenerated-id %63s", generated), 1);
    free(out);

    assert_rest_stats(counts);
    assert_metrics(counts);
    json_decref(counts);
    /* REST still serves after every gRPC error. */
    assert_int_equal(rest_infer(1, 2, 30), 200);
    assert_int_equal(ts_server_stop(&g.srv), 0);
    assert_generated_id_found(generated);
}

static void test_admin_token(void **state)
{
    (void)state;
    char repo[4200];
    snprintf(repo, sizeof repo, "%s/types", g.repo);
    char moved[4200];
    snprintf(moved, sizeof moved, "%s/types-aside", g.tmp);
    assert_int_equal(rename(repo, moved), 0); /* this server: bc_xgb only */
    start_server(&g.srv, "s3cret");
    char *out = NULL;
    int rc = run_client(&g.srv, "--mode auth --token s3cret", &out);
    if (rc != 0)
        fprintf(stderr, "test: client.py --mode auth exited %d:\n%s\n", rc, out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "ok auth_right_token"));
    free(out);
    assert_int_equal(ts_server_stop(&g.srv), 0);
    assert_int_equal(rename(moved, repo), 0);
}

/* After SIGTERM the gRPC server reports not ready (still live) during the grace period, then
 * drains and the process exits 0. */
static void test_not_ready_while_draining(void **state)
{
    (void)state;
    char state_dir[4200];
    snprintf(state_dir, sizeof state_dir, "%s/state", g.tmp);
    const char *args[] = {"--repo", g.repo, "--state", state_dir, "--grace-period", "3000", NULL};
    assert_true(ts_server_start(&g.srv, args));
    char *out = NULL;
    assert_int_equal(run_client(&g.srv, "--mode ready", &out), 0);
    assert_non_null(strstr(out, "ready true"));
    free(out);
    kill(g.srv.pid, SIGTERM);
    assert_int_equal(run_client(&g.srv, "--mode ready", &out), 0);
    assert_non_null(strstr(out, "live true"));
    assert_non_null(strstr(out, "ready false"));
    free(out);
    assert_int_equal(ts_server_wait(&g.srv, 30000), 0);
    ts_server_stop(&g.srv);
}

/* Queued ModelInfer calls park without holding a polling thread (with two polling threads, one
 * running a call inline, the other still queues several that then run as one batch), a full queue
 * answers RESOURCE_EXHAUSTED, a `timeout` parameter that passes in the queue DEADLINE_EXCEEDED
 * (such requests never run), and the rejections are counted. */
static void test_queue(void **state)
{
    (void)state;
    char repo[4200], path[4300], state_dir[4200];
    snprintf(repo, sizeof repo, "%s/queue-models", g.tmp);
    snprintf(path, sizeof path, "%s/slow/1/model.onnx", repo);
    ts_onnx_write_slow_identity(path, 512, 12);
    snprintf(path, sizeof path, "%s/slow/model.yaml", repo);
    ts_write_file(path, "instances: 1\nbatching:\n  max_batch_size: 64\n"
                        "  max_queue_delay_us: 2000\n  max_queue_size: 6\n");
    snprintf(state_dir, sizeof state_dir, "%s/state-queue", g.tmp);
    const char *args[] = {"--repo", repo, "--state", state_dir, "--grpc-threads", "2", NULL};
    ts_server_start_ok(&g.srv, args);
    char *out = NULL;
    int rc = run_client(&g.srv, "--mode queue", &out);
    if (rc != 0)
        fprintf(stderr, "test: client.py --mode queue exited %d:\n%s\n", rc, out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "ok queue_batched"));
    free(out);
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", "/metrics", NULL, NULL, 0, &resp));
    assert_non_null(strstr(
        resp.body,
        "ferry_requests_rejected_total{model=\"slow\",version=\"1\",reason=\"queue_full\"}"));
    assert_non_null(
        strstr(resp.body,
               "ferry_requests_rejected_total{model=\"slow\",version=\"1\",reason=\"timeout\"}"));
    ts_response_free(&resp);
    assert_int_equal(ts_server_stop(&g.srv), 0);
}

/* Stops a server a failed test left running (it would hold ctest's output open). */
static int teardown(void **state)
{
    (void)state;
    ts_server_stop(&g.srv);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_every_rpc, teardown),
        cmocka_unit_test_teardown(test_admin_token, teardown),
        cmocka_unit_test_teardown(test_not_ready_while_draining, teardown),
        cmocka_unit_test_teardown(test_queue, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
