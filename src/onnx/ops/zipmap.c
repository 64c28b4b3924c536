/* ZipMap (ai.onnx.ml, since 1): in ONNX, turns an [N, C] float tensor of class scores into a
 * sequence of N maps from class label (classlabels_strings or classlabels_int64s) to score. A
 * sequence of maps cannot travel over OIP v2, so ferry serves the score tensor it is fed: the
 * output is the input, unchanged (a view), and its labels are those of the classifier before it
 * (docs/onnx.md). The labels' count must match C. */
#include "onnx/ml_common.h"

typedef struct zipmap_params {
    onnx_ml_labels labels;
} zipmap_params;

static ferry_status zipmap_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    zipmap_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    return onnx_ml_read_labels(g, n, "classlabels_int64s", "classlabels_strings", &p->labels, err);
}

static ferry_status zipmap_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const zipmap_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK(FP32), err);
    if (st != FERRY_OK)
        return st;
    if (x->ndim != 1 && x->ndim != 2)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "X must be [N, C] or [C]; it has rank %d", x->ndim);
    if (x->shape[x->ndim - 1] != (int64_t)p->labels.n)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "X has %lld columns for %zu class labels",
                               (long long)x->shape[x->ndim - 1], p->labels.n);
    onnx_set_output(ctx, 0, FERRY_DTYPE_FP32, x->ndim, x->shape);
    return FERRY_OK;
}

const onnx_op onnx_op_zipmap_1 = {
    .domain = ONNX_ML_DOMAIN,
    .op_type = "ZipMap",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_VIEW,
    .prepare = zipmap_prepare,
    .infer = zipmap_infer,
};
