/* Unit tests for Split (src/onnx/ops/split.c) beyond ONNX's node tests (opsets 13 and 18): opset
 * 2's split attribute along a negative axis, equal parts that do not divide refused, num_outputs
 * disagreeing with the outputs refused, and split as an initializer at opset 13. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_model.h"

static const int64_t xs[] = {2, 5};
static const int16_t x[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};

static void check_pieces(const ts_onnx_model *b)
{
    onnx_model *m = ts_onnx_load_ok(b);
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_INT16, 2, xs, x), out[2];
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, out, &a);
    assert_int_equal(out[0].shape[1], 2);
    assert_int_equal(out[1].shape[1], 3);
    assert_memory_equal(out[0].data, ((int16_t[]){0, 1, 5, 6}), 4 * sizeof(int16_t));
    assert_memory_equal(out[1].data, ((int16_t[]){2, 3, 4, 7, 8, 9}), 6 * sizeof(int16_t));
    arena_free(&a);
    onnx_model_destroy(m);
}

static void test_attribute_and_initializer(void **state)
{
    (void)state;
    static const int64_t as[] = {2, 2}, bs[] = {2, 3}, two[] = {2}, split[] = {2, 3};
    ts_onnx_model *b = ts_onnx_create(2);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT16, 2, xs);
    ts_onnx_output(b, "a", FERRY_DTYPE_INT16, 2, as);
    ts_onnx_output(b, "b", FERRY_DTYPE_INT16, 2, bs);
    int n = ts_onnx_node(b, "Split", "x", "a,b");
    ts_onnx_attr_int(b, n, "axis", -1);
    ts_onnx_attr_ints(b, n, "split", 2, split);
    check_pieces(b);
    ts_onnx_destroy(b);
    b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT16, 2, xs);
    ts_onnx_initializer(b, "split", FERRY_DTYPE_INT64, 1, two, split);
    ts_onnx_output(b, "a", FERRY_DTYPE_INT16, 2, as);
    ts_onnx_output(b, "b", FERRY_DTYPE_INT16, 2, bs);
    n = ts_onnx_node(b, "Split", "x,split", "a,b");
    ts_onnx_attr_int(b, n, "axis", 1);
    check_pieces(b);
    ts_onnx_destroy(b);
}

static void test_uneven_or_miscounted_refused(void **state)
{
    (void)state;
    static const int64_t ys[] = {2, 2};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT16, 2, xs);
    ts_onnx_output(b, "a", FERRY_DTYPE_INT16, 2, ys);
    ts_onnx_output(b, "b", FERRY_DTYPE_INT16, 2, ys);
    int n = ts_onnx_node(b, "Split", "x", "a,b");
    ts_onnx_attr_int(b, n, "axis", 1);
    ts_onnx_load_fails(b, FERRY_INVALID_ARG, "does not split into 2 equal parts");
    ts_onnx_destroy(b);
    b = ts_onnx_create(18);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT16, 2, xs);
    ts_onnx_output(b, "a", FERRY_DTYPE_INT16, 2, ys);
    ts_onnx_output(b, "b", FERRY_DTYPE_INT16, 2, ys);
    n = ts_onnx_node(b, "Split", "x", "a,b");
    ts_onnx_attr_int(b, n, "num_outputs", 3);
    ts_onnx_load_fails(b, FERRY_INVALID_ARG, "num_outputs is 3");
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attribute_and_initializer),
        cmocka_unit_test(test_uneven_or_miscounted_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
