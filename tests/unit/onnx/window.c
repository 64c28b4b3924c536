/* Unit tests for the window geometry shared by Conv, ConvTranspose and the pooling ops
 * (src/onnx/window.c): kernel offsets inside the input per output and outputs per kernel offset
 * (against a brute-force count), padding to 3 dimensions with volumes, output shapes, and the
 * attribute lengths checked against the input's rank. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx/window.h"

/* Dimensions of every shape that matters: strides, dilations, padding on either side. */
static const onnx_window_dim dims[] = {
    {.in = 4, .out = 4, .kernel = 3, .stride = 1, .dilation = 1, .pad_begin = 1, .pad_end = 1},
    {.in = 8, .out = 4, .kernel = 3, .stride = 2, .dilation = 1, .pad_begin = 1, .pad_end = 0},
    {.in = 9, .out = 5, .kernel = 3, .stride = 1, .dilation = 2, .pad_begin = 0, .pad_end = 0},
    {.in = 2, .out = 7, .kernel = 2, .stride = 1, .dilation = 1, .pad_begin = 3, .pad_end = 3},
    {.in = 7, .out = 3, .kernel = 5, .stride = 3, .dilation = 2, .pad_begin = 4, .pad_end = 2},
};

static bool inside(const onnx_window_dim *d, int64_t o, int64_t k, int64_t from, int64_t to)
{
    int64_t i = o * d->stride - d->pad_begin + k * d->dilation;
    return i >= from && i < to;
}

static void test_taps_match_brute_force(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof dims / sizeof dims[0]; c++) {
        const onnx_window_dim *d = &dims[c];
        for (int64_t o = 0; o < d->out; o++) {
            int64_t from = -d->pad_begin, to = d->in + d->pad_end;
            int64_t ranges[2][2] = {{0, d->in}, {from, to}};
            for (int r = 0; r < 2; r++) {
                int64_t lo, hi, n = 0;
                onnx_window_taps(d, o, ranges[r][0], ranges[r][1], &lo, &hi);
                for (int64_t k = 0; k < d->kernel; k++)
                    n += inside(d, o, k, ranges[r][0], ranges[r][1]);
                assert_int_equal(hi - lo, n);
                for (int64_t k = lo; k < hi; k++)
                    assert_true(inside(d, o, k, ranges[r][0], ranges[r][1]));
            }
        }
    }
}

static void test_outputs_match_brute_force(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof dims / sizeof dims[0]; c++) {
        const onnx_window_dim *d = &dims[c];
        for (int64_t k = 0; k < d->kernel; k++) {
            int64_t lo, hi, n = 0;
            onnx_window_outputs(d, k, &lo, &hi);
            for (int64_t o = 0; o < d->out; o++)
                n += inside(d, o, k, 0, d->in);
            assert_int_equal(hi - lo, n);
            for (int64_t o = lo; o < hi; o++)
                assert_true(inside(d, o, k, 0, d->in));
        }
    }
}

static void test_padded_to_three_dimensions(void **state)
{
    (void)state;
    onnx_window_geom g = {.n = 5, .c = 3};
    onnx_window_geom_set(&g, 2, dims); /* the first two dimensions, behind a leading one */
    assert_int_equal(g.rank, 2);
    assert_int_equal(g.d[0].in, 1);
    assert_int_equal(g.d[0].out, 1);
    assert_int_equal(g.d[0].kernel, 1);
    assert_int_equal(g.d[1].in, 4);
    assert_int_equal(g.d[2].stride, 2);
    assert_int_equal(g.in_vol, 32);
    assert_int_equal(g.out_vol, 16);
    assert_int_equal(g.k_vol, 9);
    int64_t shape[4];
    onnx_window_out_shape(&g, g.n, 7, shape);
    assert_int_equal(shape[0], 5);
    assert_int_equal(shape[1], 7);
    assert_int_equal(shape[2], 4);
    assert_int_equal(shape[3], 4);
}

static void test_attribute_lengths_checked(void **state)
{
    (void)state;
    onnx_node node = {.name = "pool", .op_type = "MaxPool"};
    onnx_window w = {.rank = 2, .has_kernel = true, .n_strides = 2, .n_pads = 4};
    ferry_error err = {0};
    assert_int_equal(onnx_window_check_rank(&node, &w, 2, &err), FERRY_OK);
    assert_int_equal(onnx_window_check_rank(&node, &w, 1, &err), FERRY_INVALID_ARG);
    w.has_kernel = false;
    assert_int_equal(onnx_window_check_rank(&node, &w, 1, &err), FERRY_INVALID_ARG); /* strides */
    w.n_strides = w.n_pads = 0;
    assert_int_equal(onnx_window_check_rank(&node, &w, 1, &err), FERRY_OK);
    assert_int_equal(onnx_window_check_rank(&node, &w, 4, &err), FERRY_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_taps_match_brute_force),
        cmocka_unit_test(test_outputs_match_brute_force),
        cmocka_unit_test(test_padded_to_three_dimensions),
        cmocka_unit_test(test_attribute_lengths_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
