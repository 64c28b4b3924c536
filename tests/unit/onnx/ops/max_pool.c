/* Unit tests for MaxPool's Indices output (src/onnx/ops/max_pool.c) beyond ONNX's two 2-D node
 * tests: 3-D positions row- and column-major across a batch, the first of equal maxima on uint8
 * (an all-zero window too), a bad storage_order refused, and empty strides/dilations lists taken as
 * the defaults (found by the loader fuzzer: stride 0 divided by zero), and the 2x2 stride-2 fast
 * path across planes (even and odd sizes, the widths it expands, NaN never winning). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "onnx_model.h"

/* MaxPool over x [2, 1, 2, 2, 3] with a 2x2x2 kernel, strides 1: y [2, 1, 1, 1, 2]. */
static void run_3d(int64_t storage_order, int64_t *indices)
{
    static const int64_t xs[] = {2, 1, 2, 2, 3}, ys[] = {2, 1, 1, 1, 2};
    ts_onnx_model *b = ts_onnx_create(12);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 5, xs);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 5, ys);
    ts_onnx_output(b, "i", FERRY_DTYPE_INT64, 5, ys);
    int n = ts_onnx_node(b, "MaxPool", "x", "y,i");
    ts_onnx_attr_ints(b, n, "kernel_shape", 3, (int64_t[]){2, 2, 2});
    ts_onnx_attr_int(b, n, "storage_order", storage_order);
    onnx_model *m = ts_onnx_load_ok(b);
    /* image 0: maxima at (d, h, w) = (1, 0, 1) then (0, 1, 2); image 1: (1, 1, 0), (1, 1, 2) */
    float x[24] = {0};
    x[1 * 6 + 0 * 3 + 1] = 5;
    x[0 * 6 + 1 * 3 + 2] = 6;
    x[12 + 1 * 6 + 1 * 3 + 0] = 7;
    x[12 + 1 * 6 + 1 * 3 + 2] = 8;
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 5, xs, x), out[2];
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, out, &a);
    const float want_y[4] = {5, 6, 7, 8};
    for (int i = 0; i < 4; i++) {
        assert_float_equal(((float *)out[0].data)[i], want_y[i], 0);
        indices[i] = ((int64_t *)out[1].data)[i];
    }
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_indices_3d(void **state)
{
    (void)state;
    int64_t got[4];
    run_3d(0, got); /* d * H * W + h * W + w, plus the image's offset */
    assert_int_equal(got[0], 6 + 1);
    assert_int_equal(got[1], 3 + 2);
    assert_int_equal(got[2], 12 + 6 + 3);
    assert_int_equal(got[3], 12 + 6 + 3 + 2);
    run_3d(1, got); /* column-major: d + h * D + w * D * H */
    assert_int_equal(got[0], 1 + 0 * 2 + 1 * 4);
    assert_int_equal(got[1], 0 + 1 * 2 + 2 * 4);
    assert_int_equal(got[2], 12 + 1 + 1 * 2 + 0);
    assert_int_equal(got[3], 12 + 1 + 1 * 2 + 2 * 4);
}

static void test_first_of_equal_maxima_uint8(void **state)
{
    (void)state;
    static const int64_t xs[] = {1, 1, 2, 4}, ys[] = {1, 1, 1, 2};
    ts_onnx_model *b = ts_onnx_create(12);
    ts_onnx_input(b, "x", FERRY_DTYPE_UINT8, 4, xs);
    ts_onnx_output(b, "y", FERRY_DTYPE_UINT8, 4, ys);
    ts_onnx_output(b, "i", FERRY_DTYPE_INT64, 4, ys);
    int n = ts_onnx_node(b, "MaxPool", "x", "y,i");
    ts_onnx_attr_ints(b, n, "kernel_shape", 2, (int64_t[]){2, 2});
    ts_onnx_attr_ints(b, n, "strides", 2, (int64_t[]){2, 2});
    onnx_model *m = ts_onnx_load_ok(b);
    const uint8_t x[8] = {0, 0, 3, 9, 0, 0, 9, 1};
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_UINT8, 4, xs, x), out[2];
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, out, &a);
    assert_memory_equal(out[0].data, ((uint8_t[]){0, 9}), 2);
    assert_int_equal(((int64_t *)out[1].data)[0], 0);
    assert_int_equal(((int64_t *)out[1].data)[1], 3);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_bad_storage_order_refused(void **state)
{
    (void)state;
    static const int64_t xs[] = {1, 1, 2, 2};
    ts_onnx_model *b = ts_onnx_create(12);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 4, xs);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 4, (int64_t[]){1, 1, 1, 1});
    int n = ts_onnx_node(b, "MaxPool", "x", "y");
    ts_onnx_attr_ints(b, n, "kernel_shape", 2, (int64_t[]){2, 2});
    ts_onnx_attr_int(b, n, "storage_order", 2);
    ts_onnx_load_fails(b, FERRY_INVALID_ARG, "storage_order is 2");
    ts_onnx_destroy(b);
}

static void test_empty_strides_and_dilations_default_to_1(void **state)
{
    (void)state;
    static const int64_t xs[] = {1, 1, 2, 4}, ys[] = {1, 1, 1, 3};
    ts_onnx_model *b = ts_onnx_create(12);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 4, xs);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 4, ys);
    int n = ts_onnx_node(b, "MaxPool", "x", "y");
    ts_onnx_attr_ints(b, n, "kernel_shape", 2, (int64_t[]){2, 2});
    ts_onnx_attr_ints(b, n, "strides", 0, NULL);
    ts_onnx_attr_ints(b, n, "dilations", 0, NULL);
    ts_onnx_attr_int(b, n, "ceil_mode", 1);
    onnx_model *m = ts_onnx_load_ok(b);
    const float x[8] = {1, 5, 2, 0, 3, 0, 7, 4};
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 4, xs, x), out[1];
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, out, &a);
    assert_memory_equal(out[0].data, ((float[]){5, 7, 7}), 3 * sizeof(float));
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

/* 2x2 windows with stride 2 over x [3, 2, h, w] against a direct loop; NaN never wins and a
 * window of NaN alone gives -inf. */
static void check_2x2(int64_t h, int64_t w)
{
    int64_t xs[] = {3, 2, h, w}, ys[] = {3, 2, h / 2, w / 2}, planes = 6;
    ts_onnx_model *b = ts_onnx_create(12);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 4, xs);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 4, ys);
    int n = ts_onnx_node(b, "MaxPool", "x", "y");
    ts_onnx_attr_ints(b, n, "kernel_shape", 2, (int64_t[]){2, 2});
    ts_onnx_attr_ints(b, n, "strides", 2, (int64_t[]){2, 2});
    onnx_model *m = ts_onnx_load_ok(b);
    float x[6 * 17 * 17];
    for (int64_t i = 0; i < planes * h * w; i++)
        x[i] = i % 7 == 3 ? NAN : (float)((i * 37) % 101) - 50.0f;
    x[0] = x[1] = x[w] = x[w + 1] = NAN; /* the first window holds NaN only */
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 4, xs, x), out[1];
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, out, &a);
    const float *y = out[0].data;
    for (int64_t p = 0; p < planes; p++)
        for (int64_t r = 0; r < h / 2; r++)
            for (int64_t c = 0; c < w / 2; c++) {
                float want = -INFINITY;
                for (int64_t k = 0; k < 4; k++) {
                    float v = x[p * h * w + (2 * r + k / 2) * w + 2 * c + k % 2];
                    want = v > want ? v : want;
                }
                assert_true(y[(p * (h / 2) + r) * (w / 2) + c] == want);
            }
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_2x2_stride_2_across_planes(void **state)
{
    (void)state;
    check_2x2(8, 8);   /* width 4, planes' rows as one tall plane */
    check_2x2(16, 16); /* width 8 */
    check_2x2(6, 6);   /* another width */
    check_2x2(9, 9);   /* odd sizes: a row and a column left out, plane by plane */
    check_2x2(17, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_indices_3d),
        cmocka_unit_test(test_first_of_equal_maxima_uint8),
        cmocka_unit_test(test_bad_storage_order_refused),
        cmocka_unit_test(test_empty_strides_and_dilations_default_to_1),
        cmocka_unit_test(test_2x2_stride_2_across_planes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
