/* Shared machinery for the variadic element-wise ops (Min, Max, Sum, Mean): one or more inputs of
 * one dtype, all of the same shape (opset 6) or broadcast together (opset 8), folded pairwise into
 * the output: y = f(x0, x1), then y = f(y, xk) for each further input. Every pass covers the same
 * range of output elements per thread, so a thread only reads what it wrote. */
#ifndef FERRY_ONNX_VARIADIC_H
#define FERRY_ONNX_VARIADIC_H

#include <stdbool.h>
#include <stdint.h>

#include "onnx/broadcast.h"
#include "onnx/op.h"

/* y[e] = f(a[.], b[.]) for output elements e in [e0, e1) of the broadcast layout bc. */
typedef void (*onnx_fold_kernel)(const onnx_broadcast *bc, const void *a, const void *b, void *y,
                                 int64_t e0, int64_t e1);

/* Defines `static void NAME(...)`, an onnx_fold_kernel applying `T FN(T, T)`. */
#define ONNX_FOLD_KERNEL(NAME, T, FN)                                                              \
    static void NAME(const onnx_broadcast *bc, const void *pa, const void *pb, void *py,           \
                     int64_t e0, int64_t e1)                                                       \
    {                                                                                              \
        const int64_t inner = bc->shape[bc->ndim - 1];                                             \
        const int64_t sa = bc->strides[0][bc->ndim - 1], sb = bc->strides[1][bc->ndim - 1];        \
        for (int64_t r = e0 / inner; r * inner < e1; r++) {                                        \
            int64_t off[ONNX_BROADCAST_MAX_INPUTS];                                                \
            onnx_broadcast_row(bc, r, off);                                                        \
            const T *a = (const T *)pa + off[0], *b = (const T *)pb + off[1];                      \
            T *y = (T *)py + r * inner;                                                            \
            int64_t i0 = e0 > r * inner ? e0 - r * inner : 0;                                      \
            int64_t i1 = e1 < (r + 1) * inner ? e1 - r * inner : inner;                            \
            if (sa != 0 && sb != 0) {                                                              \
                for (int64_t i = i0; i < i1; i++)                                                  \
                    y[i] = FN(a[i], b[i]);                                                         \
            } else if (sa != 0) {                                                                  \
                const T z = b[0];                                                                  \
                for (int64_t i = i0; i < i1; i++)                                                  \
                    y[i] = FN(a[i], z);                                                            \
            } else if (sb != 0) {                                                                  \
                const T z = a[0];                                                                  \
                for (int64_t i = i0; i < i1; i++)                                                  \
                    y[i] = FN(z, b[i]);                                                            \
            } else {                                                                               \
                const T v = FN(a[0], b[0]);                                                        \
                for (int64_t i = i0; i < i1; i++)                                                  \
                    y[i] = v;                                                                      \
            }                                                                                      \
        }                                                                                          \
    }

/* Checks that every input is present with input 0's dtype, which must be in `mask`, and sets output
 * 0 to their broadcast shape (`broadcast`) or their common shape. Fails naming the node. */
ferry_status onnx_variadic_infer(const onnx_op_ctx *ctx, uint32_t mask, bool broadcast,
                                 ferry_error *err) FERRY_MUST_CHECK;

/* Folds every input into output elements [*lo, *hi) (this thread's slice, returned so that Mean
 * can finish it) with kernels[input dtype]; one input is copied. */
ferry_status onnx_variadic_run(const onnx_op_ctx *ctx, int ith, int nth,
                               const onnx_fold_kernel *kernels, int64_t *lo, int64_t *hi,
                               ferry_error *err) FERRY_MUST_CHECK;

#endif
