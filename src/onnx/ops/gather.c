/* Gather (ai.onnx, since 1): picks slices of `data` along `axis` by int32 or int64 `indices`
 * (negative indices count from the end, opset 11, accepted from 1): the output is data.shape[:axis]
 * + indices.shape + data.shape[axis+1:]. Any dtype, strings too; an index out of range fails the
 * request naming the node. */
#include <string.h>

#include "onnx/op.h"

typedef struct gather_params {
    int64_t axis;
} gather_params;

static ferry_status gather_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    gather_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    return onnx_attr_int(n, "axis", 0, &p->axis, err);
}

static ferry_status gather_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const gather_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
    int axis;
    ferry_status st = onnx_check_dtype(ctx, 1, ONNX_MASK_INDEX, err);
    if (st == FERRY_OK)
        st = onnx_axis(ctx, p->axis, x->ndim, &axis, err);
    if (st != FERRY_OK)
        return st;
    if (x->ndim < 1 || x->ndim - 1 + idx->ndim > FERRY_MAX_DIMS)
        return onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node, "output rank is too high");
    int64_t shape[FERRY_MAX_DIMS];
    int rank = 0;
    for (int d = 0; d < axis; d++)
        shape[rank++] = x->shape[d];
    for (int d = 0; d < idx->ndim; d++)
        shape[rank++] = idx->shape[d];
    for (int d = axis + 1; d < x->ndim; d++)
        shape[rank++] = x->shape[d];
    onnx_set_output(ctx, 0, x->dtype, rank, shape);
    return FERRY_OK;
}

static ferry_status gather_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const gather_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
    int axis = (int)(p->axis < 0 ? p->axis + x->ndim : p->axis);
    int64_t outer = 1, inner = 1, n_idx = onnx_numel(idx), len = x->shape[axis];
    for (int d = 0; d < x->ndim; d++) {
        if (d < axis)
            outer *= x->shape[d];
        else if (d > axis)
            inner *= x->shape[d];
    }
    size_t block = (size_t)inner * onnx_elem_size(x->dtype);
    int64_t lo, hi;
    onnx_slice(outer, ith, nth, &lo, &hi);
    for (int64_t o = lo; o < hi; o++)
        for (int64_t i = 0; i < n_idx; i++) {
            int64_t k = onnx_int_at(idx, i);
            if (k < -len || k >= len)
                return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                       "index %lld is out of range for a dimension of %lld",
                                       (long long)k, (long long)len);
            k = k < 0 ? k + len : k;
            memcpy((char *)ctx->outputs[0]->data + (size_t)(o * n_idx + i) * block,
                   (const char *)x->data + (size_t)(o * len + k) * block, block);
        }
    return FERRY_OK;
}

const onnx_op onnx_op_gather_1 = {
    .domain = "",
    .op_type = "Gather",
    .since_version = 1,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_STRINGS,
    .prepare = gather_prepare,
    .infer = gather_infer,
    .run = gather_run,
};
