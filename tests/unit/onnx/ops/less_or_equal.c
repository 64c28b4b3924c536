/* Unit tests for LessOrEqual and GreaterOrEqual (src/onnx/ops/less_or_equal.c,
 * greater_or_equal.c), which ONNX's node tests here do not cover: int32 with broadcasting, float
 * with NaN (never equal), and opset 11 (before they existed) refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "onnx_model.h"

/* Runs OP on a [2,3] and b [3] of dtype and returns the bool output in y[6]. */
static void compare(const char *op, ferry_dtype dtype, const void *a, const void *bv, uint8_t *y)
{
    static const int64_t as[] = {2, 3}, bs[] = {3};
    ts_onnx_model *b = ts_onnx_create(12);
    ts_onnx_input(b, "a", dtype, 2, as);
    ts_onnx_input(b, "b", dtype, 1, bs);
    ts_onnx_output(b, "y", FERRY_DTYPE_BOOL, 2, as);
    ts_onnx_node(b, op, "a,b", "y");
    onnx_model *m = ts_onnx_load_ok(b);
    ferry_tensor in[2] = {ts_onnx_tensor("a", dtype, 2, as, a),
                          ts_onnx_tensor("b", dtype, 1, bs, bv)},
                 out;
    arena ar;
    arena_init(&ar, 1 << 20);
    ts_onnx_run_ok(m, in, 2, &out, &ar);
    memcpy(y, out.data, 6);
    arena_free(&ar);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_int32_broadcast(void **state)
{
    (void)state;
    const int32_t a[6] = {1, 2, 3, -4, 5, 6}, bv[3] = {2, 2, 2};
    uint8_t y[6];
    compare("LessOrEqual", FERRY_DTYPE_INT32, a, bv, y);
    assert_memory_equal(y, ((uint8_t[]){1, 1, 0, 1, 0, 0}), 6);
    compare("GreaterOrEqual", FERRY_DTYPE_INT32, a, bv, y);
    assert_memory_equal(y, ((uint8_t[]){0, 1, 1, 0, 1, 1}), 6);
}

static void test_float_nan(void **state)
{
    (void)state;
    const float a[6] = {NAN, 1, 2, 0.5f, -INFINITY, 3}, bv[3] = {1, NAN, 2};
    uint8_t y[6];
    compare("LessOrEqual", FERRY_DTYPE_FP32, a, bv, y);
    assert_memory_equal(y, ((uint8_t[]){0, 0, 1, 1, 0, 0}), 6);
    compare("GreaterOrEqual", FERRY_DTYPE_FP32, a, bv, y);
    assert_memory_equal(y, ((uint8_t[]){0, 0, 1, 0, 0, 1}), 6);
}

static void test_opset_11_refused(void **state)
{
    (void)state;
    static const int64_t s[] = {3};
    ts_onnx_model *b = ts_onnx_create(11);
    ts_onnx_input(b, "a", FERRY_DTYPE_FP32, 1, s);
    ts_onnx_output(b, "y", FERRY_DTYPE_BOOL, 1, s);
    ts_onnx_node(b, "GreaterOrEqual", "a,a", "y");
    ts_onnx_load_fails(b, FERRY_UNSUPPORTED, "supported from opset 12");
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int32_broadcast),
        cmocka_unit_test(test_float_nan),
        cmocka_unit_test(test_opset_11_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
