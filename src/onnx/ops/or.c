/* Or (ai.onnx, since 7): the logical or of two bool tensors, element-wise with numpy
 * broadcasting. Opset 1 (legacy broadcast attributes) is not registered. */
#include "onnx/elementwise.h"

static inline uint8_t or_b8(uint8_t x, uint8_t z)
{
    return x || z;
}

ONNX_BINARY_KERNEL(or_kernel_b8, uint8_t, uint8_t, or_b8)

static const onnx_binary_kernel or_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_BOOL] = or_kernel_b8,
};

static ferry_status or_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_binary_infer(ctx, ONNX_MASK(BOOL), FERRY_DTYPE_BOOL, err);
}

static ferry_status or_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_binary_run(ctx, ith, nth, or_kernels, err);
}

const onnx_op onnx_op_or_7 = {
    .domain = "",
    .op_type = "Or",
    .since_version = 7,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = or_infer,
    .run = or_run,
};
