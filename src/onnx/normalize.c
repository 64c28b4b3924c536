/* Attributes, checks and slices shared by the per-channel normalizations; see normalize.h. */
#include "onnx/normalize.h"

ferry_status onnx_norm_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    onnx_norm_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    return onnx_attr_float(n, "epsilon", 1e-5f, &p->epsilon, err);
}

ferry_status onnx_norm_infer(const onnx_op_ctx *ctx, int min_rank, size_t n_inputs,
                             ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK_FLOATS, err);
    for (size_t i = 1; st == FERRY_OK && i < n_inputs; i++)
        st = onnx_check_same_dtype(ctx, 0, i, err);
    if (st != FERRY_OK)
        return st;
    if (x->ndim < min_rank)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "input rank %d; expected at least %d", x->ndim, min_rank);
    for (size_t i = 1; i < n_inputs; i++)
        if (ctx->inputs[i]->ndim != 1 || ctx->inputs[i]->shape[0] != x->shape[1])
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "input %zu ('%s') must be [%lld], one value per channel", i,
                                   ctx->inputs[i]->name, (long long)x->shape[1]);
    onnx_set_output(ctx, 0, x->dtype, x->ndim, x->shape);
    return FERRY_OK;
}

ferry_status onnx_norm_run(const onnx_op_ctx *ctx, int ith, int nth, onnx_norm_kernel f32,
                           onnx_norm_kernel f64)
{
    const ferry_tensor *x = ctx->inputs[0];
    const onnx_norm_params *p = ctx->node->params;
    onnx_norm_planes s = {.channels = x->shape[1]};
    int64_t planes = x->shape[0] * x->shape[1];
    s.vol = planes > 0 ? onnx_numel(x) / planes : 0;
    onnx_slice(planes, ith, nth, &s.lo, &s.hi);
    (x->dtype == FERRY_DTYPE_FP32 ? f32 : f64)(ctx, p->epsilon, &s);
    return FERRY_OK;
}
