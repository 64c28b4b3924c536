/* Flatten (ai.onnx, since 1): [d0, ..., dn) -> [d0 * ... * d(axis-1), d(axis) * ... * d(n-1)], a
 * view of the input's memory. axis defaults to 1; negative axes (opset 11) are accepted from 1. */
#include "onnx/op.h"

typedef struct flatten_params {
    int64_t axis;
} flatten_params;

static ferry_status flatten_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    flatten_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    return onnx_attr_int(n, "axis", 1, &p->axis, err);
}

static ferry_status flatten_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const flatten_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    int64_t axis = p->axis < 0 ? p->axis + x->ndim : p->axis;
    if (axis < 0 || axis > x->ndim)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "axis %lld is out of range for rank %d", (long long)p->axis,
                               x->ndim);
    int64_t shape[2] = {1, 1};
    for (int d = 0; d < x->ndim; d++)
        shape[d >= axis] *= x->shape[d];
    onnx_set_output(ctx, 0, x->dtype, 2, shape);
    return FERRY_OK;
}

const onnx_op onnx_op_flatten_1 = {
    .domain = "",
    .op_type = "Flatten",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_VIEW,
    .prepare = flatten_prepare,
    .infer = flatten_infer,
};
