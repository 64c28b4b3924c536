/* Gemm (ai.onnx, since 7): Y = alpha * A' * B' + beta * C, with A' and B' optionally transposed
 * and C (optional from opset 11; accepted from 7) broadcast to [M, N]. float32 through
 * dnnl_sgemm; each thread computes a slice of Y's rows, then applies the activation the
 * optimizer fused into the node (activation.h) to it. Opsets 1-6 (the broadcast attribute) are
 * not registered. */
#include "onnx/blas.h"
#include "onnx/op.h"

typedef struct gemm_params {
    float alpha, beta;
    bool trans_a, trans_b;
} gemm_params;

static ferry_status gemm_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    gemm_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    int64_t ta, tb;
    ferry_status st = onnx_attr_float(n, "alpha", 1.0f, &p->alpha, err);
    if (st == FERRY_OK)
        st = onnx_attr_float(n, "beta", 1.0f, &p->beta, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "transA", 0, &ta, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "transB", 0, &tb, err);
    p->trans_a = ta != 0;
    p->trans_b = tb != 0;
    n->params = p;
    return st;
}

static ferry_status gemm_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const gemm_params *p = ctx->node->params;
    const ferry_tensor *a = ctx->inputs[0], *b = ctx->inputs[1], *c = onnx_in(ctx, 2);
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK(FP32), err);
    for (size_t i = 1; st == FERRY_OK && i < 3; i++)
        st = onnx_check_same_dtype(ctx, 0, i, err);
    if (st != FERRY_OK)
        return st;
    if (a->ndim != 2 || b->ndim != 2)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "A and B must be matrices (ranks %d and %d)", a->ndim, b->ndim);
    int64_t m = a->shape[p->trans_a], k = a->shape[!p->trans_a];
    int64_t kb = b->shape[p->trans_b], n = b->shape[!p->trans_b];
    if (k != kb)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "A is %lldx%lld and B %lldx%lld after transposition: inner "
                               "dimensions differ",
                               (long long)m, (long long)k, (long long)kb, (long long)n);
    bool c_ok = c == NULL || c->ndim <= 2;
    if (c != NULL && c->ndim == 2)
        c_ok = (c->shape[0] == 1 || c->shape[0] == m) && (c->shape[1] == 1 || c->shape[1] == n);
    else if (c != NULL && c->ndim == 1)
        c_ok = c->shape[0] == 1 || c->shape[0] == n;
    if (!c_ok)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "C ('%s') cannot be broadcast to [%lld, %lld]", c->name,
                               (long long)m, (long long)n);
    int64_t shape[2] = {m, n};
    onnx_set_output(ctx, 0, FERRY_DTYPE_FP32, 2, shape);
    return FERRY_OK;
}

/* Y[lo..hi) = beta * C broadcast over rows lo..hi. */
static void fill_bias(const ferry_tensor *c, float beta, float *y, int64_t lo, int64_t hi,
                      int64_t n)
{
    const float *cv = c->data;
    int64_t rows = c->ndim == 2 ? c->shape[0] : 1;
    int64_t cols = c->ndim >= 1 ? c->shape[c->ndim - 1] : 1;
    for (int64_t i = lo; i < hi; i++) {
        const float *crow = cv + (rows == 1 ? 0 : i) * cols;
        float *yrow = y + i * n;
        if (cols == 1)
            for (int64_t j = 0; j < n; j++)
                yrow[j] = beta * crow[0];
        else
            for (int64_t j = 0; j < n; j++)
                yrow[j] = beta * crow[j];
    }
}

static ferry_status gemm_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const gemm_params *p = ctx->node->params;
    const ferry_tensor *a = ctx->inputs[0], *b = ctx->inputs[1], *c = onnx_in(ctx, 2);
    ferry_tensor *y = ctx->outputs[0];
    int64_t m = y->shape[0], n = y->shape[1], k = a->shape[!p->trans_a];
    int64_t lo, hi;
    onnx_slice(m, ith, nth, &lo, &hi);
    if (lo >= hi)
        return FERRY_OK;
    /* A bias row ([N] or [1, N], a Linear layer's) is added after the product, in the pass that
     * applies the fused activation; any other C is laid down first and accumulated into. */
    bool bias = c != NULL && p->beta != 0.0f && onnx_numel(c) > 0;
    bool row = bias && n > 1 && c->ndim >= 1 && c->shape[c->ndim - 1] == n && onnx_numel(c) == n;
    float beta = 0.0f;
    if (bias && !row) {
        fill_bias(c, p->beta, y->data, lo, hi, n);
        beta = 1.0f;
    }
    const float *av = (const float *)a->data + (p->trans_a ? lo : lo * k);
    float *yv = (float *)y->data + lo * n;
    ferry_status st = onnx_sgemm(p->trans_a, p->trans_b, hi - lo, n, k, p->alpha, av,
                                 p->trans_a ? m : k, b->data, p->trans_b ? k : n, beta, yv, n);
    if (st != FERRY_OK)
        return onnx_node_error(err, st, ctx->node, "dnnl_sgemm failed");
    if (row)
        onnx_activation_add_row(&ctx->node->fused, yv, hi - lo, n, c->data, p->beta);
    else
        onnx_activation_apply(&ctx->node->fused, yv, (hi - lo) * n);
    return FERRY_OK;
}

const onnx_op onnx_op_gemm_7 = {
    .domain = "",
    .op_type = "Gemm",
    .since_version = 7,
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = gemm_prepare,
    .infer = gemm_infer,
    .run = gemm_run,
};
