/* Div (ai.onnx, since 7): C = A / B with numpy broadcasting, for every numeric dtype. Integer
 * division truncates toward zero; a zero divisor fails the request (naming the node) instead of
 * trapping, and INT_MIN / -1 wraps. Opsets 1-6 are not registered. */
#include "onnx/elementwise.h"

#define DIV_FLOAT(D, T, UT, S)                                                                     \
    static inline T div_##S(T x, T z)                                                              \
    {                                                                                              \
        return x / z;                                                                              \
    }                                                                                              \
    ONNX_BINARY_KERNEL(div_kernel_##S, T, T, div_##S)
/* The divisor is checked for zero before the kernel runs; x / -1 is negation, wrapping at MIN. */
#define DIV_SINT(D, T, UT, S)                                                                      \
    static inline T div_##S(T x, T z)                                                              \
    {                                                                                              \
        return z == (T)-1 ? (T)(0u - (UT)x) : (T)(x / z);                                          \
    }                                                                                              \
    ONNX_BINARY_KERNEL(div_kernel_##S, T, T, div_##S)
#define DIV_UINT(D, T, UT, S)                                                                      \
    static inline T div_##S(T x, T z)                                                              \
    {                                                                                              \
        return (T)(x / z);                                                                         \
    }                                                                                              \
    ONNX_BINARY_KERNEL(div_kernel_##S, T, T, div_##S)
ONNX_FLOAT_TYPES(DIV_FLOAT)
ONNX_SINT_TYPES(DIV_SINT)
ONNX_UINT_TYPES(DIV_UINT)

static const onnx_binary_kernel div_kernels[FERRY_DTYPE_COUNT] = {
#define DIV_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = div_kernel_##S,
    ONNX_NUMERIC_TYPES(DIV_ROW)};

/* True when an integer tensor holds a zero. */
static bool has_zero(const ferry_tensor *t)
{
    size_t size = ferry_dtype_size(t->dtype);
    const unsigned char *p = t->data;
    for (size_t i = 0; i < t->nbytes; i += size) {
        bool zero = true;
        for (size_t b = 0; b < size; b++)
            zero = zero && p[i + b] == 0;
        if (zero)
            return true;
    }
    return false;
}

static ferry_status div_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_binary_infer(ctx, ONNX_MASK_NUMERIC, FERRY_DTYPE_INVALID, err);
}

static ferry_status div_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const ferry_tensor *b = ctx->inputs[1];
    if ((ONNX_MASK_INTS & (1u << b->dtype)) && onnx_numel(ctx->outputs[0]) > 0 && has_zero(b))
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "integer division by zero (divisor '%s')", b->name);
    return onnx_binary_run(ctx, ith, nth, div_kernels, err);
}

const onnx_op onnx_op_div_7 = {
    .domain = "",
    .op_type = "Div",
    .since_version = 7,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = div_infer,
    .run = div_run,
};
