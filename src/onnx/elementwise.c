/* Shared infer and run bodies of element-wise ops; see elementwise.h. */
#include "onnx/elementwise.h"

ferry_status onnx_binary_infer(const onnx_op_ctx *ctx, uint32_t mask, ferry_dtype out,
                               ferry_error *err)
{
    ferry_status st = onnx_check_dtype(ctx, 0, mask, err);
    if (st == FERRY_OK)
        st = onnx_check_same_dtype(ctx, 0, 1, err);
    if (st != FERRY_OK)
        return st;
    int ndim, bad_a, bad_b;
    int64_t shape[FERRY_MAX_DIMS];
    if (!onnx_broadcast_shape(ctx->inputs, 2, &ndim, shape, &bad_a, &bad_b))
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "inputs '%s' and '%s' cannot be broadcast together",
                               ctx->inputs[bad_a]->name, ctx->inputs[bad_b]->name);
    onnx_set_output(ctx, 0, out == FERRY_DTYPE_INVALID ? ctx->inputs[0]->dtype : out, ndim, shape);
    return FERRY_OK;
}

ferry_status onnx_binary_run(const onnx_op_ctx *ctx, int ith, int nth,
                             const onnx_binary_kernel *kernels, ferry_error *err)
{
    onnx_binary_kernel k = kernels[ctx->inputs[0]->dtype];
    if (k == NULL)
        return onnx_node_error(err, FERRY_INTERNAL, ctx->node, "no kernel for %s",
                               ferry_dtype_name(ctx->inputs[0]->dtype));
    onnx_broadcast bc;
    onnx_broadcast_init(&bc, ctx->inputs, 2, ctx->outputs[0]);
    if (onnx_numel(ctx->outputs[0]) == 0)
        return FERRY_OK;
    int64_t lo, hi;
    onnx_slice(bc.rows, ith, nth, &lo, &hi);
    k(&bc, ctx->inputs[0]->data, ctx->inputs[1]->data, ctx->outputs[0]->data, lo, hi);
    return FERRY_OK;
}

ferry_status onnx_unary_infer(const onnx_op_ctx *ctx, uint32_t mask, ferry_error *err)
{
    ferry_status st = onnx_check_dtype(ctx, 0, mask, err);
    if (st != FERRY_OK)
        return st;
    const ferry_tensor *x = ctx->inputs[0];
    onnx_set_output(ctx, 0, x->dtype, x->ndim, x->shape);
    return FERRY_OK;
}

ferry_status onnx_unary_run(const onnx_op_ctx *ctx, int ith, int nth,
                            const onnx_unary_kernel *kernels, ferry_error *err)
{
    onnx_unary_kernel k = kernels[ctx->inputs[0]->dtype];
    if (k == NULL)
        return onnx_node_error(err, FERRY_INTERNAL, ctx->node, "no kernel for %s",
                               ferry_dtype_name(ctx->inputs[0]->dtype));
    int64_t lo, hi;
    onnx_slice(onnx_numel(ctx->inputs[0]), ith, nth, &lo, &hi);
    k(ctx->inputs[0]->data, ctx->outputs[0]->data, lo, hi, ctx->node->params);
    return FERRY_OK;
}
