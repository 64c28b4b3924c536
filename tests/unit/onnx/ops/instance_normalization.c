/* Unit tests for InstanceNormalization (src/onnx/ops/instance_normalization.c), whose node tests
 * are not among ../shared/conformance: float against a direct computation over a batch, double,
 * opset 1's form, and a scale of the wrong length refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "onnx_model.h"

static const int64_t xs[] = {2, 3, 2, 2}, cs[] = {3};

/* y for x = i * i % 7 - 3 over [2, 3, 2, 2] with scale (1, 2, -1), B (0, 0.5, 1), eps 0.01. */
static void expected(double *want)
{
    const double scale[3] = {1, 2, -1}, bias[3] = {0, 0.5, 1};
    for (int p = 0; p < 6; p++) {
        double v[4], mean = 0, var = 0;
        for (int i = 0; i < 4; i++) {
            int k = p * 4 + i;
            v[i] = k * k % 7 - 3;
            mean += v[i] / 4;
        }
        for (int i = 0; i < 4; i++)
            var += (v[i] - mean) * (v[i] - mean) / 4;
        for (int i = 0; i < 4; i++)
            want[p * 4 + i] = scale[p % 3] * (v[i] - mean) / sqrt(var + 0.01) + bias[p % 3];
    }
}

static void check(int64_t opset, ferry_dtype dtype)
{
    const double scale[3] = {1, 2, -1}, bias[3] = {0, 0.5, 1};
    const float scale_f[3] = {1, 2, -1}, bias_f[3] = {0, 0.5f, 1};
    bool f32 = dtype == FERRY_DTYPE_FP32;
    ts_onnx_model *b = ts_onnx_create(opset);
    ts_onnx_input(b, "x", dtype, 4, xs);
    ts_onnx_initializer(b, "s", dtype, 1, cs, f32 ? (const void *)scale_f : (const void *)scale);
    ts_onnx_initializer(b, "b", dtype, 1, cs, f32 ? (const void *)bias_f : (const void *)bias);
    ts_onnx_output(b, "y", dtype, 4, xs);
    int n = ts_onnx_node(b, "InstanceNormalization", "x,s,b", "y");
    ts_onnx_attr_float(b, n, "epsilon", 0.01f);
    onnx_model *m = ts_onnx_load_ok(b);
    float xf[24];
    double xd[24], want[24];
    for (int k = 0; k < 24; k++)
        xd[k] = xf[k] = (float)(k * k % 7 - 3);
    expected(want);
    ferry_tensor in = ts_onnx_tensor("x", dtype, 4, xs, f32 ? (const void *)xf : (const void *)xd),
                 out;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    for (int k = 0; k < 24; k++) {
        double got = f32 ? ((float *)out.data)[k] : ((double *)out.data)[k];
        if (fabs(got - want[k]) > 1e-5 + 1e-5 * fabs(want[k]))
            fail_msg("element %d: %g, expected %g", k, got, want[k]);
    }
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_float_double_opsets(void **state)
{
    (void)state;
    check(6, FERRY_DTYPE_FP32);
    check(6, FERRY_DTYPE_FP64);
    check(1, FERRY_DTYPE_FP32);
}

static void test_wrong_scale_refused(void **state)
{
    (void)state;
    static const int64_t two[] = {2};
    const float v[2] = {1, 1};
    ts_onnx_model *b = ts_onnx_create(6);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 4, xs);
    ts_onnx_initializer(b, "s", FERRY_DTYPE_FP32, 1, two, v);
    ts_onnx_initializer(b, "b", FERRY_DTYPE_FP32, 1, two, v);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 4, xs);
    ts_onnx_node(b, "InstanceNormalization", "x,s,b", "y");
    ts_onnx_load_fails(b, FERRY_INVALID_ARG, "one value per channel");
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_double_opsets),
        cmocka_unit_test(test_wrong_scale_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
