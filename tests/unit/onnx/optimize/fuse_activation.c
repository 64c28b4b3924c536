/* Unit tests for the activation-fusion pass (src/onnx/optimize/fuse_activation.c) and the
 * epilogues it turns on in Gemm and Conv: each activation after a Gemm, a Conv on each of its
 * paths (one image, a chunk of images, channels-last, 1x1, depthwise), compared with the graph
 * as written; and the cases where it must not fire (the product is a graph output or has another
 * reader, Clip bounds that are not constants). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "onnx_optimize.h"

/* Gemm g = x w + b (x [-1, 5], w [5, 4], node 0) followed by op_type(act_inputs) -> y (node 1).
 * Activation attributes and extra inputs are the caller's. */
static void gemm_then(ts_onnx_model *b, const char *op_type, const char *act_inputs)
{
    float w[20], bias[4];
    uint32_t seed = 11;
    ts_opt_random(w, 20, &seed);
    ts_opt_random(bias, 4, &seed);
    for (int i = 0; i < 20; i++)
        w[i] *= 3.0f; /* values beyond Clip's and LeakyRelu's interesting range */
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, (int64_t[]){-1, 5});
    ts_onnx_initializer(b, "w", FERRY_DTYPE_FP32, 2, (int64_t[]){5, 4}, w);
    ts_onnx_initializer(b, "b", FERRY_DTYPE_FP32, 1, (int64_t[]){4}, bias);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, (int64_t[]){-1, 4});
    ts_onnx_node(b, "Gemm", "x,w,b", "g");
    ts_onnx_node(b, op_type, act_inputs, "y");
}

/* Runs b (input "x" of [rows, 5]) both ways; returns the optimized model. */
static onnx_model *compare_gemm(const ts_onnx_model *b, int64_t rows)
{
    float x[64];
    uint32_t seed = 5;
    ts_opt_random(x, (size_t)rows * 5, &seed);
    for (int64_t i = 0; i < rows * 5; i++)
        x[i] *= 2.0f;
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 2, (int64_t[]){rows, 5}, x);
    return ts_opt_compare(b, &in, 1);
}

/* Fails unless the Gemm carries `kind` and no activation node is left. */
static void assert_fused(const onnx_model *m, const char *gone, onnx_activation_kind kind)
{
    const onnx_node *gemm = ts_opt_find(m, "Gemm");
    assert_non_null(gemm);
    assert_int_equal(gemm->fused.kind, kind);
    assert_int_equal(ts_opt_count(m, gone), 0);
    assert_int_equal(m->optimized.activations, 1);
    assert_int_equal(m->graph->n_nodes, 1);
    assert_string_equal(m->outputs[0].name, "y");
}

static void test_gemm_relu(void **state)
{
    (void)state;
    ts_onnx_model *b = ts_onnx_create(13);
    gemm_then(b, "Relu", "g");
    onnx_model *m = compare_gemm(b, 7);
    assert_fused(m, "Relu", ONNX_ACTIVATION_RELU);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_gemm_leaky_relu_sigmoid_tanh(void **state)
{
    (void)state;
    const char *ops[] = {"LeakyRelu", "Sigmoid", "Tanh"};
    onnx_activation_kind kinds[] = {ONNX_ACTIVATION_LEAKY_RELU, ONNX_ACTIVATION_SIGMOID,
                                    ONNX_ACTIVATION_TANH};
    for (int i = 0; i < 3; i++) {
        ts_onnx_model *b = ts_onnx_create(13);
        gemm_then(b, ops[i], "g");
        if (i == 0)
            ts_onnx_attr_float(b, 1, "alpha", 0.25f);
        onnx_model *m = compare_gemm(b, 6);
        assert_fused(m, ops[i], kinds[i]);
        if (i == 0)
            assert_true(ts_opt_find(m, "Gemm")->fused.alpha == 0.25f);
        onnx_model_destroy(m);
        ts_onnx_destroy(b);
    }
}

static void test_gemm_clip(void **state)
{
    (void)state;
    /* opset 11+: bounds as constant inputs, relu6 and a one-sided clip */
    ts_onnx_model *b = ts_onnx_create(13);
    gemm_then(b, "Clip", "g,lo,hi");
    ts_onnx_initializer(b, "lo", FERRY_DTYPE_FP32, 0, NULL, (float[]){0.0f});
    ts_onnx_initializer(b, "hi", FERRY_DTYPE_FP32, 0, NULL, (float[]){0.5f});
    onnx_model *m = compare_gemm(b, 8);
    assert_fused(m, "Clip", ONNX_ACTIVATION_CLIP);
    assert_true(ts_opt_find(m, "Gemm")->fused.max == 0.5f);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);

    b = ts_onnx_create(13);
    gemm_then(b, "Clip", "g,,hi");
    ts_onnx_initializer(b, "hi", FERRY_DTYPE_FP32, 0, NULL, (float[]){0.1f});
    m = compare_gemm(b, 8);
    assert_fused(m, "Clip", ONNX_ACTIVATION_CLIP);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);

    /* opset 6-10: bounds as attributes */
    b = ts_onnx_create(10);
    gemm_then(b, "Clip", "g");
    ts_onnx_attr_float(b, 1, "min", -0.2f);
    ts_onnx_attr_float(b, 1, "max", 0.3f);
    m = compare_gemm(b, 8);
    assert_fused(m, "Clip", ONNX_ACTIVATION_CLIP);
    assert_true(ts_opt_find(m, "Gemm")->fused.min == -0.2f);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_clip_with_input_bounds_stays(void **state)
{
    (void)state;
    ts_onnx_model *b = ts_onnx_create(13);
    gemm_then(b, "Clip", "g,lo");
    ts_onnx_input(b, "lo", FERRY_DTYPE_FP32, 0, NULL);
    float x[10], lo = 0.1f;
    uint32_t seed = 3;
    ts_opt_random(x, 10, &seed);
    ferry_tensor in[2] = {ts_onnx_tensor("x", FERRY_DTYPE_FP32, 2, (int64_t[]){2, 5}, x),
                          ts_onnx_tensor("lo", FERRY_DTYPE_FP32, 0, NULL, &lo)};
    onnx_model *m = ts_opt_compare(b, in, 2);
    assert_int_equal(ts_opt_count(m, "Clip"), 1);
    assert_int_equal(ts_opt_find(m, "Gemm")->fused.kind, ONNX_ACTIVATION_NONE);
    assert_int_equal(m->optimized.activations, 0);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_product_is_graph_output(void **state)
{
    (void)state;
    ts_onnx_model *b = ts_onnx_create(13);
    gemm_then(b, "Relu", "g");
    ts_onnx_output(b, "g", FERRY_DTYPE_FP32, 2, (int64_t[]){-1, 4});
    onnx_model *m = compare_gemm(b, 5);
    assert_int_equal(ts_opt_count(m, "Relu"), 1);
    assert_int_equal(ts_opt_find(m, "Gemm")->fused.kind, ONNX_ACTIVATION_NONE);
    assert_int_equal(m->optimized.activations, 0);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_product_with_two_readers(void **state)
{
    (void)state;
    ts_onnx_model *b = ts_onnx_create(13);
    gemm_then(b, "Relu", "g");
    ts_onnx_node(b, "Sigmoid", "g", "s");
    ts_onnx_output(b, "s", FERRY_DTYPE_FP32, 2, (int64_t[]){-1, 4});
    onnx_model *m = compare_gemm(b, 5);
    assert_int_equal(ts_opt_count(m, "Relu"), 1);
    assert_int_equal(ts_opt_count(m, "Sigmoid"), 1);
    assert_int_equal(m->optimized.activations, 0);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

/* ---- Conv: every path applies the epilogue ---- */

typedef struct conv_shape {
    int64_t n, c, m, group, hw, k, pad;
} conv_shape;

static void check_conv(const conv_shape *s, const char *op_type)
{
    int64_t cg = s->c / s->group, out = s->hw + 2 * s->pad - s->k + 1;
    int64_t xs[4] = {s->n, s->c, s->hw, s->hw}, ws[4] = {s->m, cg, s->k, s->k};
    size_t nx = (size_t)(s->n * s->c * s->hw * s->hw), nw = (size_t)(s->m * cg * s->k * s->k);
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), bias[64];
    assert_non_null(x);
    assert_non_null(w);
    uint32_t seed = 17;
    ts_opt_random(x, nx, &seed);
    ts_opt_random(w, nw, &seed);
    ts_opt_random(bias, (size_t)s->m, &seed);
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 4, (int64_t[]){-1, s->c, s->hw, s->hw});
    ts_onnx_initializer(b, "w", FERRY_DTYPE_FP32, 4, ws, w);
    ts_onnx_initializer(b, "b", FERRY_DTYPE_FP32, 1, &s->m, bias);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 4, (int64_t[]){-1, s->m, out, out});
    int conv = ts_onnx_node(b, "Conv", "x,w,b", "c");
    ts_onnx_attr_int(b, conv, "group", s->group);
    ts_onnx_attr_ints(b, conv, "pads", 4, (int64_t[]){s->pad, s->pad, s->pad, s->pad});
    ts_onnx_node(b, op_type, "c", "y");
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 4, xs, x);
    onnx_model *m = ts_opt_compare(b, &in, 1);
    assert_int_equal(m->graph->n_nodes, 1);
    assert_int_not_equal(ts_opt_find(m, "Conv")->fused.kind, ONNX_ACTIVATION_NONE);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
    free(x);
    free(w);
}

static void test_conv_paths(void **state)
{
    (void)state;
    check_conv(&(conv_shape){1, 3, 4, 1, 6, 3, 1}, "Relu");      /* im2col, one image */
    check_conv(&(conv_shape){5, 2, 3, 1, 5, 3, 0}, "Tanh");      /* im2col, a chunk of 5 */
    check_conv(&(conv_shape){4, 8, 4, 1, 5, 3, 1}, "Relu");      /* im2row (8 channels, 4 images) */
    check_conv(&(conv_shape){2, 6, 4, 2, 5, 1, 0}, "Sigmoid");   /* 1x1 */
    check_conv(&(conv_shape){2, 4, 4, 4, 6, 3, 1}, "LeakyRelu"); /* depthwise */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_relu),
        cmocka_unit_test(test_gemm_leaky_relu_sigmoid_tanh),
        cmocka_unit_test(test_gemm_clip),
        cmocka_unit_test(test_clip_with_input_bounds_stays),
        cmocka_unit_test(test_product_is_graph_output),
        cmocka_unit_test(test_product_with_two_readers),
        cmocka_unit_test(test_conv_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
