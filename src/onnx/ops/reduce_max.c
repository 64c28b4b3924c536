/* ReduceMax (ai.onnx): the maximum over `axes` (all of them when none are given), for every numeric
 * dtype and bool (opset 20, accepted from 1); NaN wins. keepdims (default 1) keeps reduced
 * dimensions as 1. Since 1 the axes are an attribute (negative ones from opset 11, accepted from
 * 1); since 18 they are the optional int64 input 1, read while planning, and noop_with_empty_axes
 * makes empty axes return the input unchanged. An empty reduction gives the lowest value of the
 * dtype (-inf for floats). */
#include <math.h>

#include "onnx/reduce.h"

/* X(dtype, C type, short name, start value). */
#define REDUCE_MAX_INTS(X)                                                                         \
    X(INT8, int8_t, i8, INT8_MIN)                                                                  \
    X(INT16, int16_t, i16, INT16_MIN)                                                              \
    X(INT32, int32_t, i32, INT32_MIN)                                                              \
    X(INT64, int64_t, i64, INT64_MIN)                                                              \
    X(UINT8, uint8_t, u8, 0)                                                                       \
    X(UINT16, uint16_t, u16, 0)                                                                    \
    X(UINT32, uint32_t, u32, 0)                                                                    \
    X(UINT64, uint64_t, u64, 0)                                                                    \
    X(BOOL, uint8_t, b8, 0)
#define REDUCE_MAX_FLOATS(X)                                                                       \
    X(FP32, float, f32, -INFINITY)                                                                 \
    X(FP64, double, f64, -INFINITY)

#define REDUCE_MAX_FLOAT(D, T, S, START)                                                           \
    static inline T reduce_max_step_##S(T acc, T x)                                                \
    {                                                                                              \
        return x > acc || isnan(x) ? x : acc;                                                      \
    }                                                                                              \
    static inline T reduce_max_final_##S(T acc, int64_t count)                                     \
    {                                                                                              \
        (void)count;                                                                               \
        return acc;                                                                                \
    }                                                                                              \
    ONNX_REDUCE_KERNEL(reduce_max_##S, T, START, reduce_max_step_##S, reduce_max_final_##S)
#define REDUCE_MAX_INT(D, T, S, START)                                                             \
    static inline T reduce_max_step_##S(T acc, T x)                                                \
    {                                                                                              \
        return x > acc ? x : acc;                                                                  \
    }                                                                                              \
    static inline T reduce_max_final_##S(T acc, int64_t count)                                     \
    {                                                                                              \
        (void)count;                                                                               \
        return acc;                                                                                \
    }                                                                                              \
    ONNX_REDUCE_KERNEL(reduce_max_##S, T, START, reduce_max_step_##S, reduce_max_final_##S)
REDUCE_MAX_FLOATS(REDUCE_MAX_FLOAT)
REDUCE_MAX_INTS(REDUCE_MAX_INT)

static const onnx_reduce_kernel reduce_max_kernels[FERRY_DTYPE_COUNT] = {
#define REDUCE_MAX_ROW(D, T, S, START) [FERRY_DTYPE_##D] = reduce_max_##S,
    REDUCE_MAX_FLOATS(REDUCE_MAX_ROW) REDUCE_MAX_INTS(REDUCE_MAX_ROW)};

static ferry_status reduce_max_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_reduce_infer(ctx, ONNX_MASK_NUMERIC | ONNX_MASK(BOOL), err);
}

static ferry_status reduce_max_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_reduce_run(ctx, ith, nth, reduce_max_kernels, err);
}

static ferry_status reduce_max_1_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    return onnx_reduce_prepare(g, n, false, err);
}

static ferry_status reduce_max_18_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    return onnx_reduce_prepare(g, n, true, err);
}

const onnx_op onnx_op_reduce_max_1 = {
    .domain = "",
    .op_type = "ReduceMax",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = reduce_max_1_prepare,
    .infer = reduce_max_infer,
    .run = reduce_max_run,
};

const onnx_op onnx_op_reduce_max_18 = {
    .domain = "",
    .op_type = "ReduceMax",
    .since_version = 18,
    .min_inputs = 1,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .value_inputs = 1u << 1,
    .prepare = reduce_max_18_prepare,
    .infer = reduce_max_infer,
    .run = reduce_max_run,
};
