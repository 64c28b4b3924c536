/* Unit tests for the Conv + BatchNormalization folding pass
 * (src/onnx/optimize/fold_batch_norm.c): with and without a Conv bias, grouped, a dynamic batch,
 * compared with the graph as written; and the cases where it must not fire (the Conv's output
 * has a second reader or is a graph output, a parameter is not a constant). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "onnx_optimize.h"

#define C_IN  4
#define M_OUT 6
#define HW    5

typedef struct bn_case {
    bool bias;
    int64_t group;
    bool scale_is_input; /* BatchNormalization's scale fed by the caller */
} bn_case;

/* x [-1, 4, 5, 5] -> Conv (3x3, pads 1) -> c -> BatchNormalization -> y. */
static ts_onnx_model *build(const bn_case *t)
{
    float w[M_OUT * C_IN * 9], cb[M_OUT], p[4][M_OUT];
    uint32_t seed = 23;
    ts_opt_random(w, sizeof w / sizeof w[0], &seed);
    ts_opt_random(cb, M_OUT, &seed);
    for (int i = 0; i < 4; i++)
        ts_opt_random(p[i], M_OUT, &seed);
    for (int c = 0; c < M_OUT; c++)
        p[3][c] = p[3][c] * p[3][c] + 0.1f; /* variances */
    ts_onnx_model *b = ts_onnx_create(13);
    int64_t m = M_OUT;
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 4, (int64_t[]){-1, C_IN, HW, HW});
    ts_onnx_initializer(b, "w", FERRY_DTYPE_FP32, 4, (int64_t[]){M_OUT, C_IN / t->group, 3, 3}, w);
    ts_onnx_initializer(b, "cb", FERRY_DTYPE_FP32, 1, &m, cb);
    if (t->scale_is_input)
        ts_onnx_input(b, "scale", FERRY_DTYPE_FP32, 1, &m);
    else
        ts_onnx_initializer(b, "scale", FERRY_DTYPE_FP32, 1, &m, p[0]);
    ts_onnx_initializer(b, "shift", FERRY_DTYPE_FP32, 1, &m, p[1]);
    ts_onnx_initializer(b, "mean", FERRY_DTYPE_FP32, 1, &m, p[2]);
    ts_onnx_initializer(b, "var", FERRY_DTYPE_FP32, 1, &m, p[3]);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 4, (int64_t[]){-1, M_OUT, HW, HW});
    int conv = ts_onnx_node(b, "Conv", t->bias ? "x,w,cb" : "x,w", "c");
    ts_onnx_attr_int(b, conv, "group", t->group);
    ts_onnx_attr_ints(b, conv, "pads", 4, (int64_t[]){1, 1, 1, 1});
    int bn = ts_onnx_node(b, "BatchNormalization", "c,scale,shift,mean,var", "y");
    ts_onnx_attr_float(b, bn, "epsilon", 1e-3f);
    return b;
}

/* Runs b on a batch of 3 (and `scale` when it is an input) both ways. */
static onnx_model *compare(const ts_onnx_model *b, bool scale_is_input)
{
    float x[3 * C_IN * HW * HW], scale[M_OUT];
    uint32_t seed = 31;
    ts_opt_random(x, sizeof x / sizeof x[0], &seed);
    ts_opt_random(scale, M_OUT, &seed);
    ferry_tensor in[2] = {ts_onnx_tensor("x", FERRY_DTYPE_FP32, 4, (int64_t[]){3, C_IN, HW, HW}, x),
                          ts_onnx_tensor("scale", FERRY_DTYPE_FP32, 1, (int64_t[]){M_OUT}, scale)};
    return ts_opt_compare(b, in, scale_is_input ? 2 : 1);
}

static void check_folded(const bn_case *t)
{
    ts_onnx_model *b = build(t);
    onnx_model *m = compare(b, false);
    assert_int_equal(ts_opt_count(m, "BatchNormalization"), 0);
    assert_int_equal(m->graph->n_nodes, 1);
    assert_int_equal(m->optimized.batch_norms, 1);
    const onnx_node *conv = ts_opt_find(m, "Conv");
    assert_int_equal(conv->n_inputs, 3);
    /* new constants; the model's own weights are left as they were */
    const onnx_value *w = &m->graph->values[conv->inputs[1]];
    assert_int_equal(w->kind, ONNX_VALUE_CONSTANT);
    assert_string_not_equal(w->name, "w");
    assert_int_equal(m->graph->values[conv->inputs[2]].kind, ONNX_VALUE_CONSTANT);
    assert_string_equal(m->graph->values[conv->outputs[0]].name, "y");
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_folds_with_bias(void **state)
{
    (void)state;
    check_folded(&(bn_case){.bias = true, .group = 1});
}

static void test_folds_without_bias(void **state)
{
    (void)state;
    check_folded(&(bn_case){.bias = false, .group = 1});
}

static void test_folds_grouped(void **state)
{
    (void)state;
    check_folded(&(bn_case){.bias = true, .group = 2});
}

static void test_conv_output_with_two_readers(void **state)
{
    (void)state;
    ts_onnx_model *b = build(&(bn_case){.bias = true, .group = 1});
    ts_onnx_node(b, "Relu", "c", "r");
    ts_onnx_output(b, "r", FERRY_DTYPE_FP32, 4, (int64_t[]){-1, M_OUT, HW, HW});
    onnx_model *m = compare(b, false);
    assert_int_equal(ts_opt_count(m, "BatchNormalization"), 1);
    assert_int_equal(m->optimized.batch_norms, 0);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_conv_output_is_graph_output(void **state)
{
    (void)state;
    ts_onnx_model *b = build(&(bn_case){.bias = true, .group = 1});
    ts_onnx_output(b, "c", FERRY_DTYPE_FP32, 4, (int64_t[]){-1, M_OUT, HW, HW});
    onnx_model *m = compare(b, false);
    assert_int_equal(ts_opt_count(m, "BatchNormalization"), 1);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_parameter_not_constant(void **state)
{
    (void)state;
    ts_onnx_model *b = build(&(bn_case){.bias = true, .group = 1, .scale_is_input = true});
    onnx_model *m = compare(b, true);
    assert_int_equal(ts_opt_count(m, "BatchNormalization"), 1);
    assert_int_equal(m->optimized.batch_norms, 0);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folds_with_bias),
        cmocka_unit_test(test_folds_without_bias),
        cmocka_unit_test(test_folds_grouped),
        cmocka_unit_test(test_conv_output_with_two_readers),
        cmocka_unit_test(test_conv_output_is_graph_output),
        cmocka_unit_test(test_parameter_not_constant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
