/* The statistics extension over REST on a real `ferry serve`: GET /v2/models/stats,
 * /v2/models/{name}/stats and /v2/models/{name}/versions/{v}/stats with the exact JSON of the spec
 * (section 3.3), counters consistent with the requests sent (per version, successes, failures,
 * inference and execution counts, batch sizes), and the 404/405 answers. */
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
    ts_server srv;
    json_t *inputs; /* bc_xgb test_inputs.json */
} g;

static const char json_ct[] = "Content-Type: application/json\r\n";

static int group_setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    char repo[4096], path[4200], st[4200];
    snprintf(repo, sizeof repo, "%s/models", g.tmp);
    ts_repo_add(repo, "bc_xgb", "1", "bc_xgb", "model.json");
    ts_repo_add(repo, "bc_xgb", "2", "bc_xgb", "model.json");
    ts_repo_add(repo, "diabetes_xgb", "1", "diabetes_xgb", "model.json");
    snprintf(path, sizeof path, "%s/bc_xgb/model.yaml", repo);
    ts_write_file(path, "load: all\n");
    snprintf(path, sizeof path, "%s/bc_xgb/test_inputs.json", ts_shared("models"));
    g.inputs = ts_load_json(path);
    snprintf(st, sizeof st, "%s/state", g.tmp);
    const char *args[] = {"--repo", repo, "--state", st, NULL};
    ts_server_start_ok(&g.srv, args);
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

/* POSTs `rows` rows of `features` values to path; returns the status. */
static int infer(const char *path, int rows, int features)
{
    json_t *data = json_array();
    for (int r = 0; r < rows; r++)
        for (int f = 0; f < features; f++)
            json_array_append(
                data, json_array_get(json_object_get(g.inputs, "data"), (size_t)(r * 30 + f)));
    json_t *req = json_pack("{s:[{s:s,s:s,s:[i,i],s:o}]}", "inputs", "name", "input", "datatype",
                            "FP32", "shape", rows, features, "data", data);
    char *body = json_dumps(req, JSON_COMPACT);
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "POST", path, json_ct, body, strlen(body), &resp));
    int status = resp.status;
    ts_response_free(&resp);
    free(body);
    json_decref(req);
    return status;
}

static json_t *stats(const char *path, int want_status)
{
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", path, NULL, NULL, 0, &resp));
    if (resp.status != want_status)
        fprintf(stderr, "test: GET %s: %d %s\n", path, resp.status, resp.body);
    assert_int_equal(resp.status, want_status);
    char type[128];
    assert_non_null(ts_header(&resp, "Content-Type", type, sizeof type));
    assert_non_null(strstr(type, "application/json"));
    json_t *doc = ts_response_json(&resp);
    ts_response_free(&resp);
    return doc;
}

static json_int_t count_of(json_t *duration)
{
    return json_integer_value(json_object_get(duration, "count"));
}

static json_int_t field(json_t *entry, const char *key)
{
    return json_integer_value(json_object_get(entry, key));
}

static json_t *inference_stat(json_t *entry, const char *key)
{
    return json_object_get(json_object_get(entry, "inference_stats"), key);
}

/* Every key of the spec, and no other. */
static void assert_entry_shape(json_t *entry)
{
    static const char *const keys[] = {"name",
                                       "version",
                                       "last_inference",
                                       "inference_count",
                                       "execution_count",
                                       "inference_stats",
                                       "batch_stats"};
    assert_int_equal(json_object_size(entry), sizeof keys / sizeof keys[0]);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_non_null(json_object_get(entry, keys[i]));
    static const char *const durations[] = {"success",       "fail",          "queue",
                                            "compute_input", "compute_infer", "compute_output",
                                            "cache_hit",     "cache_miss"};
    json_t *inf = json_object_get(entry, "inference_stats");
    assert_int_equal(json_object_size(inf), sizeof durations / sizeof durations[0]);
    for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
        json_t *d = json_object_get(inf, durations[i]);
        assert_true(json_is_integer(json_object_get(d, "count")));
        assert_true(json_is_integer(json_object_get(d, "ns")));
    }
    assert_true(json_is_array(json_object_get(entry, "batch_stats")));
}

static void test_before_any_request(void **state)
{
    (void)state;
    json_t *doc = stats("/v2/models/stats", 200);
    json_t *list = json_object_get(doc, "model_stats");
    assert_int_equal(json_array_size(list), 3);
    const char *want[][2] = {{"bc_xgb", "1"}, {"bc_xgb", "2"}, {"diabetes_xgb", "1"}};
    for (size_t i = 0; i < 3; i++) {
        json_t *e = json_array_get(list, i);
        assert_entry_shape(e);
        assert_string_equal(json_string_value(json_object_get(e, "name")), want[i][0]);
        assert_string_equal(json_string_value(json_object_get(e, "version")), want[i][1]);
        assert_int_equal(field(e, "last_inference"), 0);
        assert_int_equal(field(e, "inference_count"), 0);
        assert_int_equal(json_array_size(json_object_get(e, "batch_stats")), 0);
    }
    json_decref(doc);
}

static void test_counts_follow_requests(void **state)
{
    (void)state;
    /* Version 2 serves unversioned requests; version 1 is asked for by number. */
    assert_int_equal(infer("/v2/models/bc_xgb/infer", 3, 30), 200);
    assert_int_equal(infer("/v2/models/bc_xgb/infer", 3, 30), 200);
    assert_int_equal(infer("/v2/models/bc_xgb/versions/1/infer", 1, 30), 200);
    assert_int_equal(infer("/v2/models/bc_xgb/infer", 1, 29), 400);
    assert_int_equal(infer("/v2/models/nope/infer", 1, 30), 404);

    json_t *doc = stats("/v2/models/bc_xgb/stats", 200);
    json_t *list = json_object_get(doc, "model_stats");
    assert_int_equal(json_array_size(list), 2);
    json_t *v1 = json_array_get(list, 0), *v2 = json_array_get(list, 1);
    assert_string_equal(json_string_value(json_object_get(v2, "version")), "2");
    assert_int_equal(count_of(inference_stat(v2, "success")), 2);
    assert_int_equal(count_of(inference_stat(v2, "fail")), 1);
    assert_int_equal(count_of(inference_stat(v2, "queue")), 2);
    assert_int_equal(count_of(inference_stat(v2, "compute_infer")), 2);
    assert_true(field(inference_stat(v2, "compute_infer"), "ns") > 0);
    assert_true(field(inference_stat(v2, "success"), "ns") >=
                field(inference_stat(v2, "compute_infer"), "ns"));
    assert_int_equal(field(v2, "inference_count"), 6);
    assert_int_equal(field(v2, "execution_count"), 2);
    assert_true(field(v2, "last_inference") > 1700000000000LL);
    json_t *batches = json_object_get(v2, "batch_stats");
    assert_int_equal(json_array_size(batches), 1);
    assert_int_equal(field(json_array_get(batches, 0), "batch_size"), 3);
    assert_int_equal(count_of(json_object_get(json_array_get(batches, 0), "compute_infer")), 2);
    assert_int_equal(count_of(inference_stat(v1, "success")), 1);
    assert_int_equal(field(v1, "inference_count"), 1);
    json_decref(doc);

    doc = stats("/v2/models/bc_xgb/versions/1/stats", 200);
    list = json_object_get(doc, "model_stats");
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "version")),
                        "1");
    json_decref(doc);

    doc = stats("/v2/models/diabetes_xgb/stats", 200);
    assert_int_equal(
        field(json_array_get(json_object_get(doc, "model_stats"), 0), "execution_count"), 0);
    json_decref(doc);
}

static void test_errors(void **state)
{
    (void)state;
    json_t *doc = stats("/v2/models/nope/stats", 404);
    assert_non_null(strstr(json_string_value(json_object_get(doc, "error")), "nope"));
    json_decref(doc);
    json_decref(stats("/v2/models/bc_xgb/versions/9/stats", 404));
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "POST", "/v2/models/stats", json_ct, "{}", 2, &resp));
    assert_int_equal(resp.status, 405);
    ts_response_free(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before_any_request),
        cmocka_unit_test(test_counts_follow_requests),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
