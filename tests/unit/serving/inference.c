/* Unit tests for input binding and the backend call (src/serving/inference.c) with the real
 * bc_xgb XGBoost fixture: results against python-xgboost's, FP64 converted to the same answer as
 * FP32, and every kind of bad input (missing, unknown, duplicated, mistyped, misshapen,
 * inconsistent data size) refused with a message naming the model, version and input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serving/inference.h"
#include "serving/repository.h"
#include "test_support.h"

#define ROWS     114
#define FEATURES 30

static struct {
    model_version *mv;
    float x[ROWS * FEATURES];    /* the fixture's test split */
    double x64[ROWS * FEATURES]; /* the same, as doubles */
    float expected[ROWS];        /* python-xgboost's probabilities */
    arena a;
} g;

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static int group_setup(void **state)
{
    (void)state;
    model_spec spec;
    ferry_error err;
    if (repository_read_path(ts_shared("models/bc_xgb/model.json"), "bc", &spec, &err) !=
        FERRY_OK) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    snprintf(spec.version, sizeof spec.version, "1"); /* as loader_load_artifact does */
    ferry_status st = model_version_load(&spec, &g.mv, &err);
    model_spec_clear(&spec);
    if (st != FERRY_OK) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    json_t *in = ts_load_json(ts_shared("models/bc_xgb/test_inputs.json"));
    json_t *data = json_object_get(in, "data");
    if (json_array_size(data) != ROWS * FEATURES)
        return -1;
    for (size_t i = 0; i < ROWS * FEATURES; i++) {
        g.x64[i] = json_number_value(json_array_get(data, i));
        g.x[i] = (float)g.x64[i];
    }
    json_decref(in);
    json_t *exp = ts_load_json(ts_shared("models/bc_xgb/expected.json"));
    json_t *want = json_object_get(json_array_get(json_object_get(exp, "outputs"), 0), "data");
    if (json_array_size(want) != ROWS)
        return -1;
    for (size_t i = 0; i < ROWS; i++)
        g.expected[i] = (float)json_number_value(json_array_get(want, i));
    json_decref(exp);
    arena_init(&g.a, 1 << 24);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    model_version_release(g.mv);
    arena_free(&g.a);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    arena_reset(&g.a);
    return 0;
}

static ferry_tensor fp32_rows(const char *name, int64_t rows)
{
    return (ferry_tensor){.name = name,
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 2,
                          .shape = {rows, FEATURES},
                          .data = g.x,
                          .nbytes = (size_t)rows * FEATURES * sizeof(float)};
}

/* Runs inputs expecting INVALID_ARG; the message is left in err. */
static void run_fails(const ferry_tensor *inputs, size_t n, ferry_error *err)
{
    ferry_tensor out[1];
    ferry_status st = inference_run(g.mv, inputs, n, out, &g.a, err);
    if (st != FERRY_INVALID_ARG)
        fail_msg("expected invalid argument, got %s (%s)", ferry_status_name(st),
                 st == FERRY_OK ? "" : err->message);
    assert_int_equal(err->code, FERRY_INVALID_ARG);
    assert_contains(err->message, "'bc'");
    assert_contains(err->message, "version 1");
}

static void test_describe(void **state)
{
    (void)state;
    assert_int_equal(g.mv->io.n_inputs, 1);
    assert_string_equal(g.mv->io.inputs[0].name, "input");
    assert_int_equal(g.mv->io.inputs[0].dtype, FERRY_DTYPE_FP32);
    assert_int_equal(g.mv->io.inputs[0].shape[1], FEATURES);
    assert_int_equal(g.mv->io.n_features, FEATURES);
    assert_int_equal(model_version_input_index(g.mv, "input"), 0);
    assert_int_equal(model_version_input_index(g.mv, "Input"), -1);
    assert_int_equal(model_version_output_index(g.mv, "predict"), 0);
    assert_int_equal(model_version_output_index(g.mv, "input"), -1);
}

static void test_fp32_matches_python(void **state)
{
    (void)state;
    ferry_tensor in = fp32_rows("input", ROWS);
    ferry_tensor out[1];
    ferry_error err;
    ferry_status st = inference_run(g.mv, &in, 1, out, &g.a, &err);
    if (st != FERRY_OK)
        fail_msg("%s", err.message);
    assert_string_equal(out[0].name, "predict");
    assert_int_equal(out[0].dtype, FERRY_DTYPE_FP32);
    assert_int_equal(out[0].ndim, 1);
    assert_int_equal(out[0].shape[0], ROWS);
    assert_int_equal(out[0].nbytes, ROWS * sizeof(float));
    const float *p = out[0].data;
    for (int i = 0; i < ROWS; i++)
        if (!ts_close(p[i], g.expected[i]))
            fail_msg("row %d: got %.9g, expected %.9g", i, (double)p[i], (double)g.expected[i]);
}

static void test_fp64_converted_same_result(void **state)
{
    (void)state;
    ferry_tensor in32 = fp32_rows("input", ROWS);
    ferry_tensor out32[1], out64[1];
    ferry_error err;
    assert_int_equal(inference_run(g.mv, &in32, 1, out32, &g.a, &err), FERRY_OK);
    ferry_tensor in64 = {.name = "input",
                         .dtype = FERRY_DTYPE_FP64,
                         .ndim = 2,
                         .shape = {ROWS, FEATURES},
                         .data = g.x64,
                         .nbytes = sizeof g.x64};
    ferry_status st = inference_run(g.mv, &in64, 1, out64, &g.a, &err);
    if (st != FERRY_OK)
        fail_msg("%s", err.message);
    assert_int_equal(out64[0].dtype, FERRY_DTYPE_FP32);
    assert_int_equal(out64[0].shape[0], ROWS);
    assert_int_equal(out64[0].nbytes, out32[0].nbytes);
    assert_memory_equal(out64[0].data, out32[0].data, out32[0].nbytes);
}

static void test_zero_rows(void **state)
{
    (void)state;
    ferry_tensor in = fp32_rows("input", 0);
    ferry_tensor out[1];
    ferry_error err;
    assert_int_equal(inference_run(g.mv, &in, 1, out, &g.a, &err), FERRY_OK);
    assert_int_equal(out[0].shape[0], 0);
    assert_int_equal(out[0].nbytes, 0);
}

static void test_missing_input(void **state)
{
    (void)state;
    ferry_error err;
    run_fails(NULL, 0, &err);
    assert_contains(err.message, "missing input 'input'");
}

static void test_unknown_input(void **state)
{
    (void)state;
    ferry_tensor in[2] = {fp32_rows("input", 1), fp32_rows("features", 1)};
    ferry_error err;
    run_fails(in, 2, &err);
    assert_contains(err.message, "no input 'features'");
    assert_contains(err.message, "(inputs: 'input')");
    /* Alone it is reported the same way (before the missing one). */
    run_fails(&in[1], 1, &err);
    assert_contains(err.message, "'features'");
}

static void test_duplicate_input(void **state)
{
    (void)state;
    ferry_tensor in[2] = {fp32_rows("input", 1), fp32_rows("input", 2)};
    ferry_error err;
    run_fails(in, 2, &err);
    assert_contains(err.message, "'input'");
    assert_contains(err.message, "twice");
}

static void test_wrong_dtype(void **state)
{
    (void)state;
    int32_t ints[FEATURES] = {0};
    ferry_tensor in = {.name = "input",
                       .dtype = FERRY_DTYPE_INT32,
                       .ndim = 2,
                       .shape = {1, FEATURES},
                       .data = ints,
                       .nbytes = sizeof ints};
    ferry_error err;
    run_fails(&in, 1, &err);
    assert_contains(err.message, "'input'");
    assert_contains(err.message, "INT32");
    assert_contains(err.message, "FP32");
    const ferry_dtype others[] = {FERRY_DTYPE_BOOL,   FERRY_DTYPE_UINT8, FERRY_DTYPE_INT64,
                                  FERRY_DTYPE_FP16,   FERRY_DTYPE_BF16,  FERRY_DTYPE_BYTES,
                                  FERRY_DTYPE_INVALID};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        in.dtype = others[i];
        run_fails(&in, 1, &err);
        assert_contains(err.message, ferry_dtype_name(others[i]));
        assert_contains(err.message, "expected FP32");
    }
    /* A value outside the enum (embedding callers pass what they like) is refused too. */
    in.dtype = (ferry_dtype)99;
    run_fails(&in, 1, &err);
    assert_contains(err.message, "INVALID");
}

static void test_wrong_feature_count(void **state)
{
    (void)state;
    ferry_tensor in = fp32_rows("input", 1);
    in.shape[1] = 29;
    in.nbytes = 29 * sizeof(float);
    ferry_error err;
    run_fails(&in, 1, &err);
    assert_contains(err.message, "'input'");
    assert_contains(err.message, "29 features");
    assert_contains(err.message, "expects 30");
    in.shape[1] = 31;
    in.nbytes = 31 * sizeof(float);
    run_fails(&in, 1, &err);
    assert_contains(err.message, "31 features");
}

static void test_wrong_ndim(void **state)
{
    (void)state;
    ferry_tensor in = fp32_rows("input", 1);
    in.ndim = 1;
    in.shape[0] = FEATURES;
    in.shape[1] = 0;
    ferry_error err;
    run_fails(&in, 1, &err);
    assert_contains(err.message, "'input'");
    assert_contains(err.message, "shape [30]");
    assert_contains(err.message, "expected [-1,30]");
    in.ndim = 3;
    in.shape[0] = 1;
    in.shape[1] = 1;
    in.shape[2] = FEATURES;
    run_fails(&in, 1, &err);
    assert_contains(err.message, "[1,1,30]");
    in.ndim = 0;
    in.nbytes = sizeof(float);
    run_fails(&in, 1, &err);
    assert_contains(err.message, "shape []");
}

static void test_data_size_must_match_shape(void **state)
{
    (void)state;
    /* Two rows claimed, one row of data: refused rather than read past the data. */
    ferry_tensor in = fp32_rows("input", 1);
    in.shape[0] = 2;
    ferry_error err;
    run_fails(&in, 1, &err);
    assert_contains(err.message, "'input'");
    assert_contains(err.message, "120 bytes");
    assert_contains(err.message, "[2,30]");
    /* More data than the shape holds is as suspect as less. */
    in.shape[0] = 1;
    in.nbytes = 2 * FEATURES * sizeof(float);
    run_fails(&in, 1, &err);
    /* The same through conversion. */
    ferry_tensor in64 = {.name = "input",
                         .dtype = FERRY_DTYPE_FP64,
                         .ndim = 2,
                         .shape = {3, FEATURES},
                         .data = g.x64,
                         .nbytes = FEATURES * sizeof(double)};
    run_fails(&in64, 1, &err);
    assert_contains(err.message, "'input'");
    /* A negative row count is not "any size". */
    in = fp32_rows("input", 1);
    in.shape[0] = -1;
    run_fails(&in, 1, &err);
    assert_contains(err.message, "'input'");
}

static void test_format_shape(void **state)
{
    (void)state;
    char buf[64];
    const int64_t s[] = {1, 30};
    assert_string_equal(inference_format_shape(s, 2, buf, sizeof buf), "[1,30]");
    const int64_t v[] = {-1, 30};
    assert_string_equal(inference_format_shape(v, 2, buf, sizeof buf), "[-1,30]");
    assert_string_equal(inference_format_shape(NULL, 0, buf, sizeof buf), "[]");
    /* A small buffer truncates and stays terminated. */
    char small[5];
    memset(small, 'x', sizeof small);
    const int64_t big[] = {100000, 200000};
    inference_format_shape(big, 2, small, sizeof small);
    assert_int_equal(strlen(small), 4);
    assert_memory_equal(small, "[100", 4);
}

#define INFER_TEST(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        INFER_TEST(test_describe),
        INFER_TEST(test_fp32_matches_python),
        INFER_TEST(test_fp64_converted_same_result),
        INFER_TEST(test_zero_rows),
        INFER_TEST(test_missing_input),
        INFER_TEST(test_unknown_input),
        INFER_TEST(test_duplicate_input),
        INFER_TEST(test_wrong_dtype),
        INFER_TEST(test_wrong_feature_count),
        INFER_TEST(test_wrong_ndim),
        INFER_TEST(test_data_size_must_match_shape),
        INFER_TEST(test_format_shape),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
