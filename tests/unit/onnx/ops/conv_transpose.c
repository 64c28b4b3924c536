/* Unit tests for ConvTranspose (src/onnx/ops/conv_transpose.c), whose node tests are not among
 * ../shared/conformance: against a scatter-form reference on random data, with groups, a batch,
 * strides, dilations, asymmetric pads, output_padding, output_shape (smaller and larger than
 * the natural size), SAME_UPPER / SAME_LOWER, 1-D and 3-D, and no bias; and bad weights refused
 * at load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_model.h"

typedef struct ct_case {
    int rank;
    int64_t n, c, m, group; /* m: output channels in all */
    int64_t in[3], kernel[3], strides[3], dilations[3];
    int64_t pads[6];           /* used when auto_pad and output_shape are absent */
    int64_t output_padding[3]; /* all zero: attribute left out */
    int64_t output_shape[3];   /* all zero: attribute left out */
    const char *auto_pad;      /* NULL: left out */
    bool bias;
} ct_case;

static float next_value(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

static bool any(const int64_t *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i] != 0)
            return true;
    return false;
}

/* Python's floor division by 2. */
static int64_t fdiv2(int64_t v)
{
    return v >= 0 ? v / 2 : -((-v + 1) / 2);
}

/* Output size and leading pad of dimension d, as ONNX's operator text gives them. */
static void dim_of(const ct_case *t, int d, int64_t *out, int64_t *pad_begin)
{
    int64_t natural = t->strides[d] * (t->in[d] - 1) + t->output_padding[d] +
                      (t->kernel[d] - 1) * t->dilations[d] + 1;
    bool same = t->auto_pad != NULL && strncmp(t->auto_pad, "SAME", 4) == 0;
    if (any(t->output_shape, t->rank) || same) {
        *out = any(t->output_shape, t->rank) ? t->output_shape[d] : t->in[d] * t->strides[d];
        int64_t total = natural - *out;
        bool upper = t->auto_pad != NULL && strcmp(t->auto_pad, "SAME_UPPER") == 0;
        *pad_begin = upper ? fdiv2(total) : total - fdiv2(total);
    } else {
        *pad_begin = t->pads[d];
        *out = natural - t->pads[d] - t->pads[d + t->rank];
    }
}

/* Each input element scattered through the kernel into the output. */
static void reference(const ct_case *t, const float *x, const float *w, const float *b, float *y,
                      const int64_t *out, const int64_t *pb)
{
    int64_t in[3] = {1, 1, 1}, o[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1},
            dl[3] = {1, 1, 1}, p[3] = {0, 0, 0};
    int lead = 3 - t->rank;
    for (int d = 0; d < t->rank; d++) {
        in[lead + d] = t->in[d];
        o[lead + d] = out[d];
        k[lead + d] = t->kernel[d];
        s[lead + d] = t->strides[d];
        dl[lead + d] = t->dilations[d];
        p[lead + d] = pb[d];
    }
    int64_t cg = t->c / t->group, mg = t->m / t->group, ovol = o[0] * o[1] * o[2];
    for (int64_t n = 0; n < t->n; n++)
        for (int64_t m = 0; m < t->m; m++)
            for (int64_t i = 0; i < ovol; i++)
                y[(n * t->m + m) * ovol + i] = b != NULL ? b[m] : 0.0f;
    for (int64_t n = 0; n < t->n; n++)
        for (int64_t c = 0; c < t->c; c++)
            for (int64_t i0 = 0; i0 < in[0]; i0++)
                for (int64_t i1 = 0; i1 < in[1]; i1++)
                    for (int64_t i2 = 0; i2 < in[2]; i2++) {
                        float v = x[(((n * t->c + c) * in[0] + i0) * in[1] + i1) * in[2] + i2];
                        for (int64_t mm = 0; mm < mg; mm++)
                            for (int64_t k0 = 0; k0 < k[0]; k0++)
                                for (int64_t k1 = 0; k1 < k[1]; k1++)
                                    for (int64_t k2 = 0; k2 < k[2]; k2++) {
                                        int64_t a0 = i0 * s[0] - p[0] + k0 * dl[0];
                                        int64_t a1 = i1 * s[1] - p[1] + k1 * dl[1];
                                        int64_t a2 = i2 * s[2] - p[2] + k2 * dl[2];
                                        if (a0 < 0 || a0 >= o[0] || a1 < 0 || a1 >= o[1] ||
                                            a2 < 0 || a2 >= o[2])
                                            continue;
                                        int64_t m = c / cg * mg + mm;
                                        y[(n * t->m + m) * ovol + (a0 * o[1] + a1) * o[2] + a2] +=
                                            v * w[(((c * mg + mm) * k[0] + k0) * k[1] + k1) * k[2] +
                                                  k2];
                                    }
                    }
}

static void check(const ct_case *t)
{
    int64_t out[3], pb[3];
    int64_t xs[5] = {t->n, t->c}, ws[5] = {t->c, t->m / t->group}, ys[5] = {t->n, t->m};
    int64_t nx = t->n * t->c, nw = t->c * (t->m / t->group), ny = t->n * t->m;
    for (int d = 0; d < t->rank; d++) {
        dim_of(t, d, &out[d], &pb[d]);
        xs[2 + d] = t->in[d];
        ws[2 + d] = t->kernel[d];
        ys[2 + d] = out[d];
        nx *= t->in[d];
        nw *= t->kernel[d];
        ny *= out[d];
    }
    float *x = malloc((size_t)nx * sizeof *x), *w = malloc((size_t)nw * sizeof *w);
    float *b = malloc((size_t)t->m * sizeof *b), *want = malloc((size_t)ny * sizeof *want);
    uint32_t seed = 11;
    for (int64_t i = 0; i < nx; i++)
        x[i] = next_value(&seed);
    for (int64_t i = 0; i < nw; i++)
        w[i] = next_value(&seed);
    for (int64_t i = 0; i < t->m; i++)
        b[i] = next_value(&seed);
    reference(t, x, w, t->bias ? b : NULL, want, out, pb);

    ts_onnx_model *mb = ts_onnx_create(11);
    ts_onnx_input(mb, "x", FERRY_DTYPE_FP32, t->rank + 2, xs);
    ts_onnx_initializer(mb, "w", FERRY_DTYPE_FP32, t->rank + 2, ws, w);
    ts_onnx_initializer(mb, "b", FERRY_DTYPE_FP32, 1, &t->m, b);
    ts_onnx_output(mb, "y", FERRY_DTYPE_FP32, t->rank + 2, ys);
    int node = ts_onnx_node(mb, "ConvTranspose", t->bias ? "x,w,b" : "x,w", "y");
    ts_onnx_attr_int(mb, node, "group", t->group);
    ts_onnx_attr_ints(mb, node, "kernel_shape", (size_t)t->rank, t->kernel);
    ts_onnx_attr_ints(mb, node, "strides", (size_t)t->rank, t->strides);
    ts_onnx_attr_ints(mb, node, "dilations", (size_t)t->rank, t->dilations);
    if (t->auto_pad != NULL)
        ts_onnx_attr_string(mb, node, "auto_pad", t->auto_pad);
    else if (!any(t->output_shape, t->rank))
        ts_onnx_attr_ints(mb, node, "pads", 2 * (size_t)t->rank, t->pads);
    if (any(t->output_padding, t->rank))
        ts_onnx_attr_ints(mb, node, "output_padding", (size_t)t->rank, t->output_padding);
    if (any(t->output_shape, t->rank))
        ts_onnx_attr_ints(mb, node, "output_shape", (size_t)t->rank, t->output_shape);
    onnx_model *m = ts_onnx_load_ok(mb);
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, t->rank + 2, xs, x), res;
    arena a;
    arena_init(&a, (size_t)1 << 28);
    ts_onnx_run_ok(m, &in, 1, &res, &a);
    assert_int_equal(res.ndim, t->rank + 2);
    for (int d = 0; d < t->rank + 2; d++)
        assert_int_equal(res.shape[d], ys[d]);
    const float *got = res.data;
    for (int64_t i = 0; i < ny; i++)
        if (fabsf(got[i] - want[i]) > 1e-4f + 1e-4f * fabsf(want[i]))
            fail_msg("element %lld: %g, expected %g", (long long)i, got[i], want[i]);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(mb);
    free(x);
    free(w);
    free(b);
    free(want);
}

static void test_groups_strides_pads(void **state)
{
    (void)state;
    check(&(ct_case){2, 2, 4, 6, 2, {3, 4}, {3, 3}, {2, 2}, {1, 1}, {1, 0, 0, 1}, .bias = true});
    check(&(ct_case){2, 3, 6, 6, 6, {4, 3}, {3, 2}, {1, 3}, {1, 1}, {0, 1, 2, 0}, .bias = true});
    check(&(ct_case){2, 1, 3, 2, 1, {5, 4}, {2, 3}, {2, 1}, {2, 2}, {0, 0, 0, 0}});
}

static void test_output_padding_and_shape(void **state)
{
    (void)state;
    check(&(ct_case){2,
                     2,
                     2,
                     3,
                     1,
                     {3, 3},
                     {3, 3},
                     {3, 2},
                     {1, 1},
                     {1, 1, 0, 0},
                     .output_padding = {2, 1},
                     .bias = true});
    /* output_shape below, at and above the natural size (the last widens at the end) */
    check(&(ct_case){2, 1, 2, 2, 1, {3, 3}, {3, 3}, {3, 2}, {1, 1}, .output_shape = {8, 6}});
    check(&(ct_case){
        2, 1, 2, 2, 1, {3, 3}, {3, 3}, {3, 2}, {1, 1}, .output_shape = {10, 8}, .bias = true});
    check(
        &(ct_case){1, 2, 2, 4, 2, {4}, {3}, {2}, {1}, .output_padding = {1}, .output_shape = {8}});
}

static void test_auto_pad(void **state)
{
    (void)state;
    check(&(ct_case){
        2, 1, 2, 3, 1, {3, 4}, {3, 2}, {2, 3}, {1, 1}, .auto_pad = "SAME_UPPER", .bias = true});
    check(&(ct_case){2, 1, 2, 3, 1, {3, 4}, {3, 2}, {2, 3}, {1, 1}, .auto_pad = "SAME_LOWER"});
    check(&(ct_case){2, 1, 2, 3, 1, {3, 4}, {3, 2}, {2, 3}, {1, 1}, .auto_pad = "VALID"});
}

static void test_1d_3d(void **state)
{
    (void)state;
    check(&(ct_case){1, 3, 4, 2, 2, {6}, {4}, {3}, {2}, {2, 1}, .bias = true});
    check(&(ct_case){3,
                     2,
                     2,
                     4,
                     2,
                     {3, 2, 3},
                     {2, 3, 2},
                     {2, 1, 2},
                     {1, 2, 1},
                     {1, 0, 0, 0, 1, 1},
                     .bias = true});
}

static void test_bad_weights_refused(void **state)
{
    (void)state;
    static const int64_t xs[] = {1, 3, 4, 4}, ws[] = {2, 2, 3, 3};
    float w[36] = {0};
    ts_onnx_model *b = ts_onnx_create(11);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 4, xs);
    ts_onnx_initializer(b, "w", FERRY_DTYPE_FP32, 4, ws, w);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 4, (int64_t[]){1, -1, -1, -1});
    ts_onnx_node(b, "ConvTranspose", "x,w", "y");
    ts_onnx_load_fails(b, FERRY_INVALID_ARG, "X has 3 channels");
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_strides_pads),
        cmocka_unit_test(test_output_padding_and_shape),
        cmocka_unit_test(test_auto_pad),
        cmocka_unit_test(test_1d_3d),
        cmocka_unit_test(test_bad_weights_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
