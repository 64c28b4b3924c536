/* Feedback and live performance on a real `ferry serve` of bc_xgb with a state store in a
 * temporary folder: 1,000 one-row requests with ids, their labels posted, and GET
 * /v2/models/bc_xgb/performance and the gauges equal to scikit-learn's on the same rows
 * (tests/data/feedback/expected.json, from gen.py); a generated UUID when the request has no id;
 * the labels / row forms; unknown id 404 naming it; a wrong label 400; a repeated label counted
 * once; kill -9 under load keeps every record older than the flush interval with a database
 * that passes PRAGMA integrity_check and opens again; and after restarts (nothing in memory) a
 * generated id found in the store by its time (feedback, the window rebuilt, the export's ts the
 * id's millisecond) beside client ids of the same form, sent in the body or X-Request-Id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/uuid.h"
#include "test_support.h"

static struct {
    char *tmp;
    char repo[4096], state[4200];
    ts_server srv;
    json_t *inputs;   /* bc_xgb test_inputs.json */
    json_t *expected; /* tests/data/feedback/expected.json */
} g;

static const char json_ct[] = "Content-Type: application/json\r\n";

static int group_setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    char path[4300];
    snprintf(g.repo, sizeof g.repo, "%s/models", g.tmp);
    ts_repo_add(g.repo, "bc_xgb", "1", "bc_xgb", "model.json");
    snprintf(path, sizeof path, "%s/bc_xgb/model.yaml", g.repo);
    ts_write_file(path, "task: binary\nfeedback_window: 1000\npayload_log: {sample: 1.0, "
                        "retention: 7d}\n");
    snprintf(path, sizeof path, "%s/bc_xgb/test_inputs.json", ts_shared("models"));
    g.inputs = ts_load_json(path);
    g.expected = ts_load_json(ts_source("tests/data/feedback/expected.json"));
    snprintf(g.state, sizeof g.state, "%s/state", g.tmp);
    const char *args[] = {"--repo", g.repo, "--state", g.state, "--grpc-port", "off", NULL};
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
    json_decref(g.inputs);
    json_decref(g.expected);
    ts_rmtree(g.tmp);
    free(g.tmp);
    return 0;
}

/* An infer body for test rows [first, first + n) with id (NULL: none). malloc'ed. */
static char *infer_body(const char *id, size_t first, size_t n)
{
    json_t *data = json_object_get(g.inputs, "data");
    json_t *rows = json_array();
    for (size_t i = first * 30; i < (first + n) * 30; i++)
        json_array_append(rows, json_array_get(data, i));
    json_t *body = json_pack("{s:[{s:s,s:s,s:[I,i],s:o}]}", "inputs", "name", "input", "datatype",
                             "FP32", "shape", (json_int_t)n, 30, "data", rows);
    if (id != NULL)
        json_object_set_new(body, "id", json_string(id));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

/* POSTs body to path on port; returns the status, the response JSON in *out when not NULL. */
static int post(ts_server *srv, const char *path, const char *body, json_t **out)
{
    ts_response resp;
    bool sent = ts_server_http(srv, "POST", path, json_ct, body, strlen(body), &resp);
    if (!sent)
        fail_msg("POST %s failed; server log:\n%s", path, srv->log ? srv->log : "");
    int status = resp.status;
    if (out != NULL)
        *out = ts_response_json(&resp);
    ts_response_free(&resp);
    return status;
}

static json_t *get_json(const char *path)
{
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", path, NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    json_t *doc = ts_response_json(&resp);
    ts_response_free(&resp);
    return doc;
}

static int post_feedback(const char *body, json_t **out)
{
    return post(&g.srv, "/v2/models/bc_xgb/feedback", body, out);
}

static void check_metric(const json_t *metrics, const json_t *expected, const char *key)
{
    double got = json_number_value(json_object_get(metrics, key));
    double want = json_number_value(json_object_get(expected, key));
    if (!ts_close(got, want))
        fail_msg("%s: ferry %.17g, sklearn %.17g", key, got, want);
}

/* 1,000 requests, their labels, and /performance and the gauges equal to sklearn's. */
static void test_live_metrics_equal_sklearn(void **state)
{
    (void)state;
    const json_t *bc = json_object_get(g.expected, "bc_xgb");
    const json_t *rows = json_object_get(bc, "rows"), *labels = json_object_get(bc, "labels");
    json_t *feedback = json_array();
    for (size_t i = 0; i < json_array_size(rows); i++) {
        char id[32];
        snprintf(id, sizeof id, "req-%zu", i);
        char *body = infer_body(id, (size_t)json_integer_value(json_array_get(rows, i)), 1);
        json_t *resp = NULL;
        assert_int_equal(post(&g.srv, "/v2/models/bc_xgb/infer", body, &resp), 200);
        assert_string_equal(json_string_value(json_object_get(resp, "id")), id);
        json_decref(resp);
        free(body);
        json_array_append_new(feedback,
                              json_pack("{s:s,s:O}", "id", id, "label", json_array_get(labels, i)));
    }
    char *text = json_dumps(feedback, JSON_COMPACT);
    json_t *resp = NULL;
    assert_int_equal(post_feedback(text, &resp), 200);
    assert_int_equal(json_integer_value(json_object_get(resp, "labelled")), 1000);
    json_decref(resp);
    free(text);
    json_decref(feedback);

    /* A repeated label replaces the first and counts once: flip req-0, then flip it back. */
    int first = (int)json_integer_value(json_array_get(labels, 0));
    char body[128];
    snprintf(body, sizeof body, "{\"id\":\"req-0\",\"label\":%d}", 1 - first);
    assert_int_equal(post_feedback(body, NULL), 200);
    snprintf(body, sizeof body, "{\"id\":\"req-0\",\"row\":0,\"label\":%d}", first);
    assert_int_equal(post_feedback(body, NULL), 200);

    json_t *perf = get_json("/v2/models/bc_xgb/performance");
    const json_t *v = json_array_get(json_object_get(perf, "versions"), 0);
    assert_string_equal(json_string_value(json_object_get(v, "version")), "1");
    assert_string_equal(json_string_value(json_object_get(v, "task")), "binary");
    assert_int_equal(json_integer_value(json_object_get(v, "rows")), 1000);
    const json_t *metrics = json_object_get(v, "metrics"), *want = json_object_get(bc, "expected");
    const char *keys[] = {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        check_metric(metrics, want, keys[i]);

    ts_response m;
    assert_true(ts_server_http(&g.srv, "GET", "/metrics", NULL, NULL, 0, &m));
    const char *line = strstr(m.body, "ferry_model_accuracy{model=\"bc_xgb\",version=\"1\"} ");
    assert_non_null(line);
    double gauge = strtod(strchr(line, '}') + 2, NULL);
    assert_true(ts_close(gauge, json_number_value(json_object_get(want, "accuracy"))));
    assert_non_null(
        strstr(m.body, "ferry_model_labelled_rows{model=\"bc_xgb\",version=\"1\"} 1000"));
    ts_response_free(&m);
    json_decref(perf);
}

/* No id: the response carries a UUID v4, which feedback then accepts ("labels" and "row" forms). */
static void test_generated_id_and_forms(void **state)
{
    (void)state;
    char *body = infer_body(NULL, 0, 3);
    json_t *resp = NULL;
    assert_int_equal(post(&g.srv, "/v2/models/bc_xgb/infer", body, &resp), 200);
    free(body);
    const char *id = json_string_value(json_object_get(resp, "id"));
    assert_non_null(id);
    assert_int_equal(strlen(id), 36);
    assert_int_equal(id[14], '7'); /* UUID v7 */
    char fb[256];
    snprintf(fb, sizeof fb, "{\"id\":\"%s\",\"labels\":[0,1,true]}", id);
    json_t *out = NULL;
    assert_int_equal(post_feedback(fb, &out), 200);
    assert_int_equal(json_integer_value(json_object_get(out, "labelled")), 3);
    json_decref(out);
    snprintf(fb, sizeof fb, "[{\"id\":\"%s\",\"row\":2,\"label\":0}]", id);
    assert_int_equal(post_feedback(fb, NULL), 200);
    /* One label for a three-row request, or a row out of range: 400. */
    snprintf(fb, sizeof fb, "{\"id\":\"%s\",\"label\":1}", id);
    assert_int_equal(post_feedback(fb, NULL), 400);
    snprintf(fb, sizeof fb, "{\"id\":\"%s\",\"row\":3,\"label\":1}", id);
    assert_int_equal(post_feedback(fb, NULL), 400);
    json_decref(resp);
}

static void test_errors(void **state)
{
    (void)state;
    json_t *out = NULL;
    assert_int_equal(post_feedback("{\"id\":\"no-such-id\",\"label\":1}", &out), 404);
    assert_non_null(strstr(json_string_value(json_object_get(out, "error")), "no-such-id"));
    json_decref(out);
    assert_int_equal(post_feedback("{\"id\":\"req-1\",\"label\":\"yes\"}", &out), 400);
    assert_non_null(strstr(json_string_value(json_object_get(out, "error")), "binary"));
    json_decref(out);
    assert_int_equal(post_feedback("{\"id\":\"req-1\",\"label\":2}", NULL), 400);
    assert_int_equal(post_feedback("{\"id\":\"req-1\"", NULL), 400);
    assert_int_equal(post_feedback("[]", NULL), 400);
    assert_int_equal(post_feedback("{\"label\":1}", NULL), 400);
    /* Nothing of a failed list is applied: the window still holds 1,000 rows. */
    assert_int_equal(
        post_feedback("[{\"id\":\"req-1\",\"label\":1},{\"id\":\"zz\",\"label\":1}]", NULL), 404);
    json_t *perf = get_json("/v2/models/bc_xgb/performance");
    const json_t *v = json_array_get(json_object_get(perf, "versions"), 0);
    assert_int_equal(json_integer_value(json_object_get(v, "rows")), 1000);
    json_decref(perf);
    ts_response r;
    assert_true(ts_server_http(&g.srv, "GET", "/v2/models/nope/performance", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 404);
    ts_response_free(&r);
}

/* The predictions logged, in chunks and (schema version 1) rows, and the integrity check. */
static long long count_predictions(const char *db_path, char *integrity, size_t len)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    const char *sql = "SELECT (SELECT count(*) FROM predictions) + "
                      "(SELECT coalesce(sum(n), 0) FROM prediction_chunks)";
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(integrity, len, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* The exported line of prediction k-0 (test row 0): its inputs as sent and its output as
 * xgboost's expected.json gives it. */
static void check_exported_k0(const char *line)
{
    json_error_t jerr;
    json_t *doc = json_loadb(line, strcspn(line, "\n"), 0, &jerr);
    assert_non_null(doc);
    json_t *in = json_array_get(json_object_get(doc, "inputs"), 0);
    assert_string_equal(json_string_value(json_object_get(in, "name")), "input");
    assert_string_equal(json_string_value(json_object_get(in, "datatype")), "FP32");
    json_t *shape = json_object_get(in, "shape");
    assert_int_equal(json_integer_value(json_array_get(shape, 0)), 1);
    assert_int_equal(json_integer_value(json_array_get(shape, 1)), 30);
    json_t *sent = json_object_get(g.inputs, "data"), *logged = json_object_get(in, "data");
    assert_int_equal(json_array_size(logged), 30);
    for (size_t i = 0; i < 30; i++)
        assert_true((float)json_number_value(json_array_get(logged, i)) ==
                    (float)json_number_value(json_array_get(sent, i)));
    json_t *out = json_array_get(json_object_get(doc, "outputs"), 0);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(out, "shape"), 0)), 1);
    char path[4300];
    snprintf(path, sizeof path, "%s/bc_xgb/expected.json", ts_shared("models"));
    json_t *expected = ts_load_json(path);
    json_t *want = json_object_get(json_array_get(json_object_get(expected, "outputs"), 0), "data");
    double got = json_number_value(json_array_get(json_object_get(out, "data"), 0));
    assert_true(ts_close(got, json_number_value(json_array_get(want, 0))));
    json_decref(expected);
    json_decref(doc);
}

/* kill -9 after 300 answered requests and a pause longer than the flush interval: all 300 are in
 * the database, which is intact and serves again. */
static void test_kill9_keeps_flushed_records(void **state)
{
    (void)state;
    char st_dir[4400], db[4500];
    snprintf(st_dir, sizeof st_dir, "%s/state-kill", g.tmp);
    snprintf(db, sizeof db, "%s/ferry.db", st_dir);
    ts_server s;
    const char *args[] = {"--repo", g.repo, "--state", st_dir, "--grpc-port", "off", NULL};
    assert_true(ts_server_start(&s, args));
    for (int i = 0; i < 300; i++) {
        char id[32];
        snprintf(id, sizeof id, "k-%d", i);
        char *body = infer_body(id, (size_t)i % 114, 1);
        assert_int_equal(post(&s, "/v2/models/bc_xgb/infer", body, NULL), 200);
        free(body);
    }
    usleep(300 * 1000);            /* well past the 100 ms flush interval */
    for (int i = 0; i < 50; i++) { /* still under load when killed */
        char *body = infer_body(NULL, 0, 1);
        assert_int_equal(post(&s, "/v2/models/bc_xgb/infer", body, NULL), 200);
        free(body);
    }
    kill(s.pid, SIGKILL);
    int status = 0;
    waitpid(s.pid, &status, 0);
    s.pid = 0;
    char integrity[64];
    long long n = count_predictions(db, integrity, sizeof integrity);
    assert_string_equal(integrity, "ok");
    assert_true(n >= 300 && n <= 350);
    ts_server_stop(&s);

    /* ferry logs export: one line per prediction (jsonl), a header plus one per row (csv). */
    char cmd[9000], *out = NULL;
    snprintf(cmd, sizeof cmd, "%s logs export bc_xgb --state %s", ts_ferry_bin(), st_dir);
    assert_int_equal(ts_run(cmd, &out), 0);
    long long lines = 0;
    for (char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, n);
    assert_non_null(strstr(out, "{\"id\":\"k-0\",\"ts\":"));
    check_exported_k0(strstr(out, "{\"id\":\"k-0\",\"ts\":"));
    free(out);
    snprintf(cmd, sizeof cmd, "%s logs export bc_xgb --format csv --since 1h --state %s",
             ts_ferry_bin(), st_dir);
    assert_int_equal(ts_run(cmd, &out), 0);
    assert_true(strncmp(out, "id,ts,model,version,rows,inputs,outputs,labels\n\"k-0\",", 51) == 0);
    free(out);
    ts_server again;
    assert_true(ts_server_start(&again, args));
    assert_int_equal(ts_server_stop(&again), 0);
}

/* A prediction logged as JSON text (as the log kept them before tensor blobs) is still found by
 * feedback and exported as it was stored. */
static void test_rows_logged_as_json_text(void **state)
{
    (void)state;
    char db_path[4300];
    snprintf(db_path, sizeof db_path, "%s/ferry.db", g.state);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    char *sql = sqlite3_mprintf(
        "INSERT INTO predictions(id, ts, model, version, rows, inputs, outputs) VALUES("
        "'legacy-1', %lld, 'bc_xgb', '1', 1,"
        "'[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,2],\"data\":[1,2]}]',"
        "'[{\"name\":\"predict\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[0.75]}]')",
        (long long)time(NULL) * 1000);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free(sql);
    sqlite3_close(db);
    json_t *out = NULL;
    assert_int_equal(post_feedback("{\"id\":\"legacy-1\",\"label\":1}", &out), 200);
    json_decref(out);
    usleep(300 * 1000); /* the label's flush */
    char cmd[9000], *text = NULL;
    snprintf(cmd, sizeof cmd, "%s logs export bc_xgb --state %s", ts_ferry_bin(), g.state);
    assert_int_equal(ts_run(cmd, &text), 0);
    const char *line = strstr(text, "{\"id\":\"legacy-1\"");
    assert_non_null(line);
    assert_non_null(strstr(line, "\"outputs\":[{\"name\":\"predict\",\"datatype\":\"FP32\","
                                 "\"shape\":[1],\"data\":[0.75]}],\"labels\":{\"0\":1}}"));
    free(text);
}

/* POSTs feedback {"id": id, "label": 1} to srv; returns the status. */
static int label_one(ts_server *srv, const char *id)
{
    char fb[256];
    snprintf(fb, sizeof fb, "{\"id\":\"%s\",\"label\":1}", id);
    return post(srv, "/v2/models/bc_xgb/feedback", fb, NULL);
}

/* The ts of id's line in `ferry logs export bc_xgb` of state dir, -1 when it has none. */
static long long exported_ts(const char *st_dir, const char *id)
{
    char cmd[9000], needle[128], *out = NULL;
    snprintf(cmd, sizeof cmd, "%s logs export bc_xgb --state %s", ts_ferry_bin(), st_dir);
    assert_int_equal(ts_run(cmd, &out), 0);
    snprintf(needle, sizeof needle, "{\"id\":\"%s\",\"ts\":", id);
    const char *line = strstr(out, needle);
    long long ts = line != NULL ? strtoll(line + strlen(needle), NULL, 10) : -1;
    free(out);
    return ts;
}

static void test_generated_id_after_restart(void **state)
{
    (void)state;
    char st_dir[4400];
    snprintf(st_dir, sizeof st_dir, "%s/state-restart", g.tmp);
    const char *args[] = {"--repo", g.repo, "--state", st_dir, "--grpc-port", "off", NULL};
    ts_server s;
    assert_true(ts_server_start(&s, args));
    char *body = infer_body(NULL, 0, 1);
    json_t *resp = NULL;
    assert_int_equal(post(&s, "/v2/models/bc_xgb/infer", body, &resp), 200);
    free(body);
    char gen[64];
    snprintf(gen, sizeof gen, "%s", json_string_value(json_object_get(resp, "id")));
    json_decref(resp);
    /* Clients' ids of ferry's form, from 2024: indexed, so found although logged now. */
    const char *in_body = "018f0000-0000-7000-8000-000000000001";
    const char *in_header = "018f0000-0000-7000-8000-000000000002";
    body = infer_body(in_body, 1, 1);
    assert_int_equal(post(&s, "/v2/models/bc_xgb/infer", body, NULL), 200);
    free(body);
    body = infer_body(NULL, 2, 1);
    ts_response r;
    assert_true(ts_server_http(&s, "POST", "/v2/models/bc_xgb/infer",
                               "Content-Type: application/json\r\nX-Request-Id: "
                               "018f0000-0000-7000-8000-000000000002\r\n",
                               body, strlen(body), &r));
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    free(body);
    assert_int_equal(ts_server_stop(&s), 0); /* SIGTERM commits what is queued */
    assert_int_equal(ts_state_id_rows(st_dir, gen), 0);
    assert_int_equal(ts_state_id_rows(st_dir, in_body), 1);
    assert_int_equal(ts_state_id_rows(st_dir, in_header), 1);

    assert_true(ts_server_start(&s, args));
    assert_int_equal(label_one(&s, gen), 200);
    assert_int_equal(label_one(&s, in_body), 200);
    assert_int_equal(label_one(&s, in_header), 200);
    assert_int_equal(label_one(&s, "018f0000-0000-7000-8000-000000000003"), 404);
    assert_int_equal(ts_server_stop(&s), 0);

    /* The window is rebuilt from the store: the three labelled rows joined with their predictions.
     */
    assert_true(ts_server_start(&s, args));
    assert_true(ts_server_wait_log(&s, "3 labelled rows", 5000));
    assert_int_equal(ts_server_stop(&s), 0);
    int64_t ms = 0;
    assert_true(uuid_v7_time_ms(gen, &ms));
    assert_int_equal(exported_ts(st_dir, gen), ms);
    assert_true(exported_ts(st_dir, in_body) > ms - 1000);
    assert_true(exported_ts(st_dir, in_header) > ms - 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_metrics_equal_sklearn),
        cmocka_unit_test(test_generated_id_and_forms),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_kill9_keeps_flushed_records),
        cmocka_unit_test(test_rows_logged_as_json_text),
        cmocka_unit_test(test_generated_id_after_restart),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
