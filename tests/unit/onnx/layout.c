/* Unit tests for channels-last layouts (src/onnx/layout.c and the ops that read and write them:
 * Conv, MaxPool, GlobalAveragePool): chains of Conv -> MaxPool -> Conv -> GlobalAveragePool on
 * random shapes (odd sizes, pads, strides, groups, dilations, 1-D to 3-D, batch 1 and larger, on 1
 * and 3 threads) give the same outputs, within 1e-5 relative, as the same model loaded with plain
 * layouts; the planner stores the tensors it should channels-last (and counts them), and keeps
 * graph outputs and values read by other ops NCHW. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "onnx/plan.h"
#include "onnx/session.h"
#include "onnx_model.h"

/* One convolution of a chain: output channels, group, kernel, strides, dilations, pads (begins
 * then ends) over `rank` spatial dimensions. */
typedef struct conv_spec {
    int64_t m, group;
    int64_t kernel[3], strides[3], dilations[3], pads[6];
} conv_spec;

typedef struct pool_spec {
    int64_t kernel[3], strides[3], dilations[3], pads[6];
    bool ceil;
} pool_spec;

/* x [n, c, in...] -> Conv a (+ activation act_a) -> MaxPool p -> Conv b (+ act_b) ->
 * GlobalAveragePool -> y (when `gap`), and, when `tap`, the MaxPool's output as a second graph
 * output. The optimizer fuses the activations into the Convs. */
typedef struct chain_case {
    int rank;
    int64_t n, c, in[3];
    conv_spec a, b;
    pool_spec p;
    const char *act_a; /* "Relu", "Sigmoid"...; NULL: none */
    bool tap, gap;
    const char *act_b;
} chain_case;

static float next_value(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

static void attrs(ts_onnx_model *mb, int node, int rank, const int64_t *strides,
                  const int64_t *dilations, const int64_t *pads)
{
    ts_onnx_attr_ints(mb, node, "strides", (size_t)rank, strides);
    ts_onnx_attr_ints(mb, node, "dilations", (size_t)rank, dilations);
    ts_onnx_attr_ints(mb, node, "pads", 2 * (size_t)rank, pads);
}

/* Random weights [m, c / group, kernel...] and bias [m] named `w` and `b`. */
static void conv_weights(ts_onnx_model *mb, const chain_case *t, const conv_spec *s, int64_t c,
                         const char *w, const char *b, uint32_t *seed)
{
    int64_t shape[5] = {s->m, c / s->group}, n = s->m * (c / s->group);
    for (int d = 0; d < t->rank; d++) {
        shape[2 + d] = s->kernel[d];
        n *= s->kernel[d];
    }
    float *wv = malloc((size_t)n * sizeof *wv), *bv = malloc((size_t)s->m * sizeof *bv);
    for (int64_t i = 0; i < n; i++)
        wv[i] = next_value(seed);
    for (int64_t i = 0; i < s->m; i++)
        bv[i] = next_value(seed);
    ts_onnx_initializer(mb, w, FERRY_DTYPE_FP32, t->rank + 2, shape, wv);
    ts_onnx_initializer(mb, b, FERRY_DTYPE_FP32, 1, &s->m, bv);
    free(wv);
    free(bv);
}

static ts_onnx_model *chain_model(const chain_case *t)
{
    ts_onnx_model *mb = ts_onnx_create(13);
    int64_t xs[5] = {-1, t->c}, dyn[5] = {-1, -1, -1, -1, -1};
    for (int d = 0; d < t->rank; d++)
        xs[2 + d] = t->in[d];
    uint32_t seed = 11;
    ts_onnx_input(mb, "x", FERRY_DTYPE_FP32, t->rank + 2, xs);
    conv_weights(mb, t, &t->a, t->c, "wa", "ba", &seed);
    conv_weights(mb, t, &t->b, t->a.m, "wb", "bb", &seed);
    int node = ts_onnx_node(mb, "Conv", "x,wa,ba", t->act_a != NULL ? "h0" : "h1");
    ts_onnx_attr_int(mb, node, "group", t->a.group);
    attrs(mb, node, t->rank, t->a.strides, t->a.dilations, t->a.pads);
    if (t->act_a != NULL)
        ts_onnx_node(mb, t->act_a, "h0", "h1");
    node = ts_onnx_node(mb, "MaxPool", "h1", "h2");
    ts_onnx_attr_ints(mb, node, "kernel_shape", (size_t)t->rank, t->p.kernel);
    ts_onnx_attr_int(mb, node, "ceil_mode", t->p.ceil);
    attrs(mb, node, t->rank, t->p.strides, t->p.dilations, t->p.pads);
    const char *conv_b_out = t->act_b != NULL ? "h4" : t->gap ? "h3" : "y";
    node = ts_onnx_node(mb, "Conv", "h2,wb,bb", conv_b_out);
    ts_onnx_attr_int(mb, node, "group", t->b.group);
    attrs(mb, node, t->rank, t->b.strides, t->b.dilations, t->b.pads);
    if (t->act_b != NULL)
        ts_onnx_node(mb, t->act_b, "h4", t->gap ? "h3" : "y");
    if (t->gap)
        ts_onnx_node(mb, "GlobalAveragePool", "h3", "y");
    ts_onnx_output(mb, "y", FERRY_DTYPE_FP32, t->rank + 2, dyn);
    if (t->tap)
        ts_onnx_output(mb, "h2", FERRY_DTYPE_FP32, t->rank + 2, dyn);
    return mb;
}

/* Runs m on x with `threads` threads (every step split); the outputs' data in `a`. */
static void run(const onnx_model *m, const ferry_tensor *x, int threads, ferry_tensor *out,
                arena *a)
{
    onnx_session *s = NULL;
    ferry_error err;
    assert_int_equal(onnx_session_create(m, &s, &err), FERRY_OK);
    if (threads > 1 && onnx_session_set_threads(s, threads, 1, &err) != FERRY_OK)
        fail_msg("threads: %s", err.message);
    ferry_allocator alloc = arena_allocator(a);
    if (onnx_session_run(s, x, 1, out, &alloc, &err) != FERRY_OK)
        fail_msg("run: %s", err.message);
    onnx_session_destroy(s);
}

static void assert_close(const ferry_tensor *got, const ferry_tensor *want)
{
    assert_int_equal(got->ndim, want->ndim);
    for (int d = 0; d < got->ndim; d++)
        assert_int_equal(got->shape[d], want->shape[d]);
    const float *g = got->data, *w = want->data;
    for (int64_t i = 0; i < (int64_t)(want->nbytes / sizeof(float)); i++)
        if (!(fabsf(g[i] - w[i]) <= 1e-5f * fmaxf(fabsf(w[i]), 1e-2f)))
            fail_msg("element %lld: %.9g, plain layout %.9g", (long long)i, g[i], w[i]);
}

/* Values the plan for x stores channels-last. */
static size_t channels_last(const onnx_model *m, const ferry_tensor *x)
{
    onnx_plan *p = NULL;
    ferry_error err;
    if (onnx_plan_create(m->graph, x, &p, &err) != FERRY_OK)
        fail_msg("plan: %s", err.message);
    size_t n = p->n_channels_last;
    onnx_plan_destroy(p);
    return n;
}

/* The chain with channels-last layouts equals it with plain ones, on 1 and 3 threads; the plan at
 * this batch stores `want` values channels-last. */
static void check(const chain_case *t, size_t want)
{
    ts_onnx_model *mb = chain_model(t);
    onnx_model *cl = ts_onnx_load_ok_with(mb, &(onnx_model_options){0});
    onnx_model *plain = ts_onnx_load_ok_with(mb, &(onnx_model_options){.plain_layout = true});
    int64_t xs[5] = {t->n, t->c}, nx = t->n * t->c;
    for (int d = 0; d < t->rank; d++) {
        xs[2 + d] = t->in[d];
        nx *= t->in[d];
    }
    float *xv = malloc((size_t)nx * sizeof *xv);
    uint32_t seed = 5;
    for (int64_t i = 0; i < nx; i++)
        xv[i] = next_value(&seed);
    ferry_tensor x = ts_onnx_tensor("x", FERRY_DTYPE_FP32, t->rank + 2, xs, xv);
    assert_int_equal(channels_last(cl, &x), want);
    assert_int_equal(channels_last(plain, &x), 0);
    arena a;
    arena_init(&a, (size_t)1 << 30);
    ferry_tensor want_out[2], got[2];
    run(plain, &x, 1, want_out, &a);
    for (int threads = 1; threads <= 3; threads += 2) {
        run(cl, &x, threads, got, &a);
        for (int k = 0; k < (t->tap ? 2 : 1); k++)
            assert_close(&got[k], &want_out[k]);
    }
    arena_free(&a);
    free(xv);
    onnx_model_destroy(cl);
    onnx_model_destroy(plain);
    ts_onnx_destroy(mb);
}

#define POOL_2X2                                                                                   \
    {                                                                                              \
        {2, 2}, {2, 2}, {1, 1}, {0}, false                                                         \
    }

/* digits_cnn's shape: 3x3 padded convs around a 2x2 pool; conv, pool and conv outputs stored
 * channels-last (the GlobalAveragePool reads the last). */
static void test_digits_shape(void **state)
{
    (void)state;
    chain_case t = {2,
                    64,
                    1,
                    {8, 8},
                    {16, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
                    {32, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
                    POOL_2X2,
                    NULL,
                    false,
                    true};
    check(&t, 3);
    t.act_a = t.act_b = "Relu"; /* as digits_cnn: fused into both Convs */
    check(&t, 3);
    t.act_a = "Sigmoid"; /* activations applied after the bias, in a pass of their own */
    t.act_b = "LeakyRelu";
    check(&t, 3);
    t.act_a = "Tanh";
    t.act_b = "Sigmoid";
    t.n = 37; /* and chunks of images */
    check(&t, 3);
}

/* Odd sizes, strides, dilations, asymmetric pads, ceil_mode, groups (a Sigmoid over grouped
 * channels-last rows). */
static void test_odd_shapes(void **state)
{
    (void)state;
    check(&(chain_case){2,
                        5,
                        3,
                        {11, 9},
                        {18, 3, {3, 2}, {1, 2}, {2, 1}, {2, 0, 1, 1}},
                        {12, 2, {3, 3}, {2, 1}, {1, 2}, {1, 2, 0, 1}},
                        {{3, 2}, {2, 1}, {1, 2}, {1, 0, 0, 1}, true},
                        "Sigmoid",
                        false,
                        true},
          3);
    /* a 3x3 pool with padding; the second conv's output goes out as NCHW */
    check(&(chain_case){2,
                        7,
                        2,
                        {10, 7},
                        {16, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
                        {8, 1, {2, 2}, {1, 1}, {1, 1}, {0, 1, 1, 0}},
                        {{3, 3}, {1, 2}, {1, 1}, {1, 1, 1, 1}, false},
                        "Relu",
                        false,
                        false},
          2);
    /* no padding in the second conv: it reads the pool's output in place */
    check(&(chain_case){2,
                        5,
                        3,
                        {13, 12},
                        {16, 1, {2, 3}, {1, 1}, {1, 1}, {0, 1, 1, 0}},
                        {8, 1, {3, 3}, {1, 1}, {1, 1}, {0}},
                        POOL_2X2,
                        "Relu",
                        false,
                        true},
          3);
    /* groups of 8 input channels in the second conv */
    check(&(chain_case){2,
                        6,
                        4,
                        {9, 9},
                        {16, 2, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
                        {24, 2, {3, 3}, {1, 1}, {2, 2}, {2, 2, 2, 2}},
                        POOL_2X2,
                        NULL,
                        false,
                        true},
          3);
}

/* 1-D and 3-D chains. */
static void test_ranks(void **state)
{
    (void)state;
    check(&(chain_case){1,
                        9,
                        2,
                        {17},
                        {8, 1, {5}, {1}, {1}, {2, 2}},
                        {16, 1, {3}, {2}, {2}, {1, 0}},
                        {{3}, {2}, {1}, {1, 1}, true},
                        "Relu",
                        false,
                        true},
          3);
    check(&(chain_case){3,
                        5,
                        1,
                        {4, 6, 5},
                        {8, 1, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1, 1, 1, 1}},
                        {8, 1, {2, 3, 2}, {1, 1, 1}, {1, 1, 1}, {0, 1, 1, 1, 1, 0}},
                        {{2, 2, 2}, {2, 2, 2}, {1, 1, 1}, {0}, false},
                        NULL,
                        false,
                        true},
          3);
}

/* At batch 1 the second conv gathers NCHW (im2col), so nothing gains and nothing is stored
 * channels-last; the outputs still agree. */
static void test_batch_one(void **state)
{
    (void)state;
    check(&(chain_case){2,
                        1,
                        1,
                        {8, 8},
                        {16, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
                        {32, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
                        POOL_2X2,
                        "Relu",
                        false,
                        true},
          0);
}

/* The pool's output is also a graph output: it and what feeds it stay NCHW, the second conv's
 * output may still be channels-last. */
static void test_graph_output_stays_nchw(void **state)
{
    (void)state;
    check(&(chain_case){2,
                        6,
                        3,
                        {8, 8},
                        {16, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
                        {32, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
                        POOL_2X2,
                        "Relu",
                        true,
                        true},
          1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digits_shape),
        cmocka_unit_test(test_odd_shapes),
        cmocka_unit_test(test_ranks),
        cmocka_unit_test(test_batch_one),
        cmocka_unit_test(test_graph_output_stays_nchw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
