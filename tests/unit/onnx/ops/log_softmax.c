/* Unit tests for LogSoftmax (src/onnx/ops/log_softmax.c) beyond ONNX's node tests (opset 13):
 * opset 11's coercion to 2-D at `axis` (one normalization over the trailing dimensions), against
 * values computed here in double. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "onnx_model.h"

static void test_opset11_coerces_to_2d(void **state)
{
    (void)state;
    static const int64_t xs[] = {2, 2, 2};
    ts_onnx_model *b = ts_onnx_create(11);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 3, xs);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 3, xs);
    int n = ts_onnx_node(b, "LogSoftmax", "x", "y");
    ts_onnx_attr_int(b, n, "axis", 1);
    onnx_model *m = ts_onnx_load_ok(b);
    const float x[8] = {1, 2, 3, 4, 1000, 1000, 999, 998};
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 3, xs, x), out;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    for (int r = 0; r < 2; r++) {
        double max = -INFINITY, sum = 0;
        for (int i = 0; i < 4; i++)
            max = fmax(max, x[4 * r + i]);
        for (int i = 0; i < 4; i++)
            sum += exp(x[4 * r + i] - max);
        for (int i = 0; i < 4; i++)
            assert_float_equal(((float *)out.data)[4 * r + i], x[4 * r + i] - max - log(sum), 1e-5);
    }
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opset11_coerces_to_2d),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
