/* Unit tests for the optimizer's driver (src/onnx/optimize/optimize.c) and how loading runs it:
 * the passes one after another on one graph (Identity between Conv and BatchNormalization, then
 * Relu), turning it off by option and by FERRY_ONNX_OPTIMIZE=0, and what fires on the shared
 * digits models, whose outputs must not change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "onnx_optimize.h"
#include "test_support.h"

/* x [-1, 2, 4, 4] -> Conv -> Identity -> BatchNormalization -> Relu -> Flatten -> MatMul -> Add
 * -> Sigmoid -> y [-1, 3]: every pass has something to do. */
static ts_onnx_model *build_chain(void)
{
    float w[3 * 2 * 9], p[4][3], mw[48 * 3], mb[3];
    uint32_t seed = 51;
    ts_opt_random(w, sizeof w / sizeof w[0], &seed);
    for (int i = 0; i < 4; i++)
        ts_opt_random(p[i], 3, &seed);
    for (int c = 0; c < 3; c++)
        p[3][c] = p[3][c] * p[3][c] + 0.5f;
    ts_opt_random(mw, sizeof mw / sizeof mw[0], &seed);
    ts_opt_random(mb, 3, &seed);
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 4, (int64_t[]){-1, 2, 4, 4});
    ts_onnx_initializer(b, "w", FERRY_DTYPE_FP32, 4, (int64_t[]){3, 2, 3, 3}, w);
    const char *names[4] = {"scale", "shift", "mean", "var"};
    for (int i = 0; i < 4; i++)
        ts_onnx_initializer(b, names[i], FERRY_DTYPE_FP32, 1, (int64_t[]){3}, p[i]);
    ts_onnx_initializer(b, "mw", FERRY_DTYPE_FP32, 2, (int64_t[]){48, 3}, mw);
    ts_onnx_initializer(b, "mb", FERRY_DTYPE_FP32, 1, (int64_t[]){3}, mb);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, (int64_t[]){-1, 3});
    int conv = ts_onnx_node(b, "Conv", "x,w", "c");
    ts_onnx_attr_ints(b, conv, "pads", 4, (int64_t[]){1, 1, 1, 1});
    ts_onnx_node(b, "Identity", "c", "i");
    ts_onnx_node(b, "BatchNormalization", "i,scale,shift,mean,var", "n");
    ts_onnx_node(b, "Relu", "n", "r");
    ts_onnx_node(b, "Flatten", "r", "f");
    ts_onnx_node(b, "MatMul", "f,mw", "p");
    ts_onnx_node(b, "Add", "p,mb", "a");
    ts_onnx_node(b, "Sigmoid", "a", "y");
    return b;
}

static void test_passes_in_order(void **state)
{
    (void)state;
    ts_onnx_model *b = build_chain();
    float x[5 * 32];
    uint32_t seed = 53;
    ts_opt_random(x, sizeof x / sizeof x[0], &seed);
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 4, (int64_t[]){5, 2, 4, 4}, x);
    onnx_model *m = ts_opt_compare(b, &in, 1);
    /* Conv(+BN, Relu), Flatten, Gemm(+Sigmoid) */
    assert_int_equal(m->graph->n_nodes, 3);
    assert_int_equal(m->optimized.removed, 1);
    assert_int_equal(m->optimized.batch_norms, 1);
    assert_int_equal(m->optimized.gemms, 1);
    assert_int_equal(m->optimized.activations, 2);
    assert_int_equal(ts_opt_find(m, "Conv")->fused.kind, ONNX_ACTIVATION_RELU);
    assert_int_equal(ts_opt_find(m, "Gemm")->fused.kind, ONNX_ACTIVATION_SIGMOID);
    for (size_t i = 0; i < m->graph->n_nodes; i++)
        assert_int_equal(m->graph->nodes[i].index, (int)i);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_turned_off(void **state)
{
    (void)state;
    ts_onnx_model *b = build_chain();
    onnx_model *m = ts_onnx_load_ok_with(b, &(onnx_model_options){.no_optimize = true});
    assert_int_equal(m->graph->n_nodes, 8);
    assert_int_equal(m->optimized.activations + m->optimized.gemms, 0);
    onnx_model_destroy(m);

    assert_int_equal(setenv("FERRY_ONNX_OPTIMIZE", "0", 1), 0);
    m = ts_onnx_load_ok(b);
    assert_int_equal(m->graph->n_nodes, 8);
    onnx_model_destroy(m);
    /* explicit options win over the environment */
    m = ts_onnx_load_ok_with(b, &(onnx_model_options){0});
    assert_int_equal(m->graph->n_nodes, 3);
    onnx_model_destroy(m);
    assert_int_equal(unsetenv("FERRY_ONNX_OPTIMIZE"), 0);
    m = ts_onnx_load_ok(b);
    assert_int_equal(m->graph->n_nodes, 3);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

/* Loads a shared model both ways, compares them on 7 random rows, returns the optimized one. */
static onnx_model *load_shared(const char *name, onnx_model **plain)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", ts_shared(name));
    onnx_model *m = NULL;
    ferry_error err;
    if (onnx_model_load_file_with(path, &(onnx_model_options){0}, &m, &err) != FERRY_OK ||
        onnx_model_load_file_with(path, &(onnx_model_options){.no_optimize = true}, plain, &err) !=
            FERRY_OK)
        fail_msg("%s", err.message);
    const ferry_tensor_info *info = &m->inputs[0];
    int64_t shape[FERRY_MAX_DIMS], count = 1;
    for (int d = 0; d < info->ndim; d++) {
        shape[d] = info->shape[d] < 0 ? 7 : info->shape[d];
        count *= shape[d];
    }
    float *x = malloc((size_t)count * sizeof *x);
    assert_non_null(x);
    uint32_t seed = 61;
    ts_opt_random(x, (size_t)count, &seed);
    for (int64_t i = 0; i < count; i++)
        x[i] = (x[i] + 1.0f) * 8.0f; /* pixels in [0, 16) as the digits data set */
    ferry_tensor in = ts_onnx_tensor(info->name, info->dtype, info->ndim, shape, x), got, want;
    arena a;
    arena_init(&a, (size_t)1 << 30);
    ts_onnx_run_ok(m, &in, 1, &got, &a);
    ts_onnx_run_ok(*plain, &in, 1, &want, &a);
    assert_int_equal(got.nbytes, want.nbytes);
    for (size_t i = 0; i < got.nbytes / sizeof(float); i++)
        assert_true(ts_close(((float *)got.data)[i], ((float *)want.data)[i]));
    arena_free(&a);
    free(x);
    return m;
}

static void print_stats(const char *name, const onnx_model *m, const onnx_model *plain)
{
    const onnx_optimize_stats *s = &m->optimized;
    printf("%s: %zu nodes -> %zu: %d Identity/Dropout removed, %d BatchNormalization folded, %d "
           "Gemm from MatMul+Add, %d activations fused\n",
           name, plain->graph->n_nodes, m->graph->n_nodes, s->removed, s->batch_norms, s->gemms,
           s->activations);
}

static void test_digits_mlp(void **state)
{
    (void)state;
    onnx_model *plain = NULL, *m = load_shared("models/digits_mlp/model.onnx", &plain);
    print_stats("digits_mlp", m, plain);
    /* Gemm, Relu, Gemm, Relu, Gemm, Softmax: the exporter wrote Gemm already */
    assert_int_equal(plain->graph->n_nodes, 6);
    assert_int_equal(m->optimized.gemms, 0);
    assert_int_equal(m->optimized.activations, 2);
    assert_int_equal(ts_opt_count(m, "Relu"), 0);
    assert_int_equal(ts_opt_count(m, "Gemm"), 3);
    onnx_model_destroy(m);
    onnx_model_destroy(plain);
}

static void test_digits_cnn(void **state)
{
    (void)state;
    onnx_model *plain = NULL, *m = load_shared("models/digits_cnn/model.onnx", &plain);
    print_stats("digits_cnn", m, plain);
    assert_int_equal(plain->graph->n_nodes, 9);
    assert_int_equal(m->optimized.batch_norms, 1);
    assert_int_equal(m->optimized.activations, 2);
    assert_int_equal(m->graph->n_nodes, 6);
    assert_int_equal(ts_opt_count(m, "BatchNormalization") + ts_opt_count(m, "Relu"), 0);
    onnx_model_destroy(m);
    onnx_model_destroy(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passes_in_order),
        cmocka_unit_test(test_turned_off),
        cmocka_unit_test(test_digits_mlp),
        cmocka_unit_test(test_digits_cnn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
