/* Expand (ai.onnx, since 8): broadcasts the input to the shape given by the int64 input (numpy
 * rules, both ways: the output takes the larger of each pair of dimensions). Any dtype, strings
 * too; the shape is read while planning. */
#include <string.h>

#include "onnx/broadcast.h"
#include "onnx/op.h"

static ferry_status expand_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0], *s = ctx->inputs[1];
    ferry_status st = onnx_check_dtype(ctx, 1, ONNX_MASK(INT64), err);
    if (st == FERRY_OK && (s->data == NULL || s->ndim != 1 || s->shape[0] > FERRY_MAX_DIMS))
        st = onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                             "the shape must be a short 1-D tensor known while planning");
    if (st != FERRY_OK)
        return st;
    ferry_tensor target = {.dtype = x->dtype, .ndim = (int)s->shape[0]};
    memcpy(target.shape, s->data, (size_t)target.ndim * sizeof(int64_t));
    const ferry_tensor *both[] = {x, &target};
    int ndim, bad_a, bad_b;
    int64_t shape[FERRY_MAX_DIMS];
    if (!onnx_broadcast_shape(both, 2, &ndim, shape, &bad_a, &bad_b))
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "'%s' cannot be broadcast to the requested shape", x->name);
    onnx_set_output(ctx, 0, x->dtype, ndim, shape);
    return FERRY_OK;
}

static ferry_status expand_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const ferry_tensor *x = ctx->inputs[0];
    ferry_tensor *y = ctx->outputs[0];
    onnx_broadcast bc;
    onnx_broadcast_init(&bc, &x, 1, y);
    size_t size = onnx_elem_size(x->dtype);
    int64_t inner = bc.shape[bc.ndim - 1], stride = bc.strides[0][bc.ndim - 1];
    int64_t lo, hi;
    onnx_slice(onnx_numel(y) > 0 ? bc.rows : 0, ith, nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        int64_t off;
        onnx_broadcast_row(&bc, r, &off);
        char *dst = (char *)y->data + (size_t)(r * inner) * size;
        const char *src = (const char *)x->data + (size_t)off * size;
        if (stride != 0)
            memcpy(dst, src, (size_t)inner * size);
        else
            for (int64_t i = 0; i < inner; i++)
                memcpy(dst + (size_t)i * size, src, size);
    }
    return FERRY_OK;
}

const onnx_op onnx_op_expand_8 = {
    .domain = "",
    .op_type = "Expand",
    .since_version = 8,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_STRINGS,
    .value_inputs = 1u << 1,
    .infer = expand_infer,
    .run = expand_run,
};
