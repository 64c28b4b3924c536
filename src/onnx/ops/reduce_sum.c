/* ReduceSum (ai.onnx): the sum over `axes` (all of them when none are given), for every numeric
 * dtype (integers wrap). keepdims (default 1) keeps reduced dimensions as 1. Since 1 the axes are
 * an attribute (negative ones from opset 11, accepted from 1); since 13 they are the optional int64
 * input 1, read while planning, and noop_with_empty_axes makes empty axes return the input
 * unchanged. */
#include "onnx/elementwise.h"
#include "onnx/reduce.h"

#define REDUCE_SUM_FLOAT(D, T, UT, S)                                                              \
    static inline T reduce_sum_step_##S(T acc, T x)                                                \
    {                                                                                              \
        return acc + x;                                                                            \
    }                                                                                              \
    static inline T reduce_sum_final_##S(T acc, int64_t count)                                     \
    {                                                                                              \
        (void)count;                                                                               \
        return acc;                                                                                \
    }                                                                                              \
    ONNX_REDUCE_KERNEL(reduce_sum_##S, T, 0, reduce_sum_step_##S, reduce_sum_final_##S)
#define REDUCE_SUM_INT(D, T, UT, S)                                                                \
    static inline T reduce_sum_step_##S(T acc, T x)                                                \
    {                                                                                              \
        return (T)((uint64_t)acc + (uint64_t)x);                                                   \
    }                                                                                              \
    static inline T reduce_sum_final_##S(T acc, int64_t count)                                     \
    {                                                                                              \
        (void)count;                                                                               \
        return acc;                                                                                \
    }                                                                                              \
    ONNX_REDUCE_KERNEL(reduce_sum_##S, T, 0, reduce_sum_step_##S, reduce_sum_final_##S)
ONNX_FLOAT_TYPES(REDUCE_SUM_FLOAT)
ONNX_INT_TYPES(REDUCE_SUM_INT)

static const onnx_reduce_kernel reduce_sum_kernels[FERRY_DTYPE_COUNT] = {
#define REDUCE_SUM_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = reduce_sum_##S,
    ONNX_NUMERIC_TYPES(REDUCE_SUM_ROW)};

static ferry_status reduce_sum_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_reduce_infer(ctx, ONNX_MASK_NUMERIC, err);
}

static ferry_status reduce_sum_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_reduce_run(ctx, ith, nth, reduce_sum_kernels, err);
}

static ferry_status reduce_sum_1_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    return onnx_reduce_prepare(g, n, false, err);
}

static ferry_status reduce_sum_13_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    return onnx_reduce_prepare(g, n, true, err);
}

const onnx_op onnx_op_reduce_sum_1 = {
    .domain = "",
    .op_type = "ReduceSum",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = reduce_sum_1_prepare,
    .infer = reduce_sum_infer,
    .run = reduce_sum_run,
};

const onnx_op onnx_op_reduce_sum_13 = {
    .domain = "",
    .op_type = "ReduceSum",
    .since_version = 13,
    .min_inputs = 1,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .value_inputs = 1u << 1,
    .prepare = reduce_sum_13_prepare,
    .infer = reduce_sum_infer,
    .run = reduce_sum_run,
};
