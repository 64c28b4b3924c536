/* Unit tests for TopK (src/onnx/ops/top_k.c), which ONNX's node tests here do not cover: K as an
 * initializer and as a graph input read while planning, largest = 0 along a non-last axis, ties
 * keeping the lower index first, NaN ranked above every number, opset 1's k attribute, and a k
 * past the axis refused at load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "onnx_model.h"

static void test_k_from_initializer(void **state)
{
    (void)state;
    static const int64_t xs[] = {2, 5}, ks[] = {1}, ys[] = {2, 3}, k[] = {3};
    ts_onnx_model *b = ts_onnx_create(11);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, xs);
    ts_onnx_initializer(b, "k", FERRY_DTYPE_INT64, 1, ks, k);
    ts_onnx_output(b, "values", FERRY_DTYPE_FP32, 2, ys);
    ts_onnx_output(b, "indices", FERRY_DTYPE_INT64, 2, ys);
    ts_onnx_node(b, "TopK", "x,k", "values,indices");
    onnx_model *m = ts_onnx_load_ok(b);
    const float x[10] = {1, 3, 3, 2, 0, NAN, -1, 7, 7, -5};
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 2, xs, x), out[2];
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, out, &a);
    const float *v = out[0].data;
    const int64_t *i = out[1].data;
    assert_int_equal(out[0].shape[1], 3);
    assert_float_equal(v[0], 3, 0);
    assert_float_equal(v[1], 3, 0);
    assert_float_equal(v[2], 2, 0);
    assert_int_equal(i[0], 1);
    assert_int_equal(i[1], 2);
    assert_int_equal(i[2], 3);
    assert_true(isnan(v[3])); /* NaN ranks first, then the 7s in index order */
    assert_float_equal(v[4], 7, 0);
    assert_float_equal(v[5], 7, 0);
    assert_int_equal(i[3], 0);
    assert_int_equal(i[4], 2);
    assert_int_equal(i[5], 3);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

/* K is a graph input: plans are made per value, so two values give two output shapes. */
static void test_k_from_input_smallest_axis0(void **state)
{
    (void)state;
    static const int64_t xs[] = {4, 2}, ks[] = {1}, ys[] = {-1, 2};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT32, 2, xs);
    ts_onnx_input(b, "k", FERRY_DTYPE_INT64, 1, ks);
    ts_onnx_output(b, "values", FERRY_DTYPE_INT32, 2, ys);
    ts_onnx_output(b, "indices", FERRY_DTYPE_INT64, 2, ys);
    int n = ts_onnx_node(b, "TopK", "x,k", "values,indices");
    ts_onnx_attr_int(b, n, "axis", 0);
    ts_onnx_attr_int(b, n, "largest", 0);
    onnx_model *m = ts_onnx_load_ok(b);
    const int32_t x[8] = {5, 1, 2, 1, 9, 0, 2, 4};
    for (int64_t k = 1; k <= 4; k += 1) {
        ferry_tensor in[2] = {ts_onnx_tensor("x", FERRY_DTYPE_INT32, 2, xs, x),
                              ts_onnx_tensor("k", FERRY_DTYPE_INT64, 1, ks, &k)},
                     out[2];
        arena a;
        arena_init(&a, 1 << 20);
        ts_onnx_run_ok(m, in, 2, out, &a);
        assert_int_equal(out[0].shape[0], k);
        const int32_t want_v[8] = {2, 0, 2, 1, 5, 1, 9, 4};
        const int64_t want_i[8] = {1, 2, 3, 0, 0, 1, 2, 3};
        assert_memory_equal(out[0].data, want_v, (size_t)k * 2 * sizeof *want_v);
        assert_memory_equal(out[1].data, want_i, (size_t)k * 2 * sizeof *want_i);
        arena_free(&a);
    }
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_opset1_k_attribute(void **state)
{
    (void)state;
    static const int64_t xs[] = {6}, ys[] = {2};
    ts_onnx_model *b = ts_onnx_create(9);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP64, 1, xs);
    ts_onnx_output(b, "values", FERRY_DTYPE_FP64, 1, ys);
    ts_onnx_output(b, "indices", FERRY_DTYPE_INT64, 1, ys);
    int n = ts_onnx_node(b, "TopK", "x", "values,indices");
    ts_onnx_attr_int(b, n, "k", 2);
    onnx_model *m = ts_onnx_load_ok(b);
    const double x[6] = {0.5, -2, 8, 3, 8.5, 1};
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP64, 1, xs, x), out[2];
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, out, &a);
    assert_float_equal(((double *)out[0].data)[0], 8.5, 0);
    assert_float_equal(((double *)out[0].data)[1], 8, 0);
    assert_int_equal(((int64_t *)out[1].data)[0], 4);
    assert_int_equal(((int64_t *)out[1].data)[1], 2);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_k_past_axis_refused(void **state)
{
    (void)state;
    static const int64_t xs[] = {3}, ks[] = {1}, k[] = {4};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 1, xs);
    ts_onnx_initializer(b, "k", FERRY_DTYPE_INT64, 1, ks, k);
    ts_onnx_output(b, "values", FERRY_DTYPE_FP32, 1, xs);
    ts_onnx_output(b, "indices", FERRY_DTYPE_INT64, 1, xs);
    ts_onnx_node(b, "TopK", "x,k", "values,indices");
    ts_onnx_load_fails(b, FERRY_INVALID_ARG, "k is 4 for an axis of 3");
    ts_onnx_destroy(b);
    /* Opset 1 without its k attribute. */
    b = ts_onnx_create(1);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 1, xs);
    ts_onnx_output(b, "values", FERRY_DTYPE_FP32, 1, xs);
    ts_onnx_output(b, "indices", FERRY_DTYPE_INT64, 1, xs);
    ts_onnx_node(b, "TopK", "x", "values,indices");
    ts_onnx_load_fails(b, FERRY_INVALID_ARG, "k attribute is required");
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_k_from_initializer),
        cmocka_unit_test(test_k_from_input_smallest_axis0),
        cmocka_unit_test(test_opset1_k_attribute),
        cmocka_unit_test(test_k_past_axis_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
