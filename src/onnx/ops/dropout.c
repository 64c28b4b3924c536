/* Dropout (ai.onnx, since 7), in inference: y = x, and the optional mask all true. Opset 12's
 * ratio and training_mode inputs are accepted; training_mode true (read while planning) is refused
 * because ferry does not train. Opsets 1-6 (is_test) are not registered. */
#include <string.h>

#include "onnx/op.h"

static ferry_status dropout_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0], *training = onnx_in(ctx, 2);
    if (training != NULL && (training->data == NULL || onnx_numel(training) != 1 ||
                             training->dtype != FERRY_DTYPE_BOOL))
        return onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                               "training_mode must be a bool known while planning");
    if (training != NULL && *(const uint8_t *)training->data != 0)
        return onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                               "training mode is not supported (ferry runs inference)");
    onnx_set_output(ctx, 0, x->dtype, x->ndim, x->shape);
    onnx_set_output(ctx, 1, FERRY_DTYPE_BOOL, x->ndim, x->shape);
    return FERRY_OK;
}

static ferry_status dropout_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const ferry_tensor *x = ctx->inputs[0];
    ferry_tensor *mask = onnx_out(ctx, 1);
    size_t size = ferry_dtype_size(x->dtype);
    int64_t lo, hi;
    onnx_slice(onnx_numel(x), ith, nth, &lo, &hi);
    if (lo < hi)
        memcpy((char *)ctx->outputs[0]->data + (size_t)lo * size,
               (const char *)x->data + (size_t)lo * size, (size_t)(hi - lo) * size);
    if (mask != NULL && lo < hi)
        memset((uint8_t *)mask->data + lo, 1, (size_t)(hi - lo));
    return FERRY_OK;
}

const onnx_op onnx_op_dropout_7 = {
    .domain = "",
    .op_type = "Dropout",
    .since_version = 7,
    .min_inputs = 1,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 2,
    .value_inputs = 1u << 2,
    .infer = dropout_infer,
    .run = dropout_run,
};
