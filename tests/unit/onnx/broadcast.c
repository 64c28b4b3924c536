/* Unit tests for numpy broadcasting (src/onnx/broadcast.c): output shapes, incompatible shapes
 * named, the merged iteration layout, and a brute-force check that every output element reads the
 * input elements numpy would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "onnx/broadcast.h"

static ferry_tensor shaped(int ndim, const int64_t *shape)
{
    ferry_tensor t = {.dtype = FERRY_DTYPE_FP32, .ndim = ndim};
    if (ndim > 0)
        memcpy(t.shape, shape, (size_t)ndim * sizeof *shape);
    return t;
}

static void test_output_shapes(void **state)
{
    (void)state;
    struct {
        int na;
        int64_t a[4];
        int nb;
        int64_t b[4];
        int nout;
        int64_t out[4];
    } cases[] = {
        {2, {3, 4}, 2, {3, 4}, 2, {3, 4}},    {2, {3, 4}, 1, {4}, 2, {3, 4}},
        {2, {3, 1}, 1, {4}, 2, {3, 4}},       {4, {2, 1, 5, 1}, 3, {3, 1, 6}, 4, {2, 3, 5, 6}},
        {0, {0}, 3, {2, 3, 4}, 3, {2, 3, 4}}, {1, {1}, 0, {0}, 1, {1}},
        {2, {0, 4}, 1, {1}, 2, {0, 4}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ferry_tensor a = shaped(cases[i].na, cases[i].a), b = shaped(cases[i].nb, cases[i].b);
        const ferry_tensor *in[] = {&a, &b};
        int ndim, bad_a, bad_b;
        int64_t shape[FERRY_MAX_DIMS];
        assert_true(onnx_broadcast_shape(in, 2, &ndim, shape, &bad_a, &bad_b));
        assert_int_equal(ndim, cases[i].nout);
        for (int d = 0; d < ndim; d++)
            assert_int_equal(shape[d], cases[i].out[d]);
    }
}

static void test_incompatible_shapes_named(void **state)
{
    (void)state;
    int64_t sa[] = {3, 4}, sb[] = {3}, sc[] = {2, 1, 4};
    ferry_tensor a = shaped(2, sa), b = shaped(1, sb), c = shaped(3, sc);
    const ferry_tensor *in[] = {&c, &a, &b};
    int ndim, bad_a = -1, bad_b = -1;
    int64_t shape[FERRY_MAX_DIMS];
    assert_false(onnx_broadcast_shape(in, 3, &ndim, shape, &bad_a, &bad_b));
    assert_int_equal(bad_a, 0); /* c set the last dimension (4) that b (3) contradicts */
    assert_int_equal(bad_b, 2);
}

static void test_layout_merges_contiguous_dimensions(void **state)
{
    (void)state;
    /* Same shapes: one flat run. */
    int64_t s[] = {2, 3, 4};
    ferry_tensor a = shaped(3, s), b = shaped(3, s), out = shaped(3, s);
    const ferry_tensor *in[] = {&a, &b};
    onnx_broadcast bc;
    onnx_broadcast_init(&bc, in, 2, &out);
    assert_int_equal(bc.ndim, 1);
    assert_int_equal(bc.shape[0], 24);
    assert_int_equal(bc.rows, 1);
    /* A row vector against a matrix: rows of 4 with the vector's stride 1 and rows' stride 0. */
    int64_t sv[] = {4}, sm[] = {6, 4};
    ferry_tensor v = shaped(1, sv), m = shaped(2, sm), y = shaped(2, sm);
    const ferry_tensor *in2[] = {&m, &v};
    onnx_broadcast_init(&bc, in2, 2, &y);
    assert_int_equal(bc.ndim, 2);
    assert_int_equal(bc.rows, 6);
    assert_int_equal(bc.strides[1][0], 0);
    assert_int_equal(bc.strides[1][1], 1);
    /* A scalar against anything: stride 0 everywhere. */
    ferry_tensor scalar = shaped(0, NULL);
    const ferry_tensor *in3[] = {&m, &scalar};
    onnx_broadcast_init(&bc, in3, 2, &y);
    assert_int_equal(bc.ndim, 1);
    assert_int_equal(bc.strides[1][0], 0);
}

/* Numpy's rule, element by element: the input index is the output index with broadcast
 * dimensions set to 0. */
static int64_t reference_offset(const ferry_tensor *t, const ferry_tensor *out, int64_t flat)
{
    int64_t idx[FERRY_MAX_DIMS];
    for (int d = out->ndim - 1; d >= 0; d--) {
        idx[d] = flat % out->shape[d];
        flat /= out->shape[d];
    }
    int64_t off = 0;
    int lead = out->ndim - t->ndim;
    for (int d = 0; d < t->ndim; d++)
        off = off * t->shape[d] + (t->shape[d] == 1 ? 0 : idx[lead + d]);
    return off;
}

static void check_against_reference(int na, const int64_t *sa, int nb, const int64_t *sb)
{
    ferry_tensor a = shaped(na, sa), b = shaped(nb, sb);
    const ferry_tensor *in[] = {&a, &b};
    ferry_tensor out = {.dtype = FERRY_DTYPE_FP32};
    int bad_a, bad_b;
    assert_true(onnx_broadcast_shape(in, 2, &out.ndim, out.shape, &bad_a, &bad_b));
    onnx_broadcast bc;
    onnx_broadcast_init(&bc, in, 2, &out);
    int64_t inner = bc.shape[bc.ndim - 1], flat = 0;
    for (int64_t r = 0; r < bc.rows; r++) {
        int64_t off[ONNX_BROADCAST_MAX_INPUTS];
        onnx_broadcast_row(&bc, r, off);
        for (int64_t i = 0; i < inner; i++, flat++) {
            assert_int_equal(off[0] + i * bc.strides[0][bc.ndim - 1],
                             reference_offset(&a, &out, flat));
            assert_int_equal(off[1] + i * bc.strides[1][bc.ndim - 1],
                             reference_offset(&b, &out, flat));
        }
    }
}

static void test_iteration_matches_numpy(void **state)
{
    (void)state;
    int64_t a1[] = {2, 1, 5, 1}, b1[] = {3, 1, 6};
    check_against_reference(4, a1, 3, b1);
    int64_t a2[] = {4, 1}, b2[] = {1, 7};
    check_against_reference(2, a2, 2, b2);
    int64_t a3[] = {2, 3, 4, 5}, b3[] = {3, 1, 5};
    check_against_reference(4, a3, 3, b3);
    int64_t a4[] = {1, 1, 1}, b4[] = {2, 2};
    check_against_reference(3, a4, 2, b4);
    int64_t a5[] = {5}, b5[] = {5};
    check_against_reference(1, a5, 1, b5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_shapes),
        cmocka_unit_test(test_incompatible_shapes_named),
        cmocka_unit_test(test_layout_merges_contiguous_dimensions),
        cmocka_unit_test(test_iteration_matches_numpy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
