/* Shared machinery for element-wise op files: dtype lists to generate one kernel per dtype, kernel
 * generators for unary and broadcasting binary ops, and the infer/run bodies they share. An op file
 * (ops/add.c) writes its scalar function and its descriptor; the loops live here, written so that
 * the compiler vectorizes the contiguous cases. */
#ifndef FERRY_ONNX_ELEMENTWISE_H
#define FERRY_ONNX_ELEMENTWISE_H

#include <stdint.h>

#include "onnx/broadcast.h"
#include "onnx/op.h"

/* X(ferry dtype suffix, C type, unsigned C type of the same width, short name). */
#define ONNX_FLOAT_TYPES(X)                                                                        \
    X(FP32, float, float, f32)                                                                     \
    X(FP64, double, double, f64)
#define ONNX_SINT_TYPES(X)                                                                         \
    X(INT8, int8_t, uint8_t, i8)                                                                   \
    X(INT16, int16_t, uint16_t, i16)                                                               \
    X(INT32, int32_t, uint32_t, i32)                                                               \
    X(INT64, int64_t, uint64_t, i64)
#define ONNX_UINT_TYPES(X)                                                                         \
    X(UINT8, uint8_t, uint8_t, u8)                                                                 \
    X(UINT16, uint16_t, uint16_t, u16)                                                             \
    X(UINT32, uint32_t, uint32_t, u32)                                                             \
    X(UINT64, uint64_t, uint64_t, u64)
#define ONNX_INT_TYPES(X)     ONNX_SINT_TYPES(X) ONNX_UINT_TYPES(X)
#define ONNX_NUMERIC_TYPES(X) ONNX_FLOAT_TYPES(X) ONNX_INT_TYPES(X)

/* y[i] = f(a[.], b[.]) over broadcast rows [row0, row1). */
typedef void (*onnx_binary_kernel)(const onnx_broadcast *bc, const void *a, const void *b, void *y,
                                   int64_t row0, int64_t row1);

/* y[i] = f(x[i], params) for i in [lo, hi). */
typedef void (*onnx_unary_kernel)(const void *x, void *y, int64_t lo, int64_t hi,
                                  const void *params);

/* Defines `static void NAME(...)`, an onnx_binary_kernel applying `TOUT FN(TIN, TIN)`. The four
 * inner loops (both inputs contiguous, one or both broadcast) each vectorize. */
#define ONNX_BINARY_KERNEL(NAME, TIN, TOUT, FN)                                                    \
    static void NAME(const onnx_broadcast *bc, const void *pa, const void *pb, void *py,           \
                     int64_t row0, int64_t row1)                                                   \
    {                                                                                              \
        const int64_t inner = bc->shape[bc->ndim - 1];                                             \
        const int64_t sa = bc->strides[0][bc->ndim - 1], sb = bc->strides[1][bc->ndim - 1];        \
        for (int64_t r = row0; r < row1; r++) {                                                    \
            int64_t off[ONNX_BROADCAST_MAX_INPUTS];                                                \
            onnx_broadcast_row(bc, r, off);                                                        \
            const TIN *a = (const TIN *)pa + off[0], *b = (const TIN *)pb + off[1];                \
            TOUT *y = (TOUT *)py + r * inner;                                                      \
            if (sa != 0 && sb != 0) {                                                              \
                for (int64_t i = 0; i < inner; i++)                                                \
                    y[i] = FN(a[i], b[i]);                                                         \
            } else if (sa != 0) {                                                                  \
                const TIN z = b[0];                                                                \
                for (int64_t i = 0; i < inner; i++)                                                \
                    y[i] = FN(a[i], z);                                                            \
            } else if (sb != 0) {                                                                  \
                const TIN x = a[0];                                                                \
                for (int64_t i = 0; i < inner; i++)                                                \
                    y[i] = FN(x, b[i]);                                                            \
            } else {                                                                               \
                const TOUT v = FN(a[0], b[0]);                                                     \
                for (int64_t i = 0; i < inner; i++)                                                \
                    y[i] = v;                                                                      \
            }                                                                                      \
        }                                                                                          \
    }

/* Defines `static void NAME(...)`, an onnx_unary_kernel applying `T FN(T, const void *params)`. */
#define ONNX_UNARY_KERNEL(NAME, T, FN)                                                             \
    static void NAME(const void *px, void *py, int64_t lo, int64_t hi, const void *params)         \
    {                                                                                              \
        const T *x = px;                                                                           \
        T *y = py;                                                                                 \
        (void)params;                                                                              \
        for (int64_t i = lo; i < hi; i++)                                                          \
            y[i] = FN(x[i], params);                                                               \
    }

/* Binary ops: inputs 0 and 1 of the same dtype in `mask`, broadcast; the output has dtype `out`
 * (FERRY_DTYPE_INVALID: the inputs'). Fails naming the node for incompatible shapes. */
ferry_status onnx_binary_infer(const onnx_op_ctx *ctx, uint32_t mask, ferry_dtype out,
                               ferry_error *err) FERRY_MUST_CHECK;

/* Runs kernels[input dtype] over this thread's rows. */
ferry_status onnx_binary_run(const onnx_op_ctx *ctx, int ith, int nth,
                             const onnx_binary_kernel *kernels, ferry_error *err) FERRY_MUST_CHECK;

/* Unary ops: output 0 has input 0's dtype (which must be in `mask`) and shape. */
ferry_status onnx_unary_infer(const onnx_op_ctx *ctx, uint32_t mask,
                              ferry_error *err) FERRY_MUST_CHECK;

/* Runs kernels[input dtype] over this thread's elements with node->params. */
ferry_status onnx_unary_run(const onnx_op_ctx *ctx, int ith, int nth,
                            const onnx_unary_kernel *kernels, ferry_error *err) FERRY_MUST_CHECK;

#endif
