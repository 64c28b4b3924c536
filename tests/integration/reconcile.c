/* Reconciliation in a real `ferry serve` process, over sockets: a changed `production:` answers
 * within seconds (model_version in the response, metadata), a broken new version (corrupt artifact,
 * sha256 mismatch) leaves the current one serving with the failure in the log, the metrics and the
 * metadata until its files are fixed, `load: all` serves every version at /versions/{v},
 * `load: none` unloads, model folders appearing and disappearing, and polling alone
 * (`--watch poll`). Every fixture is copied into a fresh temporary repository. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/hash.h"
#include "test_support.h"

static struct {
    char v1[4096]; /* ../shared/models/bc_xgb/model.json */
    char v2[4096]; /* examples/models/breast_cancer/1/model.json */
    char *request; /* one row, bc's 30 features */
    char *tmp;     /* this test's repository and state folder live here */
    char repo[4200];
    ts_server srv;
} g;

static const char json_ct[] = "Content-Type: application/json\r\n";

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static const char *in_repo(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *in_repo(const char *fmt, ...)
{
    static char path[8400];
    char rel[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    snprintf(path, sizeof path, "%s/%s", g.repo, rel);
    return path;
}

/* Writes REPO/rel atomically (temporary file + rename), as a deploy or a git checkout does. */
/* Writes REPO/rel whole in one rename. The temporary file is outside the repository: a poll that
 * saw it inside the version folder would count as a change there and retry a failed load (a second
 * failure, which a test counting failures would then see). */
static void write_atomic(const char *rel, const char *text, size_t len)
{
    char final[8400], tmp[8500];
    snprintf(final, sizeof final, "%s", in_repo("%s", rel));
    snprintf(tmp, sizeof tmp, "%s/write.tmp", g.tmp);
    for (char *slash = strchr(final + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        *slash = '\0'; /* the folders above the file, as mkdir -p */
        assert_true(mkdir(final, 0755) == 0 || errno == EEXIST);
        *slash = '/';
    }
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, final), 0);
}

static void write_yaml(const char *model, const char *text)
{
    char rel[512];
    snprintf(rel, sizeof rel, "%s/model.yaml", model);
    write_atomic(rel, text, strlen(text));
}

/* Puts `artifact` (all of it, or its first `keep` bytes when keep > 0) at REPO/model/v/model.json.
 */
static void put_artifact(const char *model, int version, const char *artifact, size_t keep)
{
    size_t len = 0;
    char *data = ts_read_file(artifact, &len);
    assert_non_null(data);
    char rel[512];
    snprintf(rel, sizeof rel, "%s/%d/model.json", model, version);
    write_atomic(rel, data, keep > 0 && keep < len ? keep : len);
    free(data);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Starts the server on g.repo with extra args (NULL-terminated, up to 8). */
static void start(const char *const *extra)
{
    char state[4300];
    snprintf(state, sizeof state, "%s/state", g.tmp);
    const char *args[16] = {"--repo", g.repo, "--state", state, "--poll-interval", "200"};
    size_t n = 6;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 15; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    ts_server_start_ok(&g.srv, args);
}

static int http_status(const char *method, const char *path)
{
    ts_response resp;
    assert_true(ts_server_http(&g.srv, method, path, NULL, NULL, 0, &resp));
    int status = resp.status;
    ts_response_free(&resp);
    return status;
}

/* POSTs the request to path; returns the status and copies model_version into version. */
static int infer(const char *path, char *version, size_t len)
{
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "POST", path, json_ct, g.request, strlen(g.request), &resp));
    int status = resp.status;
    version[0] = '\0';
    if (status == 200) {
        json_t *doc = ts_response_json(&resp);
        snprintf(version, len, "%s", json_string_value(json_object_get(doc, "model_version")));
        json_decref(doc);
    }
    ts_response_free(&resp);
    return status;
}

/* Waits up to 10 s for path's inference to come from `version`; returns the milliseconds. */
static double wait_version(const char *path, const char *version)
{
    double t0 = now_ms();
    char got[64] = "";
    while (infer(path, got, sizeof got) != 200 || strcmp(got, version) != 0) {
        if (now_ms() - t0 > 10000)
            fail_msg("%s did not answer from version %s within 10 s (got '%s')\n%s", path, version,
                     got, g.srv.log);
        usleep(5000);
    }
    return now_ms() - t0;
}

/* Waits up to 10 s for `method path` to answer `status`. */
static void wait_status(const char *method, const char *path, int status)
{
    double t0 = now_ms();
    int got;
    while ((got = http_status(method, path)) != status) {
        if (now_ms() - t0 > 10000)
            fail_msg("%s %s: %d, expected %d within 10 s", method, path, got, status);
        usleep(10000);
    }
}

static json_t *metadata(const char *model)
{
    char path[256];
    snprintf(path, sizeof path, "/v2/models/%s", model);
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", path, NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    json_t *doc = ts_response_json(&resp);
    ts_response_free(&resp);
    return doc;
}

/* The metadata's versions as "1,2". */
static void metadata_versions(const char *model, char *out, size_t len)
{
    json_t *doc = metadata(model);
    json_t *versions = json_object_get(doc, "versions");
    size_t used = 0, i;
    json_t *v;
    out[0] = '\0';
    json_array_foreach(versions, i, v)
    {
        used +=
            (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "", json_string_value(v));
    }
    json_decref(doc);
}

/* The value of an exact sample ("name{labels}") on /metrics, or -1 when absent. */
static double metric(const char *sample)
{
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", "/metrics", NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    double value = -1;
    size_t n = strlen(sample);
    for (const char *p = resp.body; p != NULL && *p != '\0';) {
        if (strncmp(p, sample, n) == 0 && p[n] == ' ')
            value = atof(p + n + 1);
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    ts_response_free(&resp);
    return value;
}

/* The first error line of the log naming `model` and `version` (parsed), or NULL. */
static json_t *error_line(const char *model, const char *version)
{
    ts_server_read_log(&g.srv);
    for (const char *p = g.srv.log; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        json_t *line = json_loadb(p, len, 0, NULL);
        const char *lv = json_string_value(json_object_get(line, "level"));
        const char *m = json_string_value(json_object_get(line, "model"));
        const char *v = json_string_value(json_object_get(line, "version"));
        if (lv && m && v && !strcmp(lv, "error") && !strcmp(m, model) && !strcmp(v, version))
            return line;
        json_decref(line);
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (haystack == NULL || strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack ? haystack : "(null)");
}

/* ------------------------------------------------------------------------------------------ */
/* Setup                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    snprintf(g.v1, sizeof g.v1, "%s", ts_shared("models/bc_xgb/model.json"));
    snprintf(g.v2, sizeof g.v2, "%s", ts_source("examples/models/breast_cancer/1/model.json"));
    g.request = ts_read_file(ts_source("examples/models/breast_cancer/request.json"), NULL);
    assert_non_null(g.request);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    free(g.request);
    return 0;
}

/* A fresh repository: bc with versions 1 and 2, production 1. */
static int setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    snprintf(g.repo, sizeof g.repo, "%s/repo", g.tmp);
    put_artifact("bc", 1, g.v1, 0);
    put_artifact("bc", 2, g.v2, 0);
    write_yaml("bc", "production: 1\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = g.srv.pid > 0 || g.srv.log != NULL ? ts_server_stop(&g.srv) : 0;
    memset(&g.srv, 0, sizeof g.srv);
    ts_rmtree(g.tmp);
    free(g.tmp);
    return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static void test_production_change(void **state)
{
    (void)state;
    start(NULL);
    char version[64];
    assert_int_equal(infer("/v2/models/bc/infer", version, sizeof version), 200);
    assert_string_equal(version, "1");

    write_yaml("bc", "production: 2\n");
    double ms = wait_version("/v2/models/bc/infer", "2");
    fprintf(stderr, "reconcile: production 1 -> 2 answered after %.0f ms (polling the server)\n",
            ms);
    char versions[256];
    metadata_versions("bc", versions, sizeof versions);
    assert_string_equal(versions, "2");
    assert_true(metric("ferry_models_loaded") == 1);
    assert_int_equal(http_status("GET", "/v2/health/ready"), 200);

    write_yaml("bc", "production: 1\n"); /* and back (a rollback) */
    wait_version("/v2/models/bc/infer", "1");
    assert_int_equal(ts_server_stop(&g.srv), 0);
}

/* Deploys version 3 (broken by the caller), checks it is reported and not retried, then calls fix
 * and checks it loads. */
static void check_broken_then_fixed(const char *file_part, const char *reason, void (*fix)(void))
{
    start(NULL);
    write_yaml("bc", "production: 3\n");
    /* The failure reaches the metadata last (after the log and the metric). */
    double t0 = now_ms();
    json_t *doc = NULL;
    while (json_object_get(doc = metadata("bc"), "load_error") == NULL) {
        json_decref(doc);
        if (now_ms() - t0 > 10000)
            fail_msg("no load_error in the metadata within 10 s:\n%s", g.srv.log);
        usleep(10000);
    }
    assert_contains(json_string_value(json_object_get(doc, "load_error")), reason);
    assert_contains(json_string_value(json_object_get(doc, "load_error")), "version 3");
    json_decref(doc);
    json_t *line = error_line("bc", "3");
    assert_non_null(line);
    const char *msg = json_string_value(json_object_get(line, "msg"));
    assert_contains(msg, "model 'bc' version 3");
    assert_contains(msg, file_part);
    assert_contains(msg, reason);
    assert_contains(json_string_value(json_object_get(line, "file")), "bc/3");
    json_decref(line);

    /* Version 1 keeps serving; the failure is in the metadata and the metrics. */
    char version[64];
    assert_int_equal(infer("/v2/models/bc/infer", version, sizeof version), 200);
    assert_string_equal(version, "1");
    const char *failures = "ferry_model_load_failures_total{model=\"bc\",version=\"3\"}";
    assert_true(metric(failures) == 1);
    assert_int_equal(http_status("GET", "/v2/health/ready"), 200);

    usleep(1000 * 1000); /* five polls: not retried while the files stay the same */
    assert_true(metric(failures) == 1);

    fix();
    wait_version("/v2/models/bc/infer", "3");
    doc = metadata("bc");
    assert_null(json_object_get(doc, "load_error"));
    json_decref(doc);
    assert_true(metric(failures) == 1);
    assert_int_equal(ts_server_stop(&g.srv), 0);
}

static void fix_artifact(void)
{
    put_artifact("bc", 3, g.v2, 0);
}

static void test_corrupt_version(void **state)
{
    (void)state;
    put_artifact("bc", 3, g.v1, 5000);
    check_broken_then_fixed("bc/3/model.json", "cannot load", fix_artifact);
}

static void fix_sha256(void)
{
    char sha[65], text[128];
    ferry_error err;
    assert_int_equal(hash_file_sha256(g.v2, sha, NULL, &err), FERRY_OK);
    snprintf(text, sizeof text, "sha256: %s\n", sha);
    write_atomic("bc/3/version.yaml", text, strlen(text));
}

static void test_sha256_mismatch(void **state)
{
    (void)state;
    put_artifact("bc", 3, g.v2, 0);
    const char *bad = "sha256: 0000000000000000000000000000000000000000000000000000000000000000\n";
    write_atomic("bc/3/version.yaml", bad, strlen(bad));
    check_broken_then_fixed("bc/3/model.json", "version.yaml says", fix_sha256);
}

static void test_load_all(void **state)
{
    (void)state;
    write_yaml("bc", "production: 2\nload: all\n");
    start(NULL);
    char version[64], versions[256];
    assert_int_equal(infer("/v2/models/bc/versions/1/infer", version, sizeof version), 200);
    assert_string_equal(version, "1");
    assert_int_equal(infer("/v2/models/bc/versions/2/infer", version, sizeof version), 200);
    assert_string_equal(version, "2");
    assert_int_equal(infer("/v2/models/bc/infer", version, sizeof version), 200);
    assert_string_equal(version, "2");
    assert_int_equal(infer("/v2/models/bc/versions/3/infer", version, sizeof version), 404);
    assert_int_equal(http_status("GET", "/v2/models/bc/versions/1/ready"), 200);
    assert_int_equal(http_status("GET", "/v2/models/bc/versions/3/ready"), 404);
    metadata_versions("bc", versions, sizeof versions);
    assert_string_equal(versions, "1,2");
    assert_true(metric("ferry_models_loaded") == 2);

    /* Back to production only: version 1 is unloaded. */
    write_yaml("bc", "production: 2\n");
    wait_status("POST", "/v2/models/bc/versions/1/infer", 404);
    metadata_versions("bc", versions, sizeof versions);
    assert_string_equal(versions, "2");
    assert_true(metric("ferry_models_loaded") == 1);
    assert_int_equal(ts_server_stop(&g.srv), 0);
}

static void test_load_none(void **state)
{
    (void)state;
    put_artifact("other", 1, g.v2, 0);
    start(NULL);
    write_yaml("bc", "production: 1\nload: none\n");
    wait_status("GET", "/v2/models/bc/ready", 400);
    char version[64];
    assert_int_equal(infer("/v2/models/bc/infer", version, sizeof version), 503);
    assert_int_equal(http_status("GET", "/v2/health/ready"), 200); /* unloaded on purpose */
    assert_true(metric("ferry_models_loaded") == 1);               /* other's version */
    assert_int_equal(infer("/v2/models/other/infer", version, sizeof version), 200);

    write_yaml("bc", "production: 1\n");
    wait_version("/v2/models/bc/infer", "1");
    assert_true(metric("ferry_models_loaded") == 2);
    assert_int_equal(ts_server_stop(&g.srv), 0);
}

static void test_models_come_and_go(void **state)
{
    (void)state;
    start(NULL);
    assert_int_equal(http_status("GET", "/v2/models/fresh"), 404);
    put_artifact("fresh", 1, g.v2, 0);
    wait_version("/v2/models/fresh/infer", "1");
    assert_true(metric("ferry_models_loaded") == 2);

    char path[8400];
    snprintf(path, sizeof path, "%s", in_repo("fresh"));
    ts_rmtree(path);
    wait_status("GET", "/v2/models/fresh", 404);
    wait_status("POST", "/v2/models/fresh/infer", 404);
    assert_true(metric("ferry_models_loaded") == 1);
    char version[64];
    assert_int_equal(infer("/v2/models/bc/infer", version, sizeof version), 200);
    assert_int_equal(ts_server_stop(&g.srv), 0);
}

static void test_polling_alone(void **state)
{
    (void)state;
    const char *extra[] = {"--watch", "poll", "--poll-interval", "100", NULL};
    start(extra);
    assert_contains(g.srv.log, "watching the model repository (polling)");
    write_yaml("bc", "production: 2\n");
    double ms = wait_version("/v2/models/bc/infer", "2");
    fprintf(stderr, "reconcile: polling every 100 ms: answered after %.0f ms\n", ms);
    put_artifact("fresh", 1, g.v2, 0);
    wait_version("/v2/models/fresh/infer", "1");
    assert_int_equal(ts_server_stop(&g.srv), 0);
}

static void test_usage(void **state)
{
    (void)state;
    char *out = NULL;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "'%s' serve --poll-interval 0 2>&1", ts_ferry_bin());
    assert_int_equal(ts_run(cmd, &out), 2);
    assert_contains(out, "--poll-interval");
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' serve --watch sometimes 2>&1", ts_ferry_bin());
    assert_int_equal(ts_run(cmd, &out), 2);
    assert_contains(out, "--watch");
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' serve --help", ts_ferry_bin());
    assert_int_equal(ts_run(cmd, &out), 0);
    assert_contains(out, "--poll-interval");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_production_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sha256_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_models_come_and_go, setup, teardown),
        cmocka_unit_test_setup_teardown(test_polling_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
