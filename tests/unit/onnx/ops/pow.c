/* Unit tests for Pow (src/onnx/ops/pow.c) beyond ONNX's node tests: integer powers exact with
 * wrap-around and negative exponents truncated toward 0, an int8 exponent on a float base, and
 * int32 ^ float saturating. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "onnx_model.h"

static const int64_t s[] = {5};

/* Runs Pow on x (dtype dx) and y (dtype dy) of 5 elements; copies the output to out. */
static void run_pow(ferry_dtype dx, const void *x, ferry_dtype dy, const void *y, void *out)
{
    ts_onnx_model *b = ts_onnx_create(15);
    ts_onnx_input(b, "x", dx, 1, s);
    ts_onnx_input(b, "y", dy, 1, s);
    ts_onnx_output(b, "z", dx, 1, s);
    ts_onnx_node(b, "Pow", "x,y", "z");
    onnx_model *m = ts_onnx_load_ok(b);
    ferry_tensor in[2] = {ts_onnx_tensor("x", dx, 1, s, x), ts_onnx_tensor("y", dy, 1, s, y)}, z;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, in, 2, &z, &a);
    memcpy(out, z.data, z.nbytes);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_integer_powers(void **state)
{
    (void)state;
    const int64_t x[5] = {3, 2, -1, 2, 1}, y[5] = {39, 64, -3, -1, -5};
    int64_t z[5];
    run_pow(FERRY_DTYPE_INT64, x, FERRY_DTYPE_INT64, y, z);
    assert_int_equal(z[0], 4052555153018976267LL); /* 3^39 */
    assert_int_equal(z[1], 0);                     /* 2^64 wraps to 0 */
    assert_int_equal(z[2], -1);
    assert_int_equal(z[3], 0);
    assert_int_equal(z[4], 1);
}

static void test_mixed_types(void **state)
{
    (void)state;
    const float x[5] = {2, 4, -2, 0.5f, 9};
    const int8_t y[5] = {3, -1, 3, 2, 0};
    float z[5];
    run_pow(FERRY_DTYPE_FP32, x, FERRY_DTYPE_INT8, y, z);
    const float want[5] = {8, 0.25f, -8, 0.25f, 1};
    for (int i = 0; i < 5; i++)
        assert_float_equal(z[i], want[i], 1e-6);
    const int32_t xi[5] = {2, 10, -10, 4, 0};
    const float yf[5] = {0.5f, 20, 21, -0.5f, 0};
    int32_t zi[5];
    run_pow(FERRY_DTYPE_INT32, xi, FERRY_DTYPE_FP32, yf, zi);
    assert_int_equal(zi[0], 1);
    assert_int_equal(zi[1], INT32_MAX);
    assert_int_equal(zi[2], INT32_MIN);
    assert_int_equal(zi[3], 0);
    assert_int_equal(zi[4], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_powers),
        cmocka_unit_test(test_mixed_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
