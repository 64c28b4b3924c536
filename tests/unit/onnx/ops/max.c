/* Unit tests for the variadic ops through Max, Mean and Sum (src/onnx/ops/max.c, mean.c, sum.c
 * and src/onnx/variadic.c) beyond ONNX's node tests (same shapes, opset 13): three inputs
 * broadcast together at opset 8 (each fold pass over the same elements), NaN winning in Max, and
 * opset 6 refusing inputs of different shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "onnx_model.h"

static const int64_t as[] = {2, 3}, bs[] = {3}, cs[] = {2, 1};

static void test_three_inputs_broadcast(void **state)
{
    (void)state;
    ts_onnx_model *b = ts_onnx_create(8);
    ts_onnx_input(b, "a", FERRY_DTYPE_FP32, 2, as);
    ts_onnx_input(b, "b", FERRY_DTYPE_FP32, 1, bs);
    ts_onnx_input(b, "c", FERRY_DTYPE_FP32, 2, cs);
    ts_onnx_output(b, "max", FERRY_DTYPE_FP32, 2, as);
    ts_onnx_output(b, "mean", FERRY_DTYPE_FP32, 2, as);
    ts_onnx_output(b, "sum", FERRY_DTYPE_FP32, 2, as);
    ts_onnx_node(b, "Max", "a,b,c", "max");
    ts_onnx_node(b, "Mean", "a,b,c", "mean");
    ts_onnx_node(b, "Sum", "a,b,c", "sum");
    onnx_model *m = ts_onnx_load_ok(b);
    const float a[6] = {1, 5, NAN, 0, -2, 7}, bv[3] = {2, 2, 2}, c[2] = {3, -1};
    ferry_tensor in[3] = {ts_onnx_tensor("a", FERRY_DTYPE_FP32, 2, as, a),
                          ts_onnx_tensor("b", FERRY_DTYPE_FP32, 1, bs, bv),
                          ts_onnx_tensor("c", FERRY_DTYPE_FP32, 2, cs, c)},
                 out[3];
    arena ar;
    arena_init(&ar, 1 << 20);
    ts_onnx_run_ok(m, in, 3, out, &ar);
    const float want_max[6] = {3, 5, NAN, 2, 2, 7};
    for (int i = 0; i < 6; i++) {
        float sum = a[i] + bv[i % 3] + c[i / 3];
        const float *mx = out[0].data, *mean = out[1].data, *s = out[2].data;
        if (isnan(want_max[i])) {
            assert_true(isnan(mx[i]) && isnan(mean[i]) && isnan(s[i]));
            continue;
        }
        assert_float_equal(mx[i], want_max[i], 0);
        assert_float_equal(s[i], sum, 1e-6);
        assert_float_equal(mean[i], sum / 3, 1e-6);
    }
    arena_free(&ar);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_opset6_needs_one_shape(void **state)
{
    (void)state;
    ts_onnx_model *b = ts_onnx_create(6);
    ts_onnx_input(b, "a", FERRY_DTYPE_INT32, 2, as);
    ts_onnx_input(b, "b", FERRY_DTYPE_INT32, 1, bs);
    ts_onnx_output(b, "y", FERRY_DTYPE_INT32, 2, as);
    ts_onnx_node(b, "Max", "a,b", "y");
    ts_onnx_load_fails(b, FERRY_INVALID_ARG, "does not have the shape of");
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_inputs_broadcast),
        cmocka_unit_test(test_opset6_needs_one_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
