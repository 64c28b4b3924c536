/* `ferry predict` and `ferry perf` as a user runs them: predictions for bc_xgb (model.json and
 * model.ubj) and diabetes_xgb from an artifact, a version folder or a model folder, from a file or
 * standard input, equal to python3-xgboost's; errors on stderr with exit 1; usage errors exit 2;
 * perf's --json report. */
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
    char repo[4096];
    char bc_request[4200];       /* whole bc_xgb test split */
    char diabetes_request[4200]; /* whole diabetes_xgb test split */
} g;

typedef ts_cmd_result run_result;

static run_result run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static run_result run(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    run_result r = ts_cmd_v(g.tmp, "", fmt, ap);
    va_end(ap);
    return r;
}

static void run_free(run_result *r)
{
    ts_cmd_free(r);
}

/* Checks a predict response on stdout against a fixture's expected.json, every row. */
static void check_output(const run_result *r, const char *fixture, const char *model_name)
{
    if (r->rc != 0)
        fprintf(stderr, "test: predict exited %d: %s\n", r->rc, r->err);
    assert_int_equal(r->rc, 0);
    json_error_t jerr;
    json_t *doc = json_loads(r->out, 0, &jerr);
    if (doc == NULL)
        fprintf(stderr, "test: predict output is not JSON (%s): %.300s\n", jerr.text, r->out);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "model_name")), model_name);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/expected.json", ts_shared("models"), fixture);
    json_t *expected = ts_load_json(path);
    json_t *want = json_object_get(json_array_get(json_object_get(expected, "outputs"), 0), "data");
    json_t *out = json_array_get(json_object_get(doc, "outputs"), 0);
    assert_string_equal(json_string_value(json_object_get(out, "name")), "predict");
    assert_string_equal(json_string_value(json_object_get(out, "datatype")), "FP32");
    json_t *data = json_object_get(out, "data");
    assert_true(json_array_size(want) > 0);
    assert_int_equal(json_array_size(data), json_array_size(want));
    assert_int_equal(json_integer_value(json_array_get(json_object_get(out, "shape"), 0)),
                     json_array_size(want));
    for (size_t i = 0; i < json_array_size(want); i++) {
        double a = json_number_value(json_array_get(data, i));
        double e = json_number_value(json_array_get(want, i));
        if (!ts_close(a, e))
            fprintf(stderr, "test: %s row %zu: got %.9g, expected %.9g\n", fixture, i, a, e);
        assert_true(ts_close(a, e));
    }
    json_decref(expected);
    json_decref(doc);
}

/* Asserts a failed run: exit `rc`, nothing on stdout, stderr mentioning each needle. */
static void check_failure(const run_result *r, int rc, const char *const *needles)
{
    if (r->rc != rc)
        fprintf(stderr, "test: exit %d (want %d); stderr: %s\n", r->rc, rc, r->err);
    assert_int_equal(r->rc, rc);
    assert_string_equal(r->out, "");
    for (size_t i = 0; needles != NULL && needles[i] != NULL; i++) {
        if (strstr(r->err, needles[i]) == NULL)
            fprintf(stderr, "test: stderr '%s' does not mention '%s'\n", r->err, needles[i]);
        assert_non_null(strstr(r->err, needles[i]));
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Setup                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static void write_request(const char *fixture, char *path, size_t len)
{
    snprintf(path, len, "%s/%s-request.json", g.tmp, fixture);
    char *body = ts_fixture_request(fixture);
    ts_write_file(path, body);
    free(body);
}

static int setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    snprintf(g.repo, sizeof g.repo, "%s/repo", g.tmp);
    ts_repo_add(g.repo, "bc_xgb", "1", "bc_xgb", "model.json");
    ts_repo_add(g.repo, "bc_xgb", "1", "bc_xgb", "model.ubj");
    ts_repo_add(g.repo, "bc_ubj", "1", "bc_xgb", "model.ubj");
    ts_repo_add(g.repo, "diabetes_xgb", "1", "diabetes_xgb", "model.json");
    write_request("bc_xgb", g.bc_request, sizeof g.bc_request);
    write_request("diabetes_xgb", g.diabetes_request, sizeof g.diabetes_request);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(g.tmp);
    free(g.tmp);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* predict                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void test_predict_artifacts(void **state)
{
    (void)state;
    const char *files[] = {"model.json", "model.ubj"};
    for (int i = 0; i < 2; i++) {
        run_result r = run("'%s' predict --model '%s/bc_xgb/1/%s' --input '%s'", ts_ferry_bin(),
                           g.repo, files[i], g.bc_request);
        check_output(&r, "bc_xgb", "model");
        run_free(&r);
    }
    run_result r = run("'%s' predict --model '%s/diabetes_xgb/1/model.json' --input '%s'",
                       ts_ferry_bin(), g.repo, g.diabetes_request);
    check_output(&r, "diabetes_xgb", "model");
    run_free(&r);
}

static void test_predict_version_and_model_folders(void **state)
{
    (void)state;
    run_result r = run("'%s' predict --model '%s/bc_xgb/1' --input '%s'", ts_ferry_bin(), g.repo,
                       g.bc_request);
    check_output(&r, "bc_xgb", "bc_xgb");
    run_free(&r);
    r = run("'%s' predict --model '%s/bc_xgb/' --input '%s'", ts_ferry_bin(), g.repo, g.bc_request);
    check_output(&r, "bc_xgb", "bc_xgb");
    run_free(&r);
    /* model.ubj alone in its version folder */
    r = run("'%s' predict --model '%s/bc_ubj' --input '%s'", ts_ferry_bin(), g.repo, g.bc_request);
    check_output(&r, "bc_xgb", "bc_ubj");
    run_free(&r);
    r = run("'%s' predict --model '%s/diabetes_xgb/1' --input '%s'", ts_ferry_bin(), g.repo,
            g.diabetes_request);
    check_output(&r, "diabetes_xgb", "diabetes_xgb");
    run_free(&r);
}

static void test_predict_from_stdin(void **state)
{
    (void)state;
    run_result r = run("'%s' predict --model '%s/diabetes_xgb' --input - < '%s'", ts_ferry_bin(),
                       g.repo, g.diabetes_request);
    check_output(&r, "diabetes_xgb", "diabetes_xgb");
    run_free(&r);
    r = run("cat '%s' | '%s' predict --input - --model '%s/bc_xgb'", g.bc_request, ts_ferry_bin(),
            g.repo);
    check_output(&r, "bc_xgb", "bc_xgb");
    run_free(&r);
}

static void test_predict_errors(void **state)
{
    (void)state;
    /* A missing input file, named. */
    run_result r = run("'%s' predict --model '%s/bc_xgb' --input '%s/no-such-request.json'",
                       ts_ferry_bin(), g.repo, g.tmp);
    const char *const no_input[] = {"no-such-request.json", "No such file", NULL};
    check_failure(&r, 1, no_input);
    run_free(&r);

    /* A missing model path, named. */
    r = run("'%s' predict --model '%s/no-such-model' --input '%s'", ts_ferry_bin(), g.repo,
            g.bc_request);
    const char *const no_model[] = {"no-such-model", NULL};
    check_failure(&r, 1, no_model);
    run_free(&r);

    /* An unknown input name. */
    char path[4200];
    snprintf(path, sizeof path, "%s/unknown-input.json", g.tmp);
    ts_write_file(path, "{\"inputs\":[{\"name\":\"zz\",\"datatype\":\"FP32\",\"shape\":[1,10],"
                        "\"data\":[1,2,3,4,5,6,7,8,9,10]}]}");
    r = run("'%s' predict --model '%s/diabetes_xgb' --input '%s'", ts_ferry_bin(), g.repo, path);
    const char *const unknown[] = {"no input 'zz'", NULL};
    check_failure(&r, 1, unknown);
    run_free(&r);

    /* Malformed request JSON. */
    snprintf(path, sizeof path, "%s/malformed.json", g.tmp);
    ts_write_file(path, "{\"inputs\": [");
    r = run("'%s' predict --model '%s/diabetes_xgb' --input '%s'", ts_ferry_bin(), g.repo, path);
    const char *const malformed[] = {"malformed JSON", NULL};
    check_failure(&r, 1, malformed);
    run_free(&r);

    /* A corrupt model (model.json cut short), named with the reason. */
    char from[4096], corrupt[4200];
    snprintf(from, sizeof from, "%s/bc_xgb/model.json", ts_shared("models"));
    snprintf(corrupt, sizeof corrupt, "%s/corrupt/1/model.json", g.tmp);
    char *data = ts_read_file(from, NULL);
    assert_non_null(data);
    data[3000] = '\0';
    ts_write_file(corrupt, data);
    free(data);
    r = run("'%s' predict --model '%s' --input '%s'", ts_ferry_bin(), corrupt, g.bc_request);
    const char *const bad_model[] = {"corrupt/1/model.json", "cannot load", NULL};
    check_failure(&r, 1, bad_model);
    run_free(&r);
}

static void test_predict_usage(void **state)
{
    (void)state;
    run_result r = run("'%s' predict", ts_ferry_bin());
    const char *const required[] = {"--model", "--input", NULL};
    check_failure(&r, 2, required);
    run_free(&r);
    r = run("'%s' predict --model '%s/bc_xgb'", ts_ferry_bin(), g.repo);
    check_failure(&r, 2, required);
    run_free(&r);
    r = run("'%s' predict --input '%s'", ts_ferry_bin(), g.bc_request);
    check_failure(&r, 2, required);
    run_free(&r);
    r = run("'%s' predict --model '%s/bc_xgb' --input '%s' --bogus", ts_ferry_bin(), g.repo,
            g.bc_request);
    const char *const bogus[] = {"--bogus", NULL};
    check_failure(&r, 2, bogus);
    run_free(&r);
    r = run("'%s' predict --model", ts_ferry_bin());
    check_failure(&r, 2, NULL);
    run_free(&r);
    r = run("'%s' predict --help", ts_ferry_bin());
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "--model"));
    assert_non_null(strstr(r.out, "--input"));
    run_free(&r);
}

/* ------------------------------------------------------------------------------------------ */
/* perf                                                                                         */
/* ------------------------------------------------------------------------------------------ */

static void check_perf_json(const run_result *r, long long batch, long long iterations)
{
    if (r->rc != 0)
        fprintf(stderr, "test: perf exited %d: %s\n", r->rc, r->err);
    assert_int_equal(r->rc, 0);
    json_error_t jerr;
    json_t *doc = json_loads(r->out, 0, &jerr);
    if (doc == NULL)
        fprintf(stderr, "test: perf output is not JSON (%s): %s\n", jerr.text, r->out);
    assert_non_null(doc);
    assert_int_equal(json_integer_value(json_object_get(doc, "batch_size")), batch);
    assert_int_equal(json_integer_value(json_object_get(doc, "iterations")), iterations);
    const char *keys[] = {"median_us", "p90_us", "p99_us"};
    double v[3];
    for (int i = 0; i < 3; i++) {
        json_t *x = json_object_get(doc, keys[i]);
        assert_true(json_is_number(x));
        v[i] = json_number_value(x);
        assert_true(v[i] > 0);
    }
    assert_true(v[1] >= v[0]);
    assert_true(v[2] >= v[1]);
    json_decref(doc);
}

static void test_perf_json(void **state)
{
    (void)state;
    run_result r = run("'%s' perf --model '%s/bc_xgb' --batch-size 8 --iterations 50 --json",
                       ts_ferry_bin(), g.repo);
    check_perf_json(&r, 8, 50);
    run_free(&r);
    /* Rows taken from an input file, on an artifact. */
    r = run("'%s' perf --model '%s/diabetes_xgb/1/model.json' --input '%s' --batch-size 3 "
            "--iterations 20 --warmup 2 --json",
            ts_ferry_bin(), g.repo, g.diabetes_request);
    check_perf_json(&r, 3, 20);
    run_free(&r);
    /* Without --json: one human line. */
    r = run("'%s' perf --model '%s/bc_xgb/1' --batch-size 1 --iterations 10", ts_ferry_bin(),
            g.repo);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "median"));
    run_free(&r);
}

static void test_perf_errors(void **state)
{
    (void)state;
    run_result r = run("'%s' perf --model '%s/bc_xgb'", ts_ferry_bin(), g.repo);
    const char *const required[] = {"--batch-size", NULL};
    check_failure(&r, 2, required);
    run_free(&r);
    r = run("'%s' perf --model '%s/bc_xgb' --batch-size 0", ts_ferry_bin(), g.repo);
    check_failure(&r, 2, required);
    run_free(&r);
    r = run("'%s' perf --model '%s/nope' --batch-size 4", ts_ferry_bin(), g.repo);
    const char *const missing[] = {"nope", NULL};
    check_failure(&r, 1, missing);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predict_artifacts),
        cmocka_unit_test(test_predict_version_and_model_folders),
        cmocka_unit_test(test_predict_from_stdin),
        cmocka_unit_test(test_predict_errors),
        cmocka_unit_test(test_predict_usage),
        cmocka_unit_test(test_perf_json),
        cmocka_unit_test(test_perf_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
