/* ConstantOfShape (ai.onnx, since 9): a tensor of the shape given by the int64 input, filled with
 * `value` (a one-element tensor; float 0 by default). The shape is read while planning. */
#include <string.h>

#include "onnx/op.h"

static ferry_status constant_of_shape_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    const ferry_tensor *value;
    ferry_status st = onnx_attr_tensor(n, "value", &value, err);
    if (st != FERRY_OK)
        return st;
    ferry_tensor *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    static const float zero = 0.0f;
    *p = value != NULL ? *value
                       : (ferry_tensor){.dtype = FERRY_DTYPE_FP32,
                                        .ndim = 1,
                                        .shape = {1},
                                        .data = (void *)&zero,
                                        .nbytes = sizeof zero};
    if (onnx_numel(p) != 1)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "value must hold one element");
    return FERRY_OK;
}

static ferry_status constant_of_shape_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *s = ctx->inputs[0], *value = ctx->node->params;
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK(INT64), err);
    if (st == FERRY_OK && (s->data == NULL || s->ndim != 1 || s->shape[0] > FERRY_MAX_DIMS))
        st = onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                             "the shape must be a short 1-D tensor known while planning");
    if (st != FERRY_OK)
        return st;
    const int64_t *dims = s->data;
    for (int64_t d = 0; d < s->shape[0]; d++)
        if (dims[d] < 0)
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "dimension %lld is %lld",
                                   (long long)d, (long long)dims[d]);
    onnx_set_output(ctx, 0, value->dtype, (int)s->shape[0], dims);
    return FERRY_OK;
}

static ferry_status constant_of_shape_run(const onnx_op_ctx *ctx, int ith, int nth,
                                          ferry_error *err)
{
    (void)err;
    const ferry_tensor *value = ctx->node->params;
    size_t size = value->nbytes;
    int64_t lo, hi;
    onnx_slice(onnx_numel(ctx->outputs[0]), ith, nth, &lo, &hi);
    for (int64_t i = lo; i < hi; i++)
        memcpy((char *)ctx->outputs[0]->data + (size_t)i * size, value->data, size);
    return FERRY_OK;
}

const onnx_op onnx_op_constant_of_shape_9 = {
    .domain = "",
    .op_type = "ConstantOfShape",
    .since_version = 9,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .value_inputs = 1u << 0,
    .prepare = constant_of_shape_prepare,
    .infer = constant_of_shape_infer,
    .run = constant_of_shape_run,
};
