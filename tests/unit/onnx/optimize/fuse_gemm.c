/* Unit tests for the MatMul + Add -> Gemm pass (src/onnx/optimize/fuse_gemm.c): a graph input of
 * rank 2 and a value whose rank 2 is inferred, each bias shape Gemm takes as a row, the bias as
 * either operand of Add, compared with the graph as written; and the cases where it must not
 * fire (A of rank 3, B or C not constant, C with rows, the product read twice). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_optimize.h"

#define K 6
#define N 4

typedef struct gemm_case {
    int a_rank;         /* 2, or 3 for [2, -1, K] */
    int c_ndim;         /* 0, 1 or 2 */
    int64_t c_shape[2]; /* C's shape */
    bool c_first;       /* Add(C, product) */
    bool relu_first;    /* A = Relu(x): its rank is inferred */
    bool b_is_input;    /* B fed by the caller */
    bool c_is_input;    /* C fed by the caller */
    int64_t rows;       /* A's declared rows when rank 2; 0: a dynamic dimension */
} gemm_case;

static ts_onnx_model *build(const gemm_case *t)
{
    float w[K * N], c[3 * N];
    uint32_t seed = 41;
    ts_opt_random(w, K * N, &seed);
    ts_opt_random(c, 3 * N, &seed);
    ts_onnx_model *b = ts_onnx_create(13);
    int64_t rows = t->rows > 0 ? t->rows : -1;
    if (t->a_rank == 2)
        ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, (int64_t[]){rows, K});
    else
        ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 3, (int64_t[]){2, -1, K});
    if (t->b_is_input)
        ts_onnx_input(b, "w", FERRY_DTYPE_FP32, 2, (int64_t[]){K, N});
    else
        ts_onnx_initializer(b, "w", FERRY_DTYPE_FP32, 2, (int64_t[]){K, N}, w);
    if (t->c_is_input)
        ts_onnx_input(b, "c", FERRY_DTYPE_FP32, t->c_ndim, t->c_shape);
    else
        ts_onnx_initializer(b, "c", FERRY_DTYPE_FP32, t->c_ndim, t->c_shape, c);
    if (t->a_rank == 2)
        ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, (int64_t[]){rows, N});
    else
        ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 3, (int64_t[]){2, -1, N});
    ts_onnx_node(b, "Relu", "x", "r");
    ts_onnx_node(b, "MatMul", t->relu_first ? "r,w" : "x,w", "p");
    ts_onnx_node(b, "Add", t->c_first ? "c,p" : "p,c", "y");
    return b;
}

/* Runs b with 3 rows of A (and B and C from the caller when they are inputs) both ways. */
static onnx_model *compare(const gemm_case *t, const ts_onnx_model *b)
{
    float x[2 * 3 * K], w[K * N], c[3 * N];
    uint32_t seed = 43;
    ts_opt_random(x, sizeof x / sizeof x[0], &seed);
    ts_opt_random(w, K * N, &seed);
    ts_opt_random(c, 3 * N, &seed);
    ferry_tensor in[3];
    size_t n = 0;
    if (t->a_rank == 2)
        in[n++] = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 2, (int64_t[]){3, K}, x);
    else
        in[n++] = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 3, (int64_t[]){2, 3, K}, x);
    if (t->b_is_input)
        in[n++] = ts_onnx_tensor("w", FERRY_DTYPE_FP32, 2, (int64_t[]){K, N}, w);
    if (t->c_is_input)
        in[n++] = ts_onnx_tensor("c", FERRY_DTYPE_FP32, t->c_ndim, t->c_shape, c);
    return ts_opt_compare(b, in, n);
}

static void check(const gemm_case *t, bool fires)
{
    ts_onnx_model *b = build(t);
    onnx_model *m = compare(t, b);
    assert_int_equal(ts_opt_count(m, "MatMul"), fires ? 0 : 1);
    assert_int_equal(ts_opt_count(m, "Add"), fires ? 0 : 1);
    assert_int_equal(ts_opt_count(m, "Gemm"), fires ? 1 : 0);
    assert_int_equal(m->optimized.gemms, fires ? 1 : 0);
    if (fires) {
        const onnx_node *gemm = ts_opt_find(m, "Gemm");
        assert_int_equal(gemm->n_inputs, 3);
        assert_string_equal(m->graph->values[gemm->inputs[2]].name, "c");
        assert_string_equal(m->graph->values[gemm->outputs[0]].name, "y");
    }
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_fires_on_rank_2_input(void **state)
{
    (void)state;
    check(&(gemm_case){.a_rank = 2, .c_ndim = 1, .c_shape = {N}}, true);
    check(&(gemm_case){.a_rank = 2, .c_ndim = 2, .c_shape = {1, N}, .c_first = true}, true);
    check(&(gemm_case){.a_rank = 2, .c_ndim = 1, .c_shape = {1}}, true);
    check(&(gemm_case){.a_rank = 2, .c_ndim = 0}, true);
    check(&(gemm_case){.a_rank = 2, .c_ndim = 2, .c_shape = {1, 1}}, true);
}

static void test_fires_on_inferred_rank(void **state)
{
    (void)state;
    check(&(gemm_case){.a_rank = 2, .c_ndim = 1, .c_shape = {N}, .relu_first = true}, true);
}

static void test_rank_3_input_stays(void **state)
{
    (void)state;
    check(&(gemm_case){.a_rank = 3, .c_ndim = 1, .c_shape = {N}}, false);
    check(&(gemm_case){.a_rank = 3, .c_ndim = 1, .c_shape = {N}, .relu_first = true}, false);
}

static void test_operands_not_constant_stay(void **state)
{
    (void)state;
    check(&(gemm_case){.a_rank = 2, .c_ndim = 1, .c_shape = {N}, .b_is_input = true}, false);
    check(&(gemm_case){.a_rank = 2, .c_ndim = 1, .c_shape = {N}, .c_is_input = true}, false);
}

static void test_bias_with_rows_stays(void **state)
{
    (void)state;
    /* [3, N] fits A's declared 3 rows, but the pass takes only rows it need not check */
    check(&(gemm_case){.a_rank = 2, .c_ndim = 2, .c_shape = {3, N}, .rows = 3}, false);
}

static void test_product_read_twice_stays(void **state)
{
    (void)state;
    gemm_case t = {.a_rank = 2, .c_ndim = 1, .c_shape = {N}};
    ts_onnx_model *b = build(&t);
    ts_onnx_node(b, "Neg", "p", "z");
    ts_onnx_output(b, "z", FERRY_DTYPE_FP32, 2, (int64_t[]){-1, N});
    onnx_model *m = compare(&t, b);
    assert_int_equal(ts_opt_count(m, "MatMul"), 1);
    assert_int_equal(ts_opt_count(m, "Gemm"), 0);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fires_on_rank_2_input),
        cmocka_unit_test(test_fires_on_inferred_rank),
        cmocka_unit_test(test_rank_3_input_stays),
        cmocka_unit_test(test_operands_not_constant_stay),
        cmocka_unit_test(test_bias_with_rows_stays),
        cmocka_unit_test(test_product_read_twice_stays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
