/* Unit tests for Range (src/onnx/ops/range.c), which ONNX's node tests here do not cover: constant
 * inputs folded at load (int64 counting down, float), a limit computed from the batch size through
 * Shape -> Gather (a plan per batch size, each with its own length), and a zero delta refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_model.h"

static void test_constants(void **state)
{
    (void)state;
    static const int64_t scalar[] = {0}, three[] = {3}, four[] = {4};
    static const int64_t s = 10, l = 1, d = -3;
    static const float fs = 0, fl = 1, fd = 0.25f;
    ts_onnx_model *b = ts_onnx_create(11);
    ts_onnx_initializer(b, "s", FERRY_DTYPE_INT64, 0, scalar, &s);
    ts_onnx_initializer(b, "l", FERRY_DTYPE_INT64, 0, scalar, &l);
    ts_onnx_initializer(b, "d", FERRY_DTYPE_INT64, 0, scalar, &d);
    ts_onnx_initializer(b, "fs", FERRY_DTYPE_FP32, 0, scalar, &fs);
    ts_onnx_initializer(b, "fl", FERRY_DTYPE_FP32, 0, scalar, &fl);
    ts_onnx_initializer(b, "fd", FERRY_DTYPE_FP32, 0, scalar, &fd);
    ts_onnx_output(b, "y", FERRY_DTYPE_INT64, 1, three);
    ts_onnx_output(b, "fy", FERRY_DTYPE_FP32, 1, four);
    ts_onnx_node(b, "Range", "s,l,d", "y");
    ts_onnx_node(b, "Range", "fs,fl,fd", "fy");
    onnx_model *m = ts_onnx_load_ok(b);
    ferry_tensor out[2];
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, NULL, 0, out, &a);
    const int64_t want[] = {10, 7, 4};
    assert_int_equal(out[0].shape[0], 3);
    assert_memory_equal(out[0].data, want, sizeof want);
    assert_int_equal(out[1].shape[0], 4);
    for (int i = 0; i < 4; i++)
        assert_float_equal(((float *)out[1].data)[i], 0.25 * i, 1e-7);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_limit_from_batch_size(void **state)
{
    (void)state;
    static const int64_t xs[] = {-1, 2}, scalar[] = {0}, ys[] = {-1};
    static const int64_t zero = 0, one = 1;
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, xs);
    ts_onnx_initializer(b, "zero", FERRY_DTYPE_INT64, 0, scalar, &zero);
    ts_onnx_initializer(b, "one", FERRY_DTYPE_INT64, 0, scalar, &one);
    ts_onnx_output(b, "y", FERRY_DTYPE_INT64, 1, ys);
    ts_onnx_node(b, "Shape", "x", "shape");
    ts_onnx_node(b, "Gather", "shape,zero", "n");
    ts_onnx_node(b, "Range", "zero,n,one", "y");
    onnx_model *m = ts_onnx_load_ok(b);
    float x[10] = {0};
    for (int64_t batch = 3; batch <= 5; batch += 2) {
        const int64_t shape[] = {batch, 2};
        ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 2, shape, x), out;
        arena a;
        arena_init(&a, 1 << 20);
        ts_onnx_run_ok(m, &in, 1, &out, &a);
        assert_int_equal(out.shape[0], batch);
        for (int64_t i = 0; i < batch; i++)
            assert_int_equal(((int64_t *)out.data)[i], i);
        arena_free(&a);
    }
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_zero_delta_refused(void **state)
{
    (void)state;
    static const int64_t scalar[] = {0}, ys[] = {1};
    static const int32_t s = 0, l = 5, d = 0;
    ts_onnx_model *b = ts_onnx_create(11);
    ts_onnx_initializer(b, "s", FERRY_DTYPE_INT32, 0, scalar, &s);
    ts_onnx_initializer(b, "l", FERRY_DTYPE_INT32, 0, scalar, &l);
    ts_onnx_initializer(b, "d", FERRY_DTYPE_INT32, 0, scalar, &d);
    ts_onnx_output(b, "y", FERRY_DTYPE_INT32, 1, ys);
    ts_onnx_node(b, "Range", "s,l,d", "y");
    ts_onnx_load_fails(b, FERRY_INVALID_ARG, "delta is 0");
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_limit_from_batch_size),
        cmocka_unit_test(test_zero_delta_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
