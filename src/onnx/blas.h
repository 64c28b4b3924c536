/* Single-precision matrix multiplication for the ONNX engine, through oneDNN's dnnl_sgemm (which
 * picks AVX-512/AVX2 kernels at run time). oneDNN runs on OpenMP: every calling thread is held to
 * one OpenMP thread, so a call never starts worker threads that would spin idle. ferry gets its
 * parallelism across requests, and with intra_op_threads N from the session's own pool: Gemm and
 * MatMul split their rows, Conv its images, over the N threads, each calling dnnl_sgemm on its
 * share. Letting OpenMP use N threads instead would run N x N threads whenever the slices call
 * at once (oversubscription), and its workers spin after each call (OMP_WAIT_POLICY). */
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
