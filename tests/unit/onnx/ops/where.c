/* Unit tests for Where (src/onnx/ops/where.c) beyond ONNX's node tests (equal shapes): the
 * condition, X and Y broadcast against each other (a [3] condition, a [2,1] X, a scalar Y) for
 * int8 and double, and a non-bool condition refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_model.h"

static const int64_t cs[] = {3}, xs[] = {2, 1}, zs[] = {2, 3};

static void test_broadcast_three_ways(void **state)
{
    (void)state;
    ts_onnx_model *b = ts_onnx_create(16);
    ts_onnx_input(b, "c", FERRY_DTYPE_BOOL, 1, cs);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT8, 2, xs);
    ts_onnx_input(b, "y", FERRY_DTYPE_INT8, 0, NULL);
    ts_onnx_input(b, "dx", FERRY_DTYPE_FP64, 2, xs);
    ts_onnx_input(b, "dy", FERRY_DTYPE_FP64, 0, NULL);
    ts_onnx_output(b, "z", FERRY_DTYPE_INT8, 2, zs);
    ts_onnx_output(b, "dz", FERRY_DTYPE_FP64, 2, zs);
    ts_onnx_node(b, "Where", "c,x,y", "z");
    ts_onnx_node(b, "Where", "c,dx,dy", "dz");
    onnx_model *m = ts_onnx_load_ok(b);
    const uint8_t c[3] = {1, 0, 1};
    const int8_t x[2] = {-5, 6}, y = 100;
    const double dx[2] = {0.5, 1.5}, dy = -1;
    ferry_tensor in[5] = {ts_onnx_tensor("c", FERRY_DTYPE_BOOL, 1, cs, c),
                          ts_onnx_tensor("x", FERRY_DTYPE_INT8, 2, xs, x),
                          ts_onnx_tensor("y", FERRY_DTYPE_INT8, 0, NULL, &y),
                          ts_onnx_tensor("dx", FERRY_DTYPE_FP64, 2, xs, dx),
                          ts_onnx_tensor("dy", FERRY_DTYPE_FP64, 0, NULL, &dy)},
                 out[2];
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, in, 5, out, &a);
    assert_memory_equal(out[0].data, ((int8_t[]){-5, 100, -5, 6, 100, 6}), 6);
    const double want[6] = {0.5, -1, 0.5, 1.5, -1, 1.5};
    for (int i = 0; i < 6; i++)
        assert_float_equal(((double *)out[1].data)[i], want[i], 0);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_condition_must_be_bool(void **state)
{
    (void)state;
    ts_onnx_model *b = ts_onnx_create(16);
    ts_onnx_input(b, "c", FERRY_DTYPE_INT32, 1, cs);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT32, 1, cs);
    ts_onnx_output(b, "z", FERRY_DTYPE_INT32, 1, cs);
    ts_onnx_node(b, "Where", "c,x,x", "z");
    ts_onnx_load_fails(b, FERRY_UNSUPPORTED, "datatype INT32");
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broadcast_three_ways),
        cmocka_unit_test(test_condition_must_be_bool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
