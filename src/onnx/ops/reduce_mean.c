/* ReduceMean (ai.onnx): the mean over `axes` (all of them when none are given), for every numeric
 * dtype (integers: the wrapped sum divided, toward 0). keepdims (default 1) keeps reduced
 * dimensions as 1. Since 1 the axes are an attribute (negative ones from opset 11, accepted from
 * 1); since 18 they are the optional int64 input 1, read while planning, and noop_with_empty_axes
 * makes empty axes return the input unchanged. An empty reduction gives NaN (0 for integers). */
#include "onnx/elementwise.h"
#include "onnx/reduce.h"

#define REDUCE_MEAN_FLOAT(D, T, UT, S)                                                             \
    static inline T reduce_mean_step_##S(T acc, T x)                                               \
    {                                                                                              \
        return acc + x;                                                                            \
    }                                                                                              \
    static inline T reduce_mean_final_##S(T acc, int64_t count)                                    \
    {                                                                                              \
        return acc / (T)count;                                                                     \
    }                                                                                              \
    ONNX_REDUCE_KERNEL(reduce_mean_##S, T, 0, reduce_mean_step_##S, reduce_mean_final_##S)
#define REDUCE_MEAN_INT(D, T, UT, S)                                                               \
    static inline T reduce_mean_step_##S(T acc, T x)                                               \
    {                                                                                              \
        return (T)((uint64_t)acc + (uint64_t)x);                                                   \
    }                                                                                              \
    static inline T reduce_mean_final_##S(T acc, int64_t count)                                    \
    {                                                                                              \
        return count > 0 ? (T)(acc / count) : 0;                                                   \
    }                                                                                              \
    ONNX_REDUCE_KERNEL(reduce_mean_##S, T, 0, reduce_mean_step_##S, reduce_mean_final_##S)
ONNX_FLOAT_TYPES(REDUCE_MEAN_FLOAT)
ONNX_SINT_TYPES(REDUCE_MEAN_INT)

/* Unsigned sums divide as unsigned. */
#define REDUCE_MEAN_UINT(D, T, UT, S)                                                              \
    static inline T reduce_mean_step_##S(T acc, T x)                                               \
    {                                                                                              \
        return (T)(acc + x);                                                                       \
    }                                                                                              \
    static inline T reduce_mean_final_##S(T acc, int64_t count)                                    \
    {                                                                                              \
        return count > 0 ? (T)(acc / (uint64_t)count) : 0;                                         \
    }                                                                                              \
    ONNX_REDUCE_KERNEL(reduce_mean_##S, T, 0, reduce_mean_step_##S, reduce_mean_final_##S)
ONNX_UINT_TYPES(REDUCE_MEAN_UINT)

static const onnx_reduce_kernel reduce_mean_kernels[FERRY_DTYPE_COUNT] = {
#define REDUCE_MEAN_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = reduce_mean_##S,
    ONNX_NUMERIC_TYPES(REDUCE_MEAN_ROW)};

static ferry_status reduce_mean_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_reduce_infer(ctx, ONNX_MASK_NUMERIC, err);
}

static ferry_status reduce_mean_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_reduce_run(ctx, ith, nth, reduce_mean_kernels, err);
}

static ferry_status reduce_mean_1_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    return onnx_reduce_prepare(g, n, false, err);
}

static ferry_status reduce_mean_18_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    return onnx_reduce_prepare(g, n, true, err);
}

const onnx_op onnx_op_reduce_mean_1 = {
    .domain = "",
    .op_type = "ReduceMean",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = reduce_mean_1_prepare,
    .infer = reduce_mean_infer,
    .run = reduce_mean_run,
};

const onnx_op onnx_op_reduce_mean_18 = {
    .domain = "",
    .op_type = "ReduceMean",
    .since_version = 18,
    .min_inputs = 1,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .value_inputs = 1u << 1,
    .prepare = reduce_mean_18_prepare,
    .infer = reduce_mean_infer,
    .run = reduce_mean_run,
};
