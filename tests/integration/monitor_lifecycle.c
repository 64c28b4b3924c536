/* The monitor across a version's life on a real `ferry serve`: bc_xgb registered with its training
 * CSV as model `bc` (validation warn, drift windows of 50 rows, feedback window of 50 labelled
 * rows) and as `bc_timed` (drift windows of 1 s). Checked: a time window closes by its timer on an
 * idle model and again on a later arrival; the drift, validation and performance gauges pass
 * `promtool check metrics`; after a restart on the same state store /performance and the
 * performance gauges equal those before it (relabelled rows included); and when version 2 is
 * deployed, version 1's drift, validation and performance series leave /metrics. */
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

static struct {
    char *tmp;
    char repo[4096], state[4200];
    ts_server srv;
    json_t *inputs; /* bc_xgb test_inputs.json: 114 rows of 30 */
} g;

static const char json_ct[] = "Content-Type: application/json\r\n";

/* Registers bc_xgb's model.json as a new version of `name` with the training data; appends yaml
 * to model.yaml when not NULL. */
static void register_version(const char *name, const char *yaml)
{
    char cmd[16384], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "'%s' register %s '%s/bc_xgb/model.json' --repo '%s' --create --data '%s' "
             "--label target 2>&1",
             ts_ferry_bin(), name, ts_shared("models"), g.repo,
             ts_source("examples/models/breast_cancer/data/train.csv"));
    int rc = ts_run(cmd, &out);
    if (rc != 0)
        fail_msg("register %s: %s", name, out);
    free(out);
    if (yaml == NULL)
        return;
    char path[4400];
    snprintf(path, sizeof path, "%s/%s/model.yaml", g.repo, name);
    char *old = ts_read_file(path, NULL);
    char *text = malloc(strlen(old ? old : "") + strlen(yaml) + 1);
    sprintf(text, "%s%s", old ? old : "", yaml);
    ts_write_file(path, text);
    free(text);
    free(old);
}

static void start_server(void)
{
    const char *args[] = {"--repo", g.repo, "--state", g.state, "--grpc-port", "off", NULL};
    ts_server_start_ok(&g.srv, args);
}

static int group_setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    char path[4300];
    snprintf(g.repo, sizeof g.repo, "%s/models", g.tmp);
    snprintf(g.state, sizeof g.state, "%s/state", g.tmp);
    snprintf(path, sizeof path, "%s/.keep", g.repo);
    ts_write_file(path, "");
    register_version("bc", "task: binary\nfeedback_window: 50\ndrift: {window: 50}\n"
                           "payload_log: {sample: 1.0}\n");
    register_version("bc_timed", "drift: {window: 1s}\n");
    snprintf(path, sizeof path, "%s/bc_xgb/test_inputs.json", ts_shared("models"));
    g.inputs = ts_load_json(path);
    start_server();
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

/* An infer body of test row `row` (mean_radius set to 1000 when `outlier`) with id (or none). */
static char *infer_body(const char *id, size_t row, bool outlier)
{
    json_t *data = json_object_get(g.inputs, "data");
    json_t *values = json_array();
    for (size_t i = row * 30; i < row * 30 + 30; i++)
        json_array_append(values, json_array_get(data, i));
    if (outlier)
        json_array_set_new(values, 0, json_real(1000));
    json_t *body = json_pack("{s:[{s:s,s:s,s:[i,i],s:o}]}", "inputs", "name", "input", "datatype",
                             "FP32", "shape", 1, 30, "data", values);
    if (id != NULL)
        json_object_set_new(body, "id", json_string(id));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

static int post(const char *path, const char *body)
{
    ts_response resp;
    if (!ts_server_http(&g.srv, "POST", path, json_ct, body, strlen(body), &resp))
        fail_msg("POST %s failed; server log:\n%s", path, g.srv.log ? g.srv.log : "");
    int status = resp.status;
    if (status != 200)
        fprintf(stderr, "test: POST %s: %d %s\n", path, status, resp.body);
    ts_response_free(&resp);
    return status;
}

static void infer(const char *model, const char *id, size_t row, bool outlier)
{
    char path[256];
    snprintf(path, sizeof path, "/v2/models/%s/infer", model);
    char *body = infer_body(id, row, outlier);
    assert_int_equal(post(path, body), 200);
    free(body);
}

/* GET path; its body (malloc'ed) after asserting 200. */
static char *get_text(const char *path)
{
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", path, NULL, NULL, 0, &resp));
    if (resp.status != 200)
        fail_msg("GET %s: %d %s", path, resp.status, resp.body);
    char *text = strdup(resp.body);
    ts_response_free(&resp);
    return text;
}

static json_t *get_json(const char *path)
{
    char *text = get_text(path);
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(doc);
    return doc;
}

/* The drift answer once windows_completed reaches `windows` (polled for up to 5 s). */
static json_t *drift_after(const char *model, json_int_t windows)
{
    char path[256];
    snprintf(path, sizeof path, "/v2/models/%s/drift", model);
    for (int i = 0; i < 100; i++) {
        json_t *d = get_json(path);
        if (json_integer_value(json_object_get(d, "windows_completed")) >= windows)
            return d;
        json_decref(d);
        usleep(50 * 1000);
    }
    fail_msg("%s: window %lld never completed", path, (long long)windows);
    return NULL;
}

/* The lines of text that start with prefix, in order (malloc'ed). */
static char *lines_starting(const char *text, const char *prefix)
{
    size_t cap = strlen(text) + 1, used = 0;
    char *out = calloc(cap, 1);
    for (const char *p = text; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
        if (strncmp(p, prefix, strlen(prefix)) == 0) {
            memcpy(out + used, p, len);
            used += len;
        }
        p = nl != NULL ? nl + 1 : NULL;
    }
    return out;
}

static void promtool_accepts(const char *page)
{
    char path[4300], cmd[8800], *out = NULL;
    snprintf(path, sizeof path, "%s/scrape.txt", g.tmp);
    ts_write_file(path, page);
    snprintf(cmd, sizeof cmd, "promtool check metrics < '%s' 2>&1", path);
    int rc = ts_run(cmd, &out);
    if (rc != 0)
        fail_msg("promtool check metrics exited %d:\n%s", rc, out);
    free(out);
}

/* ---- time windows ---------------------------------------------------------------------------- */

/* 10 rows then idleness: the 1 s window closes by the monitor's timer. 5 rows, then one more
 * after the window's time: the late arrival closes the second and starts a third. */
static void test_time_window(void **state)
{
    (void)state;
    for (size_t i = 0; i < 10; i++)
        infer("bc_timed", NULL, i, false);
    json_t *d = get_json("/v2/models/bc_timed/drift");
    assert_true(json_is_null(json_object_get(d, "report")));
    assert_int_equal(json_integer_value(json_object_get(d, "partial_window_rows")), 10);
    assert_string_equal(json_string_value(json_object_get(d, "window_duration")), "1s");
    assert_true(json_is_null(json_object_get(d, "window_size")));
    json_decref(d);
    d = drift_after("bc_timed", 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "window"), "rows")), 10);
    assert_int_equal(json_integer_value(json_object_get(d, "partial_window_rows")), 0);
    assert_int_equal(json_array_size(json_object_get(d, "features")), 30);
    json_decref(d);
    for (size_t i = 0; i < 5; i++)
        infer("bc_timed", NULL, 20 + i, false);
    d = drift_after("bc_timed", 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "window"), "rows")), 5);
    json_decref(d);
    infer("bc_timed", NULL, 30, false);
    d = get_json("/v2/models/bc_timed/drift");
    assert_int_equal(json_integer_value(json_object_get(d, "partial_window_rows")), 1);
    json_decref(d);
}

/* ---- restart ------------------------------------------------------------------------------- */

/* 60 requests to bc (one out of range), 60 labels, then relabels: r5 (already out of the
 * 50-row window: back in as the newest) and r30 (in it: moved to the newest). */
static void feed_bc(void)
{
    json_t *labels = json_array();
    for (size_t i = 0; i < 60; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%zu", i);
        infer("bc", id, i, i == 7);
        json_array_append_new(labels, json_pack("{s:s,s:i}", "id", id, "label", (int)(i % 3 != 0)));
    }
    char *text = json_dumps(labels, JSON_COMPACT);
    assert_int_equal(post("/v2/models/bc/feedback", text), 200);
    free(text);
    json_decref(labels);
    assert_int_equal(post("/v2/models/bc/feedback", "{\"id\":\"r5\",\"label\":1}"), 200);
    assert_int_equal(post("/v2/models/bc/feedback", "{\"id\":\"r30\",\"label\":1}"), 200);
}

static void test_gauges_and_restart(void **state)
{
    (void)state;
    feed_bc();
    json_t *d = drift_after("bc", 1);
    json_decref(d);
    char *before = get_text("/v2/models/bc/performance");
    json_t *perf = json_loads(before, 0, NULL);
    json_t *v = json_array_get(json_object_get(perf, "versions"), 0);
    assert_int_equal(json_integer_value(json_object_get(v, "rows")), 50);
    json_decref(perf);
    char *page = get_text("/metrics");
    const char *needles[] = {
        "ferry_feature_drifted{model=\"bc\",version=\"1\",feature=\"mean_radius\"} ",
        "ferry_dataset_drift{model=\"bc\",version=\"1\"} ",
        "ferry_validation_violations_total{model=\"bc\",version=\"1\",feature=\"mean_radius\","
        "rule=\"max\"} 1\n",
        "ferry_model_accuracy{model=\"bc\",version=\"1\"} ",
        "ferry_model_labelled_rows{model=\"bc\",version=\"1\"} 50\n",
        "# HELP ferry_model_accuracy ",
        "# TYPE ferry_model_roc_auc gauge\n",
    };
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        if (strstr(page, needles[i]) == NULL)
            fail_msg("/metrics lacks '%s':\n%s", needles[i], page);
    promtool_accepts(page);
    char *gauges = lines_starting(page, "ferry_model_");

    assert_int_equal(ts_server_stop(&g.srv), 0);
    start_server();
    assert_true(ts_server_wait_log(&g.srv, "rebuilt from the state store: 50 labelled rows", 1000));
    char *after = get_text("/v2/models/bc/performance");
    assert_string_equal(after, before);
    char *page2 = get_text("/metrics");
    char *gauges2 = lines_starting(page2, "ferry_model_");
    assert_string_equal(gauges2, gauges);
    free(before);
    free(after);
    free(page);
    free(page2);
    free(gauges);
    free(gauges2);
}

/* ---- unload -------------------------------------------------------------------------------- */

/* Polls /metrics for up to 10 s until version 1's ferry_model_info is gone; returns the page. */
static char *metrics_without_v1(void)
{
    for (int i = 0; i < 200; i++) {
        char *page = get_text("/metrics");
        if (strstr(page, "ferry_model_info{model=\"bc\",version=\"1\"") == NULL &&
            strstr(page, "ferry_model_info{model=\"bc\",version=\"2\"") != NULL)
            return page;
        free(page);
        usleep(50 * 1000);
    }
    fail_msg("version 1 of bc never unloaded; server log:\n%s", g.srv.log ? g.srv.log : "");
    return NULL;
}

static void test_unload_removes_gauges(void **state)
{
    (void)state;
    /* The restarted server measures and counts version 1 again. */
    for (size_t i = 0; i < 50; i++)
        infer("bc", NULL, i, i == 3);
    json_decref(drift_after("bc", 1));
    char *page = get_text("/metrics");
    assert_non_null(strstr(page, "ferry_feature_drift_score{model=\"bc\",version=\"1\""));
    assert_non_null(strstr(page, "ferry_validation_violations_total{model=\"bc\",version=\"1\""));
    assert_non_null(strstr(page, "ferry_model_accuracy{model=\"bc\",version=\"1\""));
    free(page);

    register_version("bc", NULL);
    char cmd[8192], *out = NULL;
    snprintf(cmd, sizeof cmd, "'%s' deploy bc 2 --repo '%s' 2>&1", ts_ferry_bin(), g.repo);
    if (ts_run(cmd, &out) != 0)
        fail_msg("deploy: %s", out);
    free(out);
    page = metrics_without_v1();
    const char *families[] = {"ferry_feature_drift_score",
                              "ferry_feature_drifted",
                              "ferry_dataset_drift",
                              "ferry_feature_missing_ratio",
                              "ferry_validation_violations_total",
                              "ferry_model_accuracy",
                              "ferry_model_labelled_rows",
                              "ferry_model_roc_auc"};
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        char needle[256];
        snprintf(needle, sizeof needle, "%s{model=\"bc\",version=\"1\"", families[i]);
        if (strstr(page, needle) != NULL)
            fail_msg("stale series %s after unload:\n%s", needle, page);
    }
    promtool_accepts(page);
    free(page);
    json_t *perf = get_json("/v2/models/bc/performance");
    assert_int_equal(json_array_size(json_object_get(perf, "versions")), 0);
    json_decref(perf);
    /* Version 2 gets its own series. */
    infer("bc", NULL, 0, true);
    page = get_text("/metrics");
    assert_non_null(strstr(page, "ferry_validation_violations_total{model=\"bc\",version=\"2\","
                                 "feature=\"mean_radius\",rule=\"max\"} 1\n"));
    free(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_window),
        cmocka_unit_test(test_gauges_and_restart),
        cmocka_unit_test(test_unload_removes_gauges),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
