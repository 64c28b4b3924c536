/* Shared helpers for op files: output shapes, dtype checks, axes; see op.h. */
#include "onnx/op.h"

#include <string.h>

void onnx_set_output(const onnx_op_ctx *ctx, size_t i, ferry_dtype dtype, int ndim,
                     const int64_t *shape)
{
    ferry_tensor *t = onnx_out(ctx, i);
    if (t == NULL)
        return;
    t->dtype = dtype;
    t->ndim = ndim;
    if (ndim > 0)
        memmove(t->shape, shape, (size_t)ndim * sizeof *shape);
}

ferry_status onnx_check_dtype(const onnx_op_ctx *ctx, size_t i, uint32_t mask, ferry_error *err)
{
    const ferry_tensor *t = onnx_in(ctx, i);
    if (t == NULL || (mask & (1u << t->dtype)) != 0)
        return FERRY_OK;
    return onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                           "input %zu ('%s') has datatype %s, which this op does not support", i,
                           ctx->node->inputs[i] >= 0 && t->name ? t->name : "",
                           ferry_dtype_name(t->dtype));
}

ferry_status onnx_check_same_dtype(const onnx_op_ctx *ctx, size_t a, size_t b, ferry_error *err)
{
    const ferry_tensor *ta = onnx_in(ctx, a), *tb = onnx_in(ctx, b);
    if (ta == NULL || tb == NULL || ta->dtype == tb->dtype)
        return FERRY_OK;
    return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                           "inputs %zu and %zu have datatypes %s and %s; they must match", a, b,
                           ferry_dtype_name(ta->dtype), ferry_dtype_name(tb->dtype));
}

ferry_status onnx_check_strings(const onnx_op_ctx *ctx, ferry_error *err)
{
    const onnx_op *op = ctx->node->op;
    if (op->flags & (ONNX_OP_STRINGS | ONNX_OP_VIEW | ONNX_OP_SHAPE_ONLY))
        return FERRY_OK;
    for (size_t i = 0; i < ctx->n_inputs; i++)
        if (ctx->inputs[i] != NULL && ctx->inputs[i]->dtype == FERRY_DTYPE_BYTES)
            return onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                                   "input %zu ('%s') is a string tensor, which %s does not "
                                   "support yet",
                                   i, ctx->inputs[i]->name ? ctx->inputs[i]->name : "",
                                   op->op_type);
    for (size_t i = 0; i < ctx->n_outputs; i++)
        if (ctx->outputs[i] != NULL && ctx->outputs[i]->dtype == FERRY_DTYPE_BYTES)
            return onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                                   "output %zu is a string tensor, which %s does not produce yet",
                                   i, op->op_type);
    return FERRY_OK;
}

ferry_status onnx_axis(const onnx_op_ctx *ctx, int64_t axis, int rank, int *out, ferry_error *err)
{
    int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= (rank > 0 ? rank : 1))
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "axis %lld is out of range for rank %d", (long long)axis, rank);
    *out = (int)a;
    return FERRY_OK;
}

int64_t onnx_int_at(const ferry_tensor *t, int64_t i)
{
    if (t->dtype == FERRY_DTYPE_INT32)
        return ((const int32_t *)t->data)[i];
    return ((const int64_t *)t->data)[i];
}
