/* Unit tests for ReduceSum (src/onnx/ops/reduce_sum.c) beyond ONNX's node tests: opset 1's axes
 * attribute with keepdims = 0, noop_with_empty_axes with the axes input omitted, axes from a graph
 * input (a plan per value), and repeated or out-of-range axes refused at load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_model.h"

static const int64_t xs[] = {2, 3};
static const int32_t x[6] = {1, 2, 3, 4, 5, 6};

static void test_attribute_axes(void **state)
{
    (void)state;
    static const int64_t ys[] = {3}, axes[] = {0};
    ts_onnx_model *b = ts_onnx_create(11);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT32, 2, xs);
    ts_onnx_output(b, "y", FERRY_DTYPE_INT32, 1, ys);
    int n = ts_onnx_node(b, "ReduceSum", "x", "y");
    ts_onnx_attr_ints(b, n, "axes", 1, axes);
    ts_onnx_attr_int(b, n, "keepdims", 0);
    onnx_model *m = ts_onnx_load_ok(b);
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_INT32, 2, xs, x), out;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    assert_memory_equal(out.data, ((int32_t[]){5, 7, 9}), 3 * sizeof(int32_t));
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_noop_without_axes(void **state)
{
    (void)state;
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT32, 2, xs);
    ts_onnx_output(b, "y", FERRY_DTYPE_INT32, 2, xs);
    int n = ts_onnx_node(b, "ReduceSum", "x,", "y");
    ts_onnx_attr_int(b, n, "noop_with_empty_axes", 1);
    onnx_model *m = ts_onnx_load_ok(b);
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_INT32, 2, xs, x), out;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    assert_memory_equal(out.data, x, sizeof x);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_axes_from_input(void **state)
{
    (void)state;
    static const int64_t as[] = {1}, ys[] = {-1, -1};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT32, 2, xs);
    ts_onnx_input(b, "axes", FERRY_DTYPE_INT64, 1, as);
    ts_onnx_output(b, "y", FERRY_DTYPE_INT32, 2, ys);
    ts_onnx_node(b, "ReduceSum", "x,axes", "y");
    onnx_model *m = ts_onnx_load_ok(b);
    arena a;
    arena_init(&a, 1 << 20);
    for (int64_t axis = -2; axis < 2; axis++) {
        ferry_tensor in[2] = {ts_onnx_tensor("x", FERRY_DTYPE_INT32, 2, xs, x),
                              ts_onnx_tensor("axes", FERRY_DTYPE_INT64, 1, as, &axis)},
                     out;
        ts_onnx_run_ok(m, in, 2, &out, &a);
        bool rows = axis == 1 || axis == -1;
        assert_int_equal(out.shape[0], rows ? 2 : 1);
        assert_int_equal(out.shape[1], rows ? 1 : 3);
        if (rows)
            assert_memory_equal(out.data, ((int32_t[]){6, 15}), 2 * sizeof(int32_t));
        else
            assert_memory_equal(out.data, ((int32_t[]){5, 7, 9}), 3 * sizeof(int32_t));
    }
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_bad_axes_refused(void **state)
{
    (void)state;
    static const int64_t repeated[] = {1, -1}, far[] = {2};
    const int64_t *cases[] = {repeated, far};
    const size_t lens[] = {2, 1};
    for (int i = 0; i < 2; i++) {
        ts_onnx_model *b = ts_onnx_create(11);
        ts_onnx_input(b, "x", FERRY_DTYPE_INT32, 2, xs);
        ts_onnx_output(b, "y", FERRY_DTYPE_INT32, 2, xs);
        int n = ts_onnx_node(b, "ReduceSum", "x", "y");
        ts_onnx_attr_ints(b, n, "axes", lens[i], cases[i]);
        ts_onnx_load_fails(b, FERRY_INVALID_ARG, "out of range for rank 2 or repeated");
        ts_onnx_destroy(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attribute_axes),
        cmocka_unit_test(test_noop_without_axes),
        cmocka_unit_test(test_axes_from_input),
        cmocka_unit_test(test_bad_axes_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
