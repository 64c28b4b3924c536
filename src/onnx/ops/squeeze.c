/* Squeeze (ai.onnx): removes dimensions of size 1 (those at `axes`, or all of them), as a view of
 * the input's memory. Since 1 the axes are an attribute; since 13 an optional int64 input, read
 * while planning. */
#include "onnx/op.h"

/* The output shape without the dimensions at axes[0..n) (all size-1 ones when axes is NULL). */
static ferry_status squeeze_shape(const onnx_op_ctx *ctx, const int64_t *axes, int64_t n,
                                  ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    bool drop[FERRY_MAX_DIMS] = {false};
    for (int64_t i = 0; axes != NULL && i < n; i++) {
        int64_t a = axes[i] < 0 ? axes[i] + x->ndim : axes[i];
        if (a < 0 || a >= x->ndim || x->shape[a] != 1)
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "axis %lld is out of range or not of size 1",
                                   (long long)axes[i]);
        drop[a] = true;
    }
    int64_t shape[FERRY_MAX_DIMS];
    int rank = 0;
    for (int d = 0; d < x->ndim; d++)
        if (!(axes != NULL ? drop[d] : x->shape[d] == 1))
            shape[rank++] = x->shape[d];
    onnx_set_output(ctx, 0, x->dtype, rank, shape);
    return FERRY_OK;
}

static ferry_status squeeze_1_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const int64_t *axes;
    size_t n;
    ferry_status st = onnx_attr_ints(ctx->node, "axes", &axes, &n, err);
    return st == FERRY_OK ? squeeze_shape(ctx, axes, (int64_t)n, err) : st;
}

static ferry_status squeeze_13_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *a = onnx_in(ctx, 1);
    if (a == NULL)
        return squeeze_shape(ctx, NULL, 0, err);
    ferry_status st = onnx_check_dtype(ctx, 1, ONNX_MASK(INT64), err);
    if (st == FERRY_OK && (a->data == NULL || a->ndim > 1 || onnx_numel(a) > FERRY_MAX_DIMS))
        st = onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                             "axes must be a short 1-D tensor known while planning");
    return st == FERRY_OK ? squeeze_shape(ctx, a->data, onnx_numel(a), err) : st;
}

const onnx_op onnx_op_squeeze_1 = {
    .domain = "",
    .op_type = "Squeeze",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_VIEW,
    .infer = squeeze_1_infer,
};

const onnx_op onnx_op_squeeze_13 = {
    .domain = "",
    .op_type = "Squeeze",
    .since_version = 13,
    .min_inputs = 1,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_VIEW,
    .value_inputs = 1u << 1,
    .infer = squeeze_13_infer,
};
