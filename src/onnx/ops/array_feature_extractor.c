/* ArrayFeatureExtractor (ai.onnx.ml, since 1): Z[..., j] = X[..., Y[j]], picking columns of X's
 * last axis by the int64 indices Y (any shape, flattened). Z has X's shape with the last dimension
 * replaced by Y's element count; a 1-D X gives [1, count], as in ONNX Runtime. Float, double,
 * int64, int32 and strings. An index out of range (or negative) fails the request naming the
 * node. */
#include <string.h>

#include "onnx/ml_common.h"

static ferry_status afe_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0], *y = ctx->inputs[1];
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_ML_MASK_FEATURES | ONNX_MASK_STRING, err);
    if (st == FERRY_OK)
        st = onnx_check_dtype(ctx, 1, ONNX_MASK(INT64), err);
    if (st != FERRY_OK)
        return st;
    if (x->ndim < 1)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "X must have a dimension");
    int64_t shape[FERRY_MAX_DIMS];
    int rank = x->ndim == 1 ? 2 : x->ndim;
    if (x->ndim == 1)
        shape[0] = 1;
    else
        memcpy(shape, x->shape, sizeof shape);
    shape[rank - 1] = onnx_numel(y);
    onnx_set_output(ctx, 0, x->dtype, rank, shape);
    return FERRY_OK;
}

static ferry_status afe_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0], *y = ctx->inputs[1];
    const int64_t *idx = y->data;
    int64_t stride = x->shape[x->ndim - 1], n_idx = onnx_numel(y);
    int64_t rows = stride > 0 ? onnx_numel(x) / stride : 0;
    for (int64_t j = 0; j < n_idx; j++)
        if (idx[j] < 0 || idx[j] >= stride)
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "index Y[%lld] = %lld is out of range for %lld columns",
                                   (long long)j, (long long)idx[j], (long long)stride);
    size_t size = onnx_elem_size(x->dtype);
    const char *src = x->data;
    char *dst = ctx->outputs[0]->data;
    int64_t lo, hi;
    onnx_slice(rows, ith, nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++)
        for (int64_t j = 0; j < n_idx; j++)
            memcpy(dst + (size_t)(r * n_idx + j) * size, src + (size_t)(r * stride + idx[j]) * size,
                   size);
    return FERRY_OK;
}

const onnx_op onnx_op_array_feature_extractor_1 = {
    .domain = ONNX_ML_DOMAIN,
    .op_type = "ArrayFeatureExtractor",
    .since_version = 1,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_STRINGS,
    .infer = afe_infer,
    .run = afe_run,
};
