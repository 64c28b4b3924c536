/* Unit tests for Tile (src/onnx/ops/tile.c) beyond ONNX's node tests (opset 13): opset 1's tiles
 * and axis inputs, repeats as an initializer on bool, and a negative count refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_model.h"

static const int64_t xs[] = {2, 2};

static void test_opset1_tiles_axis(void **state)
{
    (void)state;
    static const int64_t ys[] = {2, 6}, scalar[] = {0};
    static const int64_t tiles = 3, axis = -1;
    ts_onnx_model *b = ts_onnx_create(5);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, xs);
    ts_onnx_initializer(b, "tiles", FERRY_DTYPE_INT64, 0, scalar, &tiles);
    ts_onnx_initializer(b, "axis", FERRY_DTYPE_INT64, 0, scalar, &axis);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, ys);
    ts_onnx_node(b, "Tile", "x,tiles,axis", "y");
    onnx_model *m = ts_onnx_load_ok(b);
    const float x[4] = {1, 2, 3, 4};
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 2, xs, x), out;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    const float want[12] = {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4};
    for (int i = 0; i < 12; i++)
        assert_float_equal(((float *)out.data)[i], want[i], 0);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_repeats_initializer_bool(void **state)
{
    (void)state;
    static const int64_t ys[] = {6, 2}, two[] = {2}, reps[] = {3, 1};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_BOOL, 2, xs);
    ts_onnx_initializer(b, "reps", FERRY_DTYPE_INT64, 1, two, reps);
    ts_onnx_output(b, "y", FERRY_DTYPE_BOOL, 2, ys);
    ts_onnx_node(b, "Tile", "x,reps", "y");
    onnx_model *m = ts_onnx_load_ok(b);
    const uint8_t x[4] = {1, 0, 0, 1};
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_BOOL, 2, xs, x), out;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    assert_memory_equal(out.data, ((uint8_t[]){1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1}), 12);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_negative_repeat_refused(void **state)
{
    (void)state;
    static const int64_t two[] = {2}, reps[] = {1, -1};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, xs);
    ts_onnx_initializer(b, "reps", FERRY_DTYPE_INT64, 1, two, reps);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, xs);
    ts_onnx_node(b, "Tile", "x,reps", "y");
    ts_onnx_load_fails(b, FERRY_INVALID_ARG, "repeat count -1");
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opset1_tiles_axis),
        cmocka_unit_test(test_repeats_initializer_bool),
        cmocka_unit_test(test_negative_repeat_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
