/* The optimizer's passes, one file each, run in this order by onnx_optimize (optimize.h). Each
 * rewrites what it can prove equivalent at load time, whatever the batch size, and leaves the
 * rest alone; *count gets how many times it fired. They fail only when out of memory. */
#ifndef FERRY_ONNX_OPTIMIZE_PASSES_H
#define FERRY_ONNX_OPTIMIZE_PASSES_H

#include "onnx/optimize/rewrite.h"

/* remove_identity.c: Identity and inference-mode Dropout nodes whose consumers can read their
 * input directly. */
ferry_status onnx_pass_remove_identity(onnx_rewrite *rw, int *count) FERRY_MUST_CHECK;

/* fold_batch_norm.c: BatchNormalization with constant parameters after a Conv with constant
 * weights becomes part of the Conv's weights and bias. */
ferry_status onnx_pass_fold_batch_norm(onnx_rewrite *rw, int *count) FERRY_MUST_CHECK;

/* fuse_gemm.c: MatMul of a rank-2 value by a constant matrix, followed by Add of a constant row,
 * becomes one Gemm. */
ferry_status onnx_pass_fuse_gemm(onnx_rewrite *rw, int *count) FERRY_MUST_CHECK;

/* fuse_activation.c: Relu, LeakyRelu, Clip, Sigmoid or Tanh after a Gemm or Conv becomes that
 * node's epilogue (onnx_node.fused). */
ferry_status onnx_pass_fuse_activation(onnx_rewrite *rw, int *count) FERRY_MUST_CHECK;

#endif
