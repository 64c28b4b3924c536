/* And (ai.onnx, since 7): the logical and of two bool tensors, element-wise with numpy
 * broadcasting. Opset 1 (legacy broadcast attributes) is not registered. */
#include "onnx/elementwise.h"

static inline uint8_t and_b8(uint8_t x, uint8_t z)
{
    return x && z;
}

ONNX_BINARY_KERNEL(and_kernel_b8, uint8_t, uint8_t, and_b8)

static const onnx_binary_kernel and_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_BOOL] = and_kernel_b8,
};

static ferry_status and_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_binary_infer(ctx, ONNX_MASK(BOOL), FERRY_DTYPE_BOOL, err);
}

static ferry_status and_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_binary_run(ctx, ith, nth, and_kernels, err);
}

const onnx_op onnx_op_and_7 = {
    .domain = "",
    .op_type = "And",
    .since_version = 7,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = and_infer,
    .run = and_run,
};
