/* Unit tests for Clip (src/onnx/ops/clip.c) beyond ONNX's node tests (opset 13): opset 6's min and
 * max attributes (each optional; infinities clip to float's largest values), opset 11's bounds as
 * initializers on int32 and uint8, and a bound of another dtype refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>

#include "onnx_model.h"

static void test_opset6_attributes(void **state)
{
    (void)state;
    static const int64_t s[] = {5};
    ts_onnx_model *b = ts_onnx_create(6);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 1, s);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 1, s);
    ts_onnx_output(b, "z", FERRY_DTYPE_FP32, 1, s);
    int n = ts_onnx_node(b, "Clip", "x", "y");
    ts_onnx_attr_float(b, n, "min", -1);
    ts_onnx_attr_float(b, n, "max", 0.5f);
    n = ts_onnx_node(b, "Clip", "x", "z");
    ts_onnx_attr_float(b, n, "min", 0);
    onnx_model *m = ts_onnx_load_ok(b);
    const float x[5] = {-3, 0.25f, 2, INFINITY, NAN};
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 1, s, x), out[2];
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, out, &a);
    const float *y = out[0].data, *z = out[1].data;
    assert_float_equal(y[0], -1, 0);
    assert_float_equal(y[1], 0.25, 0);
    assert_float_equal(y[2], 0.5, 0);
    assert_float_equal(y[3], 0.5, 0);
    assert_true(isnan(y[4]));
    assert_float_equal(z[0], 0, 0);
    assert_float_equal(z[2], 2, 0);
    assert_true(z[3] == FLT_MAX);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_opset11_integer_bounds(void **state)
{
    (void)state;
    static const int64_t s[] = {4}, scalar[] = {0};
    static const int32_t lo = -2, hi = 3;
    static const uint8_t ulo = 10;
    ts_onnx_model *b = ts_onnx_create(12);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT32, 1, s);
    ts_onnx_input(b, "u", FERRY_DTYPE_UINT8, 1, s);
    ts_onnx_initializer(b, "lo", FERRY_DTYPE_INT32, 0, scalar, &lo);
    ts_onnx_initializer(b, "hi", FERRY_DTYPE_INT32, 0, scalar, &hi);
    ts_onnx_initializer(b, "ulo", FERRY_DTYPE_UINT8, 0, scalar, &ulo);
    ts_onnx_output(b, "y", FERRY_DTYPE_INT32, 1, s);
    ts_onnx_output(b, "v", FERRY_DTYPE_UINT8, 1, s);
    ts_onnx_node(b, "Clip", "x,lo,hi", "y");
    ts_onnx_node(b, "Clip", "u,ulo", "v");
    onnx_model *m = ts_onnx_load_ok(b);
    const int32_t x[4] = {-100, -2, 2, 100};
    const uint8_t u[4] = {0, 9, 11, 255};
    ferry_tensor in[2] = {ts_onnx_tensor("x", FERRY_DTYPE_INT32, 1, s, x),
                          ts_onnx_tensor("u", FERRY_DTYPE_UINT8, 1, s, u)},
                 out[2];
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, in, 2, out, &a);
    assert_memory_equal(out[0].data, ((int32_t[]){-2, -2, 2, 3}), 4 * sizeof(int32_t));
    assert_memory_equal(out[1].data, ((uint8_t[]){10, 10, 11, 255}), 4);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_bound_of_another_dtype_refused(void **state)
{
    (void)state;
    static const int64_t s[] = {4}, scalar[] = {0};
    static const double lo = 0;
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 1, s);
    ts_onnx_initializer(b, "lo", FERRY_DTYPE_FP64, 0, scalar, &lo);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 1, s);
    ts_onnx_node(b, "Clip", "x,lo", "y");
    ts_onnx_load_fails(b, FERRY_INVALID_ARG, "must match");
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opset6_attributes),
        cmocka_unit_test(test_opset11_integer_bounds),
        cmocka_unit_test(test_bound_of_another_dtype_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
