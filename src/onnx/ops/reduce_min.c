/* ReduceMin (ai.onnx): the minimum over `axes` (all of them when none are given), for every numeric
 * dtype and bool (opset 20, accepted from 1); NaN wins. keepdims (default 1) keeps reduced
 * dimensions as 1. Since 1 the axes are an attribute (negative ones from opset 11, accepted from
 * 1); since 18 they are the optional int64 input 1, read while planning, and noop_with_empty_axes
 * makes empty axes return the input unchanged. An empty reduction gives the largest value of the
 * dtype (+inf for floats). */
#include <math.h>

#include "onnx/reduce.h"

/* X(dtype, C type, short name, start value). */
#define REDUCE_MIN_INTS(X)                                                                         \
    X(INT8, int8_t, i8, INT8_MAX)                                                                  \
    X(INT16, int16_t, i16, INT16_MAX)                                                              \
    X(INT32, int32_t, i32, INT32_MAX)                                                              \
    X(INT64, int64_t, i64, INT64_MAX)                                                              \
    X(UINT8, uint8_t, u8, UINT8_MAX)                                                               \
    X(UINT16, uint16_t, u16, UINT16_MAX)                                                           \
    X(UINT32, uint32_t, u32, UINT32_MAX)                                                           \
    X(UINT64, uint64_t, u64, UINT64_MAX)                                                           \
    X(BOOL, uint8_t, b8, 1)
#define REDUCE_MIN_FLOATS(X)                                                                       \
    X(FP32, float, f32, INFINITY)                                                                  \
    X(FP64, double, f64, INFINITY)

#define REDUCE_MIN_FLOAT(D, T, S, START)                                                           \
    static inline T reduce_min_step_##S(T acc, T x)                                                \
    {                                                                                              \
        return x < acc || isnan(x) ? x : acc;                                                      \
    }                                                                                              \
    static inline T reduce_min_final_##S(T acc, int64_t count)                                     \
    {                                                                                              \
        (void)count;                                                                               \
        return acc;                                                                                \
    }                                                                                              \
    ONNX_REDUCE_KERNEL(reduce_min_##S, T, START, reduce_min_step_##S, reduce_min_final_##S)
#define REDUCE_MIN_INT(D, T, S, START)                                                             \
    static inline T reduce_min_step_##S(T acc, T x)                                                \
    {                                                                                              \
        return x < acc ? x : acc;                                                                  \
    }                                                                                              \
    static inline T reduce_min_final_##S(T acc, int64_t count)                                     \
    {                                                                                              \
        (void)count;                                                                               \
        return acc;                                                                                \
    }                                                                                              \
    ONNX_REDUCE_KERNEL(reduce_min_##S, T, START, reduce_min_step_##S, reduce_min_final_##S)
REDUCE_MIN_FLOATS(REDUCE_MIN_FLOAT)
REDUCE_MIN_INTS(REDUCE_MIN_INT)

static const onnx_reduce_kernel reduce_min_kernels[FERRY_DTYPE_COUNT] = {
#define REDUCE_MIN_ROW(D, T, S, START) [FERRY_DTYPE_##D] = reduce_min_##S,
    REDUCE_MIN_FLOATS(REDUCE_MIN_ROW) REDUCE_MIN_INTS(REDUCE_MIN_ROW)};

static ferry_status reduce_min_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_reduce_infer(ctx, ONNX_MASK_NUMERIC | ONNX_MASK(BOOL), err);
}

static ferry_status reduce_min_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_reduce_run(ctx, ith, nth, reduce_min_kernels, err);
}

static ferry_status reduce_min_1_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    return onnx_reduce_prepare(g, n, false, err);
}

static ferry_status reduce_min_18_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    return onnx_reduce_prepare(g, n, true, err);
}

const onnx_op onnx_op_reduce_min_1 = {
    .domain = "",
    .op_type = "ReduceMin",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = reduce_min_1_prepare,
    .infer = reduce_min_infer,
    .run = reduce_min_run,
};

const onnx_op onnx_op_reduce_min_18 = {
    .domain = "",
    .op_type = "ReduceMin",
    .since_version = 18,
    .min_inputs = 1,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .value_inputs = 1u << 1,
    .prepare = reduce_min_18_prepare,
    .infer = reduce_min_infer,
    .run = reduce_min_run,
};
