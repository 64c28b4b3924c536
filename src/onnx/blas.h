/* Single-precision matrix multiplication for the ONNX engine, through oneDNN's dnnl_sgemm (which
 * picks AVX-512/AVX2 kernels at run time). oneDNN runs on OpenMP: every calling thread is held to
 * one OpenMP thread, so a call never starts worker threads that would spin idle; ferry gets its
 * parallelism across requests (and across an op's thread slices). */
#ifndef FERRY_ONNX_BLAS_H
#define FERRY_ONNX_BLAS_H

#include <stdbool.h>
#include <stdint.h>

#include "ferry/status.h"

/* C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, row-major, op() transposing when asked;
 * lda, ldb and ldc are row strides in elements. Fails with INTERNAL when oneDNN refuses the
 * arguments (a bug of the caller). */
ferry_status onnx_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                        const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                        float *c, int64_t ldc) FERRY_MUST_CHECK;

#endif
