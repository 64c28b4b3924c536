/* Unit tests for ReduceProd (src/onnx/ops/reduce_prod.c), which ONNX's node tests here do not
 * cover, and through it the shared reduction layouts (src/onnx/reduce.c): axes as opset 18's input
 * (an initializer) and as opset 1's attribute, reduced dimensions kept or dropped, all axes when
 * none are given, a middle axis with a kept tail, integers wrapping, and an empty reduction (1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_model.h"

static const int64_t xs[] = {2, 3, 2};
static const float x[12] = {1, 2, 3, 4, 5, 6, -1, 0.5f, 2, 2, 1, 10};

/* Builds ReduceProd over x at `opset` with axes as input (opset >= 18) or attribute, runs it and
 * returns the output in y, its shape in ys. */
static void reduce_prod(int64_t opset, const int64_t *axes, size_t n_axes, int64_t keepdims,
                        int ndim, const int64_t *ys, float *y)
{
    ts_onnx_model *b = ts_onnx_create(opset);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 3, xs);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, ndim, ys);
    int n;
    if (opset >= 18 && axes != NULL) {
        const int64_t as[] = {(int64_t)n_axes};
        ts_onnx_initializer(b, "axes", FERRY_DTYPE_INT64, 1, as, axes);
        n = ts_onnx_node(b, "ReduceProd", "x,axes", "y");
    } else {
        n = ts_onnx_node(b, "ReduceProd", "x", "y");
        if (axes != NULL)
            ts_onnx_attr_ints(b, n, "axes", n_axes, axes);
    }
    ts_onnx_attr_int(b, n, "keepdims", keepdims);
    onnx_model *m = ts_onnx_load_ok(b);
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 3, xs, x), out;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    assert_int_equal(out.ndim, ndim);
    for (int d = 0; d < ndim; d++)
        assert_int_equal(out.shape[d], ys[d]);
    int64_t count = 1;
    for (int d = 0; d < ndim; d++)
        count *= ys[d];
    for (int64_t i = 0; i < count; i++)
        y[i] = ((float *)out.data)[i];
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_middle_axis_input_and_attribute(void **state)
{
    (void)state;
    const int64_t axes[] = {1}, kept[] = {2, 1, 2}, dropped[] = {2, 2};
    const float want[4] = {15, 48, -2, 10};
    float y[4];
    reduce_prod(18, axes, 1, 1, 3, kept, y);
    for (int i = 0; i < 4; i++)
        assert_float_equal(y[i], want[i], 1e-6);
    reduce_prod(13, axes, 1, 0, 2, dropped, y);
    for (int i = 0; i < 4; i++)
        assert_float_equal(y[i], want[i], 1e-6);
}

static void test_outer_and_inner_axes(void **state)
{
    (void)state;
    const int64_t axes[] = {-1, 0}, ys[] = {3};
    float y[3];
    reduce_prod(18, axes, 2, 0, 1, ys, y); /* x[0,j,:] * x[1,j,:] */
    assert_float_equal(y[0], 2 * -0.5, 1e-6);
    assert_float_equal(y[1], 12 * 4, 1e-6);
    assert_float_equal(y[2], 30 * 10, 1e-6);
    const int64_t all[] = {1, 1, 1};
    reduce_prod(11, NULL, 0, 1, 3, all, y);
    assert_float_equal(y[0], 720 * -0.5 * 4 * 10, 1e-3);
}

static void test_int64_wraps_and_empty_is_one(void **state)
{
    (void)state;
    static const int64_t s[] = {2, 0}, a[] = {3}, ys[] = {2}, big[3] = {INT64_MAX, 2, 3};
    static const int64_t axes[] = {1};
    ts_onnx_model *b = ts_onnx_create(18);
    ts_onnx_input(b, "e", FERRY_DTYPE_INT64, 2, s);
    ts_onnx_input(b, "big", FERRY_DTYPE_INT64, 1, a);
    ts_onnx_initializer(b, "axes", FERRY_DTYPE_INT64, 1, (const int64_t[]){1}, axes);
    ts_onnx_output(b, "y", FERRY_DTYPE_INT64, 1, ys);
    ts_onnx_output(b, "z", FERRY_DTYPE_INT64, 0, NULL);
    int n = ts_onnx_node(b, "ReduceProd", "e,axes", "y");
    ts_onnx_attr_int(b, n, "keepdims", 0);
    n = ts_onnx_node(b, "ReduceProd", "big", "z");
    ts_onnx_attr_int(b, n, "keepdims", 0);
    onnx_model *m = ts_onnx_load_ok(b);
    ferry_tensor in[2] = {ts_onnx_tensor("e", FERRY_DTYPE_INT64, 2, s, NULL),
                          ts_onnx_tensor("big", FERRY_DTYPE_INT64, 1, a, big)},
                 out[2];
    arena ar;
    arena_init(&ar, 1 << 20);
    ts_onnx_run_ok(m, in, 2, out, &ar);
    assert_int_equal(((int64_t *)out[0].data)[0], 1);
    assert_int_equal(((int64_t *)out[0].data)[1], 1);
    assert_int_equal(*(int64_t *)out[1].data, (int64_t)((uint64_t)INT64_MAX * 6));
    arena_free(&ar);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_middle_axis_input_and_attribute),
        cmocka_unit_test(test_outer_and_inner_axes),
        cmocka_unit_test(test_int64_wraps_and_empty_is_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
