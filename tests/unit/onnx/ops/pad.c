/* Unit tests for Pad (src/onnx/ops/pad.c) beyond ONNX's node tests (opset 25): opset 2's
 * attributes in edge mode, opset 11's pads as an initializer in reflect mode with a negative pad
 * cropping, a constant_value on int64, and mode wrap refused before opset 19. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_model.h"

static const int64_t xs[] = {2, 3};
static const float x[6] = {1, 2, 3, 4, 5, 6};

static void test_opset2_edge(void **state)
{
    (void)state;
    static const int64_t ys[] = {3, 5}, pads[] = {1, 0, 0, 2};
    ts_onnx_model *b = ts_onnx_create(2);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, xs);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, ys);
    int n = ts_onnx_node(b, "Pad", "x", "y");
    ts_onnx_attr_string(b, n, "mode", "edge");
    ts_onnx_attr_ints(b, n, "pads", 4, pads);
    onnx_model *m = ts_onnx_load_ok(b);
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 2, xs, x), out;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    const float want[15] = {1, 2, 3, 3, 3, 1, 2, 3, 3, 3, 4, 5, 6, 6, 6};
    for (int i = 0; i < 15; i++)
        assert_float_equal(((float *)out.data)[i], want[i], 0);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_opset11_reflect_with_crop(void **state)
{
    (void)state;
    static const int64_t ys[] = {1, 7}, four[] = {4}, pads[] = {0, 2, -1, 2};
    ts_onnx_model *b = ts_onnx_create(11);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, xs);
    ts_onnx_initializer(b, "pads", FERRY_DTYPE_INT64, 1, four, pads);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, ys);
    int n = ts_onnx_node(b, "Pad", "x,pads", "y");
    ts_onnx_attr_string(b, n, "mode", "reflect");
    onnx_model *m = ts_onnx_load_ok(b);
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 2, xs, x), out;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    const float want[7] = {3, 2, 1, 2, 3, 2, 1};
    for (int i = 0; i < 7; i++)
        assert_float_equal(((float *)out.data)[i], want[i], 0);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_constant_value_int64(void **state)
{
    (void)state;
    static const int64_t s[] = {2}, ys[] = {5}, two[] = {2}, pads[] = {2, 1}, scalar[] = {0};
    static const int64_t value = -7;
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT64, 1, s);
    ts_onnx_initializer(b, "pads", FERRY_DTYPE_INT64, 1, two, pads);
    ts_onnx_initializer(b, "value", FERRY_DTYPE_INT64, 0, scalar, &value);
    ts_onnx_output(b, "y", FERRY_DTYPE_INT64, 1, ys);
    ts_onnx_node(b, "Pad", "x,pads,value", "y");
    onnx_model *m = ts_onnx_load_ok(b);
    const int64_t xv[2] = {1, 2};
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_INT64, 1, s, xv), out;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    assert_memory_equal(out.data, ((int64_t[]){-7, -7, 1, 2, -7}), 5 * sizeof(int64_t));
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_wrap_needs_opset19(void **state)
{
    (void)state;
    static const int64_t four[] = {4}, pads[] = {0, 1, 0, 1}, ys[] = {2, 5};
    ts_onnx_model *b = ts_onnx_create(18);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, xs);
    ts_onnx_initializer(b, "pads", FERRY_DTYPE_INT64, 1, four, pads);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, ys);
    int n = ts_onnx_node(b, "Pad", "x,pads", "y");
    ts_onnx_attr_string(b, n, "mode", "wrap");
    ts_onnx_load_fails(b, FERRY_INVALID_ARG, "wrap needs opset 19");
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opset2_edge),
        cmocka_unit_test(test_opset11_reflect_with_crop),
        cmocka_unit_test(test_constant_value_int64),
        cmocka_unit_test(test_wrap_needs_opset19),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
