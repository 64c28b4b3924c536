/* Identity (ai.onnx, since 1): the input unchanged, as a view of its memory (no copy). Tensors of
 * every dtype; sequences and optionals (opsets 14 and 16) are not supported. */
#include "onnx/op.h"

static ferry_status identity_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    (void)err;
    const ferry_tensor *x = ctx->inputs[0];
    onnx_set_output(ctx, 0, x->dtype, x->ndim, x->shape);
    return FERRY_OK;
}

const onnx_op onnx_op_identity_1 = {
    .domain = "",
    .op_type = "Identity",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_VIEW,
    .infer = identity_infer,
};
