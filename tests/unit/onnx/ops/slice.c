/* Unit tests for Slice (src/onnx/ops/slice.c) beyond ONNX's node tests (opset 13, inputs fed by
 * value): opset 1's attributes with out-of-range ends clamped, opset 10's inputs as int32
 * initializers with a negative step on a symbolic batch (a plan per batch size), and a zero step or
 * repeated axis refused at load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_model.h"

static void test_opset1_attributes(void **state)
{
    (void)state;
    static const int64_t xs[] = {3, 4}, ys[] = {2, 3};
    static const int64_t starts[] = {1, -3}, ends[] = {INT64_MAX, 100}, axes[] = {0, 1};
    ts_onnx_model *b = ts_onnx_create(9);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT64, 2, xs);
    ts_onnx_output(b, "y", FERRY_DTYPE_INT64, 2, ys);
    int n = ts_onnx_node(b, "Slice", "x", "y");
    ts_onnx_attr_ints(b, n, "starts", 2, starts);
    ts_onnx_attr_ints(b, n, "ends", 2, ends);
    ts_onnx_attr_ints(b, n, "axes", 2, axes);
    onnx_model *m = ts_onnx_load_ok(b);
    const int64_t x[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_INT64, 2, xs, x), out;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    assert_memory_equal(out.data, ((int64_t[]){5, 6, 7, 9, 10, 11}), 6 * sizeof(int64_t));
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_opset10_int32_initializers_negative_step(void **state)
{
    (void)state;
    static const int64_t xs[] = {-1, 5}, ys[] = {-1, 2}, one[] = {1};
    static const int32_t starts[] = {-1}, ends[] = {0}, axes[] = {1}, steps[] = {-3};
    ts_onnx_model *b = ts_onnx_create(10);
    ts_onnx_input(b, "x", FERRY_DTYPE_UINT8, 2, xs);
    ts_onnx_initializer(b, "starts", FERRY_DTYPE_INT32, 1, one, starts);
    ts_onnx_initializer(b, "ends", FERRY_DTYPE_INT32, 1, one, ends);
    ts_onnx_initializer(b, "axes", FERRY_DTYPE_INT32, 1, one, axes);
    ts_onnx_initializer(b, "steps", FERRY_DTYPE_INT32, 1, one, steps);
    ts_onnx_output(b, "y", FERRY_DTYPE_UINT8, 2, ys);
    ts_onnx_node(b, "Slice", "x,starts,ends,axes,steps", "y");
    onnx_model *m = ts_onnx_load_ok(b);
    assert_int_equal(m->outputs[0].shape[0], -1);
    assert_int_equal(m->outputs[0].shape[1], 2);
    const uint8_t x[15] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
    for (int64_t batch = 1; batch <= 3; batch++) {
        const int64_t shape[] = {batch, 5};
        ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_UINT8, 2, shape, x), out;
        arena a;
        arena_init(&a, 1 << 20);
        ts_onnx_run_ok(m, &in, 1, &out, &a);
        assert_int_equal(out.shape[0], batch);
        for (int64_t r = 0; r < batch; r++) {
            assert_int_equal(((uint8_t *)out.data)[2 * r], 5 * r + 4);
            assert_int_equal(((uint8_t *)out.data)[2 * r + 1], 5 * r + 1);
        }
        arena_free(&a);
    }
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_bad_steps_and_axes_refused(void **state)
{
    (void)state;
    static const int64_t xs[] = {4, 4}, two[] = {2};
    static const int64_t starts[] = {0, 0}, ends[] = {2, 2}, zero_step[] = {1, 0},
                         same_axes[] = {1, -1}, axes[] = {0, 1}, steps[] = {1, 1};
    const int64_t *case_axes[] = {axes, same_axes}, *case_steps[] = {zero_step, steps};
    const char *needles[] = {"a step is 0", "repeated"};
    for (int i = 0; i < 2; i++) {
        ts_onnx_model *b = ts_onnx_create(13);
        ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, xs);
        ts_onnx_initializer(b, "starts", FERRY_DTYPE_INT64, 1, two, starts);
        ts_onnx_initializer(b, "ends", FERRY_DTYPE_INT64, 1, two, ends);
        ts_onnx_initializer(b, "axes", FERRY_DTYPE_INT64, 1, two, case_axes[i]);
        ts_onnx_initializer(b, "steps", FERRY_DTYPE_INT64, 1, two, case_steps[i]);
        ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, xs);
        ts_onnx_node(b, "Slice", "x,starts,ends,axes,steps", "y");
        ts_onnx_load_fails(b, FERRY_INVALID_ARG, needles[i]);
        ts_onnx_destroy(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opset1_attributes),
        cmocka_unit_test(test_opset10_int32_initializers_negative_step),
        cmocka_unit_test(test_bad_steps_and_axes_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
