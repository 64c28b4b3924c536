/* Size (ai.onnx, since 1): the input's element count as an int64 scalar. Reads only the shape, so
 * the planner evaluates it once per input shape. */
#include "onnx/op.h"

static ferry_status size_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    (void)err;
    onnx_set_output(ctx, 0, FERRY_DTYPE_INT64, 0, NULL);
    return FERRY_OK;
}

static ferry_status size_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    (void)nth;
    if (ith == 0)
        *(int64_t *)ctx->outputs[0]->data = onnx_numel(ctx->inputs[0]);
    return FERRY_OK;
}

const onnx_op onnx_op_size_1 = {
    .domain = "",
    .op_type = "Size",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_SHAPE_ONLY,
    .infer = size_infer,
    .run = size_run,
};
