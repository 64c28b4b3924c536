/* ONNX models as a user runs them: digits_mlp and digits_cnn through `ferry predict` and through
 * the server (a repository with both, over a socket), equal to ONNX Runtime's expected.json
 * (|a - e| <= 1e-5 + 1e-4 |e|); their metadata with -1 for the batch; a truncated model.onnx fails
 * to load with a clear error and exit 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

static struct {
    char *tmp;
    char repo[4096];
    char request[2][4200]; /* mlp, cnn: the whole test split */
} g;

static const char *const fixtures[] = {"digits_mlp", "digits_cnn"};

/* Checks an OIP v2 response's first output against the fixture's expected.json. */
static void check_response(json_t *doc, const char *fixture)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/expected.json", ts_shared("models"), fixture);
    json_t *expected = ts_load_json(path);
    json_t *want_out = json_array_get(json_object_get(expected, "outputs"), 0);
    json_t *want = json_object_get(want_out, "data");
    json_t *out = json_array_get(json_object_get(doc, "outputs"), 0);
    assert_non_null(out);
    assert_string_equal(json_string_value(json_object_get(out, "name")),
                        json_string_value(json_object_get(want_out, "name")));
    assert_string_equal(json_string_value(json_object_get(out, "datatype")), "FP32");
    json_t *data = json_object_get(out, "data");
    assert_int_equal(json_array_size(data), json_array_size(want));
    for (size_t i = 0; i < json_array_size(want); i++) {
        double a = json_number_value(json_array_get(data, i));
        double e = json_number_value(json_array_get(want, i));
        if (fabs(a - e) > 1e-5 + 1e-4 * fabs(e))
            fail_msg("%s value %zu: got %.9g, expected %.9g", fixture, i, a, e);
    }
    json_decref(expected);
}

static int setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    snprintf(g.repo, sizeof g.repo, "%s/repo", g.tmp);
    for (int i = 0; i < 2; i++) {
        ts_repo_add(g.repo, fixtures[i], "1", fixtures[i], "model.onnx");
        snprintf(g.request[i], sizeof g.request[i], "%s/%s-request.json", g.tmp, fixtures[i]);
        char *body = ts_fixture_request(fixtures[i]);
        ts_write_file(g.request[i], body);
        free(body);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(g.tmp);
    free(g.tmp);
    return 0;
}

static void test_predict_matches_onnxruntime(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        char cmd[12000], *out = NULL;
        snprintf(cmd, sizeof cmd, "'%s' predict --model '%s/models/%s/model.onnx' --input '%s'",
                 ts_ferry_bin(), ts_shared(""), fixtures[i], g.request[i]);
        int rc = ts_run(cmd, &out);
        if (rc != 0)
            fail_msg("%s exited %d", cmd, rc);
        json_t *doc = json_loads(out, 0, NULL);
        assert_non_null(doc);
        check_response(doc, fixtures[i]);
        json_decref(doc);
        free(out);
    }
}

static void test_server_matches_onnxruntime(void **state)
{
    (void)state;
    char st[4200];
    snprintf(st, sizeof st, "%s/state", g.tmp);
    const char *args[] = {"--repo", g.repo, "--state", st, NULL};
    ts_server srv = {0};
    if (!ts_server_start(&srv, args))
        fail_msg("server did not start:\n%s", srv.log ? srv.log : "");
    for (int i = 0; i < 2; i++) {
        char path[256];
        ts_response resp;
        snprintf(path, sizeof path, "/v2/models/%s", fixtures[i]);
        assert_true(ts_server_http(&srv, "GET", path, NULL, NULL, 0, &resp));
        assert_int_equal(resp.status, 200);
        json_t *meta = ts_response_json(&resp);
        json_t *shape =
            json_object_get(json_array_get(json_object_get(meta, "inputs"), 0), "shape");
        assert_int_equal(json_integer_value(json_array_get(shape, 0)), -1);
        json_t *out_shape =
            json_object_get(json_array_get(json_object_get(meta, "outputs"), 0), "shape");
        assert_int_equal(json_integer_value(json_array_get(out_shape, 0)), -1);
        assert_int_equal(json_integer_value(json_array_get(out_shape, 1)), 10);
        json_decref(meta);
        ts_response_free(&resp);
        size_t len;
        char *body = ts_read_file(g.request[i], &len);
        snprintf(path, sizeof path, "/v2/models/%s/infer", fixtures[i]);
        assert_true(ts_server_http(&srv, "POST", path, "Content-Type: application/json\r\n", body,
                                   len, &resp));
        if (resp.status != 200)
            fail_msg("infer %s: HTTP %d: %s", fixtures[i], resp.status, resp.body);
        json_t *doc = ts_response_json(&resp);
        check_response(doc, fixtures[i]);
        json_decref(doc);
        ts_response_free(&resp);
        free(body);
    }
    assert_int_equal(ts_server_stop(&srv), 0);
}

static void test_truncated_model_fails_clearly(void **state)
{
    (void)state;
    char src[4200], dst[4200], cmd[12000];
    snprintf(src, sizeof src, "%s/models/digits_cnn/model.onnx", ts_shared(""));
    snprintf(dst, sizeof dst, "%s/broken/model.onnx", g.tmp);
    size_t len;
    char *bytes = ts_read_file(src, &len);
    ts_write_file(dst, "");
    FILE *f = fopen(dst, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len / 3, f), len / 3);
    fclose(f);
    free(bytes);
    snprintf(cmd, sizeof cmd, "'%s' predict --model '%s' --input '%s' 2>&1", ts_ferry_bin(), dst,
             g.request[1]);
    char *out = NULL;
    int rc = ts_run(cmd, &out);
    assert_int_equal(rc, 1);
    ts_assert_no_sanitizer_report(out);
    if (strstr(out, "truncated or corrupt") == NULL || strstr(out, "broken/model.onnx") == NULL)
        fail_msg("unclear error: %s", out);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predict_matches_onnxruntime),
        cmocka_unit_test(test_server_matches_onnxruntime),
        cmocka_unit_test(test_truncated_model_fails_clearly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
