/* Unsqueeze (ai.onnx): inserts dimensions of size 1 at `axes` (of the output; negative from opset
 * 11), as a view of the input's memory. Since 1 the axes are an attribute; since 13 an int64
 * input, read while planning (a constant, computed from shapes, or a graph input). */
#include <string.h>

#include "onnx/op.h"

/* The output shape for axes[0..n); fails on out-of-range or repeated axes. */
static ferry_status unsqueeze_shape(const onnx_op_ctx *ctx, const int64_t *axes, int64_t n,
                                    ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    int64_t rank = x->ndim + n;
    if (rank > FERRY_MAX_DIMS)
        return onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node, "output rank %lld is too high",
                               (long long)rank);
    bool one[FERRY_MAX_DIMS] = {false};
    for (int64_t i = 0; i < n; i++) {
        int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
        if (a < 0 || a >= rank || one[a])
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "axis %lld is out of range or repeated", (long long)axes[i]);
        one[a] = true;
    }
    int64_t shape[FERRY_MAX_DIMS];
    for (int64_t d = 0, k = 0; d < rank; d++)
        shape[d] = one[d] ? 1 : x->shape[k++];
    onnx_set_output(ctx, 0, x->dtype, (int)rank, shape);
    return FERRY_OK;
}

static ferry_status unsqueeze_1_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const int64_t *axes;
    size_t n;
    ferry_status st = onnx_attr_ints(ctx->node, "axes", &axes, &n, err);
    if (st == FERRY_OK && axes == NULL)
        st = onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "the axes attribute is required");
    if (st != FERRY_OK)
        return st;
    return unsqueeze_shape(ctx, axes, (int64_t)n, err);
}

static ferry_status unsqueeze_13_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *a = ctx->inputs[1];
    ferry_status st = onnx_check_dtype(ctx, 1, ONNX_MASK(INT64), err);
    if (st == FERRY_OK && (a->data == NULL || a->ndim > 1 || onnx_numel(a) > FERRY_MAX_DIMS))
        st = onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                             "axes must be a short 1-D tensor known while planning");
    if (st != FERRY_OK)
        return st;
    return unsqueeze_shape(ctx, a->data, onnx_numel(a), err);
}

const onnx_op onnx_op_unsqueeze_1 = {
    .domain = "",
    .op_type = "Unsqueeze",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_VIEW,
    .infer = unsqueeze_1_infer,
};

const onnx_op onnx_op_unsqueeze_13 = {
    .domain = "",
    .op_type = "Unsqueeze",
    .since_version = 13,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_VIEW,
    .value_inputs = 1u << 1,
    .infer = unsqueeze_13_infer,
};
