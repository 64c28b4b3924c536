/* Unit tests for LayerNormalization (src/onnx/ops/layer_normalization.c) beyond ONNX's node
 * tests: double input with stash_type 11 (double Mean and InvStdDev), Scale with a leading one
 * and no B, only Y requested, and an unknown stash_type or a Scale that does not broadcast
 * refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "onnx_model.h"

static const int64_t xs[] = {2, 3}, stat_shape[] = {2, 1};

static void test_double_stash_and_broadcast_scale(void **state)
{
    (void)state;
    static const int64_t ss[] = {1, 3};
    const double scale[3] = {1, 2, 3};
    ts_onnx_model *b = ts_onnx_create(17);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP64, 2, xs);
    ts_onnx_initializer(b, "s", FERRY_DTYPE_FP64, 2, ss, scale);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP64, 2, xs);
    ts_onnx_output(b, "mean", FERRY_DTYPE_FP64, 2, stat_shape);
    ts_onnx_output(b, "inv", FERRY_DTYPE_FP64, 2, stat_shape);
    int n = ts_onnx_node(b, "LayerNormalization", "x,s", "y,mean,inv");
    ts_onnx_attr_int(b, n, "stash_type", 11);
    ts_onnx_attr_float(b, n, "epsilon", 0.0f);
    onnx_model *m = ts_onnx_load_ok(b);
    const double x[6] = {1, 2, 3, -2, 0, 2};
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP64, 2, xs, x), out[3];
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, out, &a);
    const double *y = out[0].data, *mean = out[1].data, *inv = out[2].data;
    double inv0 = 1 / sqrt(2.0 / 3), inv1 = 1 / sqrt(8.0 / 3);
    const double want[6] = {-inv0, 0, 3 * inv0, -2 * inv1, 0, 6 * inv1};
    for (int i = 0; i < 6; i++)
        assert_float_equal(y[i], want[i], 1e-12);
    assert_float_equal(mean[0], 2, 1e-12);
    assert_float_equal(mean[1], 0, 1e-12);
    assert_float_equal(inv[0], inv0, 1e-12);
    assert_float_equal(inv[1], inv1, 1e-12);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_only_y(void **state)
{
    (void)state;
    static const int64_t three[] = {3};
    const float scale[3] = {1, 1, 1}, bias[3] = {0, 1, 2};
    ts_onnx_model *b = ts_onnx_create(17);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, xs);
    ts_onnx_initializer(b, "s", FERRY_DTYPE_FP32, 1, three, scale);
    ts_onnx_initializer(b, "b", FERRY_DTYPE_FP32, 1, three, bias);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, xs);
    ts_onnx_node(b, "LayerNormalization", "x,s,b", "y");
    onnx_model *m = ts_onnx_load_ok(b);
    const float x[6] = {5, 5, 5, 0, 3, 6};
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 2, xs, x), out;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    const float *y = out.data;
    float k = 1 / sqrtf(6 + 1e-5f);
    const float want[6] = {0, 1, 2, -3 * k, 1, 2 + 3 * k};
    for (int i = 0; i < 6; i++)
        assert_float_equal(y[i], want[i], 1e-5);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void refused(int64_t stash, const int64_t *scale_shape, ferry_status code,
                    const char *needle)
{
    const float scale[3] = {1, 1, 1};
    ts_onnx_model *b = ts_onnx_create(17);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, xs);
    ts_onnx_initializer(b, "s", FERRY_DTYPE_FP32, 1, scale_shape, scale);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, xs);
    int n = ts_onnx_node(b, "LayerNormalization", "x,s", "y");
    ts_onnx_attr_int(b, n, "stash_type", stash);
    ts_onnx_load_fails(b, code, needle);
    ts_onnx_destroy(b);
}

static void test_refusals(void **state)
{
    (void)state;
    refused(10, (int64_t[]){3}, FERRY_UNSUPPORTED, "stash_type 10");
    refused(1, (int64_t[]){2}, FERRY_INVALID_ARG, "does not broadcast");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_double_stash_and_broadcast_scale),
        cmocka_unit_test(test_only_y),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
