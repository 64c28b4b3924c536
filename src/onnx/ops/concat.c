/* Concat (ai.onnx, since 4): joins tensors of one dtype along `axis` (negative from opset 11,
 * accepted from 4); every other dimension must agree. Copies contiguous blocks per input, so
 * strings (their (pointer, length) pairs) join like any other dtype. */
#include <string.h>

#include "onnx/op.h"

typedef struct concat_params {
    int64_t axis;
} concat_params;

static ferry_status concat_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    concat_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    if (onnx_attr_find(n, "axis") == NULL)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "the axis attribute is required");
    return onnx_attr_int(n, "axis", 0, &p->axis, err);
}

static ferry_status concat_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const concat_params *p = ctx->node->params;
    const ferry_tensor *first = ctx->inputs[0];
    int axis;
    ferry_status st = onnx_axis(ctx, p->axis, first->ndim, &axis, err);
    if (st != FERRY_OK)
        return st;
    int64_t shape[FERRY_MAX_DIMS];
    memcpy(shape, first->shape, sizeof shape);
    shape[axis] = 0;
    for (size_t i = 0; i < ctx->n_inputs; i++) {
        const ferry_tensor *t = ctx->inputs[i];
        if (t == NULL)
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "input %zu is omitted", i);
        bool ok = t->dtype == first->dtype && t->ndim == first->ndim;
        for (int d = 0; ok && d < t->ndim; d++)
            ok = d == axis || t->shape[d] == first->shape[d];
        if (!ok)
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "input '%s' does not match the first input's dtype and "
                                   "dimensions off axis %d",
                                   t->name, axis);
        shape[axis] += t->shape[axis];
    }
    onnx_set_output(ctx, 0, first->dtype, first->ndim, shape);
    return FERRY_OK;
}

static ferry_status concat_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const concat_params *p = ctx->node->params;
    ferry_tensor *y = ctx->outputs[0];
    int axis = (int)(p->axis < 0 ? p->axis + y->ndim : p->axis);
    size_t size = onnx_elem_size(y->dtype);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < y->ndim; d++) {
        if (d < axis)
            outer *= y->shape[d];
        else if (d > axis)
            inner *= y->shape[d];
    }
    size_t row = (size_t)(y->shape[axis] * inner) * size;
    int64_t lo, hi;
    onnx_slice(outer, ith, nth, &lo, &hi);
    size_t at = 0;
    for (size_t i = 0; i < ctx->n_inputs; i++) {
        size_t block = (size_t)(ctx->inputs[i]->shape[axis] * inner) * size;
        for (int64_t o = lo; o < hi && block > 0; o++)
            memcpy((char *)y->data + (size_t)o * row + at,
                   (const char *)ctx->inputs[i]->data + (size_t)o * block, block);
        at += block;
    }
    return FERRY_OK;
}

const onnx_op onnx_op_concat_4 = {
    .domain = "",
    .op_type = "Concat",
    .since_version = 4,
    .min_inputs = 1,
    .max_inputs = -1,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_STRINGS,
    .prepare = concat_prepare,
    .infer = concat_infer,
    .run = concat_run,
};
