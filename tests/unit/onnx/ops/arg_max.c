/* Unit tests for ArgMax and ArgMin (src/onnx/ops/arg_max.c, arg_min.c and src/onnx/reduce.c)
 * beyond ONNX's node tests (float, opset 13): int8 along a middle axis without keepdims at opset
 * 11, ties with and without select_last_index, and an empty axis refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_model.h"

static void test_middle_axis_ties(void **state)
{
    (void)state;
    static const int64_t xs[] = {2, 3, 2}, ys[] = {2, 2};
    ts_onnx_model *b = ts_onnx_create(11);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT8, 3, xs);
    ts_onnx_output(b, "max", FERRY_DTYPE_INT64, 2, ys);
    ts_onnx_output(b, "min_last", FERRY_DTYPE_INT64, 2, ys);
    int n = ts_onnx_node(b, "ArgMax", "x", "max");
    ts_onnx_attr_int(b, n, "axis", -2);
    ts_onnx_attr_int(b, n, "keepdims", 0);
    n = ts_onnx_node(b, "ArgMin", "x", "min_last");
    ts_onnx_attr_int(b, n, "axis", 1);
    ts_onnx_attr_int(b, n, "keepdims", 0);
    ts_onnx_attr_int(b, n, "select_last_index", 1);
    onnx_model *m = ts_onnx_load_ok(b);
    /* [0] = {{1, -3}, {7, -3}, {7, 5}}, [1] = {{-128, 0}, {-128, 0}, {127, 0}} */
    const int8_t x[12] = {1, -3, 7, -3, 7, 5, -128, 0, -128, 0, 127, 0};
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_INT8, 3, xs, x), out[2];
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, out, &a);
    assert_memory_equal(out[0].data, ((int64_t[]){1, 2, 2, 0}), 4 * sizeof(int64_t));
    assert_memory_equal(out[1].data, ((int64_t[]){0, 1, 1, 2}), 4 * sizeof(int64_t));
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_empty_axis_refused(void **state)
{
    (void)state;
    static const int64_t xs[] = {2, 0}, ys[] = {2, 1};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, xs);
    ts_onnx_output(b, "y", FERRY_DTYPE_INT64, 2, ys);
    int n = ts_onnx_node(b, "ArgMax", "x", "y");
    ts_onnx_attr_int(b, n, "axis", 1);
    ts_onnx_load_fails(b, FERRY_INVALID_ARG, "empty axis 1");
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_middle_axis_ties),
        cmocka_unit_test(test_empty_axis_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
