/* Unit tests for Conv (src/onnx/ops/conv.c) beyond ONNX's node tests, which hold one image and
 * one group: each path against a direct reference loop on random data. Depthwise (strided,
 * dilated, padded), a channel multiplier (one input channel per group, several outputs), 1x1
 * with and without groups, grouped 1-D and 3-D with asymmetric pads, the channels-last path
 * (many channels per group) with its border classes (windows at the border skip the kernel offsets
 * that reach only padding), and batches large enough that the GEMM runs in several chunks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "onnx_model.h"

typedef struct conv_case {
    int rank;
    int64_t n, c, m, group;
    int64_t in[3], kernel[3], strides[3], dilations[3], pads[6];
    bool bias;
} conv_case;

static float next_value(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

static int64_t out_dim(const conv_case *t, int d)
{
    int64_t span = t->dilations[d] * (t->kernel[d] - 1) + 1;
    return (t->in[d] + t->pads[d] + t->pads[d + t->rank] - span) / t->strides[d] + 1;
}

/* The convolution by its definition, one output at a time. */
static void reference(const conv_case *t, const float *x, const float *w, const float *b, float *y)
{
    int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1},
            dl[3] = {1, 1, 1}, p[3] = {0, 0, 0};
    int lead = 3 - t->rank;
    for (int d = 0; d < t->rank; d++) {
        in[lead + d] = t->in[d];
        out[lead + d] = out_dim(t, d);
        k[lead + d] = t->kernel[d];
        s[lead + d] = t->strides[d];
        dl[lead + d] = t->dilations[d];
        p[lead + d] = t->pads[d];
    }
    int64_t cg = t->c / t->group, mg = t->m / t->group;
    for (int64_t n = 0; n < t->n; n++)
        for (int64_t m = 0; m < t->m; m++)
            for (int64_t o0 = 0; o0 < out[0]; o0++)
                for (int64_t o1 = 0; o1 < out[1]; o1++)
                    for (int64_t o2 = 0; o2 < out[2]; o2++) {
                        double acc = b != NULL ? b[m] : 0.0;
                        for (int64_t c = 0; c < cg; c++)
                            for (int64_t k0 = 0; k0 < k[0]; k0++)
                                for (int64_t k1 = 0; k1 < k[1]; k1++)
                                    for (int64_t k2 = 0; k2 < k[2]; k2++) {
                                        int64_t i0 = o0 * s[0] - p[0] + k0 * dl[0];
                                        int64_t i1 = o1 * s[1] - p[1] + k1 * dl[1];
                                        int64_t i2 = o2 * s[2] - p[2] + k2 * dl[2];
                                        if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] ||
                                            i2 < 0 || i2 >= in[2])
                                            continue;
                                        int64_t ci = m / mg * cg + c;
                                        acc +=
                                            (double)
                                                x[(((n * t->c + ci) * in[0] + i0) * in[1] + i1) *
                                                      in[2] +
                                                  i2] *
                                            w[(((m * cg + c) * k[0] + k0) * k[1] + k1) * k[2] + k2];
                                    }
                        *y++ = (float)acc;
                    }
}

static void check(const conv_case *t)
{
    int64_t xs[5] = {t->n, t->c}, ws[5] = {t->m, t->c / t->group}, ys[5] = {t->n, t->m};
    int64_t nx = t->n * t->c, nw = t->m * (t->c / t->group), ny = t->n * t->m;
    for (int d = 0; d < t->rank; d++) {
        xs[2 + d] = t->in[d];
        ws[2 + d] = t->kernel[d];
        ys[2 + d] = out_dim(t, d);
        nx *= t->in[d];
        nw *= t->kernel[d];
        ny *= ys[2 + d];
    }
    float *x = malloc((size_t)nx * sizeof *x), *w = malloc((size_t)nw * sizeof *w);
    float *b = malloc((size_t)t->m * sizeof *b), *want = malloc((size_t)ny * sizeof *want);
    uint32_t seed = 7;
    for (int64_t i = 0; i < nx; i++)
        x[i] = next_value(&seed);
    for (int64_t i = 0; i < nw; i++)
        w[i] = next_value(&seed);
    for (int64_t i = 0; i < t->m; i++)
        b[i] = next_value(&seed);
    reference(t, x, w, t->bias ? b : NULL, want);

    ts_onnx_model *mb = ts_onnx_create(13);
    ts_onnx_input(mb, "x", FERRY_DTYPE_FP32, t->rank + 2, xs);
    ts_onnx_initializer(mb, "w", FERRY_DTYPE_FP32, t->rank + 2, ws, w);
    ts_onnx_initializer(mb, "b", FERRY_DTYPE_FP32, 1, &t->m, b);
    ts_onnx_output(mb, "y", FERRY_DTYPE_FP32, t->rank + 2, ys);
    int node = ts_onnx_node(mb, "Conv", t->bias ? "x,w,b" : "x,w", "y");
    ts_onnx_attr_int(mb, node, "group", t->group);
    ts_onnx_attr_ints(mb, node, "strides", (size_t)t->rank, t->strides);
    ts_onnx_attr_ints(mb, node, "dilations", (size_t)t->rank, t->dilations);
    ts_onnx_attr_ints(mb, node, "pads", 2 * (size_t)t->rank, t->pads);
    onnx_model *m = ts_onnx_load_ok(mb);
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, t->rank + 2, xs, x), out;
    arena a;
    arena_init(&a, (size_t)1 << 30);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    assert_int_equal(out.ndim, t->rank + 2);
    for (int d = 0; d < t->rank + 2; d++)
        assert_int_equal(out.shape[d], ys[d]);
    const float *got = out.data;
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

static void test_depthwise(void **state)
{
    (void)state;
    check(&(conv_case){2, 3, 4, 4, 4, {7, 6}, {3, 3}, {2, 1}, {1, 1}, {1, 1, 1, 1}, true});
    check(&(conv_case){2, 2, 3, 3, 3, {9, 8}, {3, 2}, {1, 2}, {2, 1}, {2, 0, 1, 1}, false});
    check(&(conv_case){1, 5, 2, 2, 2, {11}, {4}, {3}, {1}, {2, 3}, true});
}

static void test_channel_multiplier(void **state)
{
    (void)state;
    check(&(conv_case){2, 2, 3, 6, 3, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, true});
    check(&(conv_case){2, 1, 1, 16, 1, {8, 8}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, true});
}

static void test_pointwise(void **state)
{
    (void)state;
    check(&(conv_case){2, 3, 8, 6, 1, {4, 5}, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, true});
    check(&(conv_case){2, 2, 8, 6, 2, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, false});
    /* strided 1x1 is not pointwise: im2col */
    check(&(conv_case){2, 2, 4, 6, 1, {5, 5}, {1, 1}, {2, 2}, {1, 1}, {0, 0, 0, 0}, true});
}

static void test_grouped_1d_3d(void **state)
{
    (void)state;
    check(&(conv_case){1, 3, 4, 6, 2, {10}, {3}, {2}, {2}, {1, 2}, true});
    check(&(conv_case){
        3, 2, 4, 4, 2, {4, 5, 3}, {2, 3, 2}, {1, 2, 1}, {1, 1, 2}, {1, 0, 1, 0, 2, 0}, true});
}

static void test_channels_last(void **state)
{
    (void)state;
    check(&(conv_case){2, 6, 16, 8, 2, {7, 6}, {3, 2}, {2, 1}, {1, 2}, {1, 0, 0, 1}, true});
    check(&(conv_case){3, 4, 8, 4, 1, {3, 4, 5}, {2, 2, 3}, {1, 2, 1}, {1, 1, 2}, {0}, false});
    check(&(conv_case){1, 5, 12, 6, 1, {9}, {3}, {1}, {3}, {3, 3}, true});
}

static void test_border_classes(void **state)
{
    (void)state;
    /* digits_cnn's second conv: 9 classes (corners, edges, the middle) */
    check(&(conv_case){2, 5, 16, 32, 1, {4, 4}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, true});
    /* 5x5 with padding 2: border segments merge outputs reaching different offsets */
    check(&(conv_case){2, 4, 8, 8, 1, {7, 6}, {5, 5}, {1, 1}, {1, 1}, {2, 2, 2, 2}, false});
    /* no window wholly inside; some windows reach only padding */
    check(&(conv_case){2, 4, 8, 4, 1, {3, 2}, {5, 2}, {1, 1}, {1, 1}, {2, 3, 2, 3}, true});
    /* strides, asymmetric pads, groups, and a dilated last dimension (runs of one offset) */
    check(&(conv_case){2, 6, 16, 12, 2, {9, 8}, {3, 3}, {2, 1}, {1, 2}, {1, 0, 2, 2}, true});
    check(&(conv_case){
        3, 4, 8, 4, 1, {4, 3, 5}, {3, 2, 3}, {1, 1, 2}, {2, 1, 1}, {2, 0, 1, 0, 1, 1}, false});
}

static void test_batch_in_chunks(void **state)
{
    (void)state;
    /* (16 * 9 + 32) * 144 floats per image: the 1 MiB chunk holds 10 of the 37 images. */
    check(&(conv_case){2, 37, 16, 32, 1, {12, 12}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, true});
    check(&(conv_case){2, 23, 8, 8, 2, {20, 20}, {3, 3}, {2, 2}, {1, 1}, {0, 1, 1, 0}, false});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depthwise),       cmocka_unit_test(test_channel_multiplier),
        cmocka_unit_test(test_pointwise),       cmocka_unit_test(test_grouped_1d_3d),
        cmocka_unit_test(test_channels_last),   cmocka_unit_test(test_border_classes),
        cmocka_unit_test(test_batch_in_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
