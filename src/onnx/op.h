/* What an ONNX operator is to the engine: one `onnx_op` descriptor per (domain, op type, opset
 * since-version), defined in src/onnx/ops/<op>.c and listed in op_registry.c. Its hooks run at
 * three times:
 *   prepare  once at load: checks and parses attributes into node->params (graph memory);
 *   infer    once per plan (a set of input shapes): output dtypes and shapes from the inputs';
 *   plan     once per plan: per-thread scratch bytes that run needs (NULL: none);
 *   layouts  once per plan: the channels-last layouts it can read and write (NULL: none);
 *   run      per inference: computes slice `ith` of `nth`, never allocating.
 * prepare may point node->op at another descriptor of the same op (Cast to strings binds a
 * variant with other flags and a plan hook); the node then follows that one.
 * See ops/README.md for how to add one. */
#ifndef FERRY_ONNX_OP_H
#define FERRY_ONNX_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnx/graph.h"
#include "onnx/strings.h"

/* Output 0 is input 0's data under a new shape (Reshape, Flatten, Identity): no run, no copy. */
#define ONNX_OP_VIEW (1u << 0)
/* Reads only its inputs' shapes (Shape, Size): evaluated while planning, once shapes are known. */
#define ONNX_OP_SHAPE_ONLY (1u << 1)
/* Never evaluated ahead of time, even on constant inputs (random generators). */
#define ONNX_OP_NO_FOLD (1u << 2)
/* Reads or writes string tensors (BYTES, as onnx_string arrays: strings.h). The planner refuses
 * string inputs and outputs on ops without it (views and shape-only ops excepted), so that an op
 * written for fixed-size elements never sees them. */
#define ONNX_OP_STRINGS (1u << 3)
/* Its outputs point into its scratch (Cast's numbers formatted as text): the planner keeps the
 * step's scratch until the run ends, since the strings may be copied on to any later step or
 * output. Such an op must be NO_FOLD too, since folding frees scratch. */
#define ONNX_OP_KEEP_SCRATCH (1u << 4)

/* Channels-last layouts (layout.h). A tensor of shape [N, C, D1..Dr] (the shape stays the one ONNX
 * defines) may be stored as [N, D1..Dr, C] when the planner so decides for the plan: its producer
 * writes it so and its consumers read it so. An op's `layouts` hook says, at a plan's shapes, what
 * it can do (IN, OUT, SAME) and whether it gains (WANTS); the planner's choice reaches `run`
 * through onnx_op_ctx.layout (IN, OUT). */
#define ONNX_LAYOUT_IN    (1u << 0) /* reads input 0 channels-last */
#define ONNX_LAYOUT_OUT   (1u << 1) /* writes output 0 channels-last */
#define ONNX_LAYOUT_SAME  (1u << 2) /* input 0 and output 0 only in the same layout */
#define ONNX_LAYOUT_WANTS (1u << 3) /* saves a layout change of its own on the sides it offers */

/* The tensors one node sees. In infer, inputs carry dtype and shape, and data too when the value
 * is known while planning (a constant, or computed from shapes); infer fills each output's dtype,
 * ndim and shape. In run every present tensor has data. Entries are NULL for omitted optional
 * inputs and outputs; n_inputs counts the node's inputs as written in the model. */
typedef struct onnx_op_ctx {
    const onnx_node *node;
    size_t n_inputs;
    const ferry_tensor *const *inputs;
    size_t n_outputs;
    ferry_tensor *const *outputs;
    void *scratch;       /* run: nth regions of scratch_size bytes, one per thread */
    size_t scratch_size; /* per thread, as plan() asked */
    unsigned layout;     /* ONNX_LAYOUT_IN / _OUT as planned (layout.h); 0 in infer: NCHW */
} onnx_op_ctx;

typedef struct onnx_op {
    const char *domain;         /* "" for ai.onnx, "ai.onnx.ml" */
    const char *op_type;        /* "Gemm" */
    int since_version;          /* serves opsets from this one up to the next registered version */
    int min_inputs, max_inputs; /* max -1: variadic */
    int min_outputs, max_outputs; /* outputs the op can produce */
    unsigned flags;               /* ONNX_OP_* */
    uint32_t value_inputs;        /* bit k: infer reads input k's values (a target shape) */
    ferry_status (*prepare)(onnx_graph *g, onnx_node *node, ferry_error *err);
    ferry_status (*infer)(const onnx_op_ctx *ctx, ferry_error *err);
    size_t (*plan)(const onnx_op_ctx *ctx);
    unsigned (*layouts)(const onnx_op_ctx *ctx); /* ONNX_LAYOUT_* it offers; NULL: none */
    ferry_status (*run)(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err);
} onnx_op;

/* ---- Helpers for op files ---- */

/* Input i, or NULL when omitted or past the node's inputs. */
static inline const ferry_tensor *onnx_in(const onnx_op_ctx *ctx, size_t i)
{
    return i < ctx->n_inputs ? ctx->inputs[i] : NULL;
}

/* Output i, or NULL when omitted. */
static inline ferry_tensor *onnx_out(const onnx_op_ctx *ctx, size_t i)
{
    return i < ctx->n_outputs ? ctx->outputs[i] : NULL;
}

/* This thread's scratch region. */
static inline void *onnx_scratch(const onnx_op_ctx *ctx, int ith)
{
    return (unsigned char *)ctx->scratch + (size_t)ith * ctx->scratch_size;
}

/* Elements of a tensor's shape (no overflow: the planner bounds every shape). */
static inline int64_t onnx_numel(const ferry_tensor *t)
{
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++)
        n *= t->shape[d];
    return n;
}

/* The slice [*lo, *hi) of n items that thread ith of nth computes. */
static inline void onnx_slice(int64_t n, int ith, int nth, int64_t *lo, int64_t *hi)
{
    int64_t per = (n + nth - 1) / nth;
    *lo = per * ith < n ? per * ith : n;
    *hi = *lo + per < n ? *lo + per : n;
}

/* Sets output i's dtype and shape (a no-op for an omitted output). */
void onnx_set_output(const onnx_op_ctx *ctx, size_t i, ferry_dtype dtype, int ndim,
                     const int64_t *shape);

/* Fails with UNSUPPORTED naming the node, input and dtype unless input i's dtype is in `mask`
 * (bits 1u << dtype). */
ferry_status onnx_check_dtype(const onnx_op_ctx *ctx, size_t i, uint32_t mask,
                              ferry_error *err) FERRY_MUST_CHECK;

/* Fails with INVALID_ARG naming the node unless inputs a and b have the same dtype. */
ferry_status onnx_check_same_dtype(const onnx_op_ctx *ctx, size_t a, size_t b,
                                   ferry_error *err) FERRY_MUST_CHECK;

/* Fails with UNSUPPORTED naming the node when one of its inputs or outputs is a string tensor
 * and the op is not flagged ONNX_OP_STRINGS (nor a view or shape-only op). Called after infer. */
ferry_status onnx_check_strings(const onnx_op_ctx *ctx, ferry_error *err) FERRY_MUST_CHECK;

/* Normalizes a possibly negative axis into [0, rank); fails naming the node when out of range. */
ferry_status onnx_axis(const onnx_op_ctx *ctx, int64_t axis, int rank, int *out,
                       ferry_error *err) FERRY_MUST_CHECK;

/* Reads element i of an integer tensor (INT32 or INT64) as int64. */
int64_t onnx_int_at(const ferry_tensor *t, int64_t i);

/* Dtype masks. */
#define ONNX_MASK(d)     (1u << FERRY_DTYPE_##d)
#define ONNX_MASK_FLOATS (ONNX_MASK(FP32) | ONNX_MASK(FP64))
#define ONNX_MASK_INTS                                                                             \
    (ONNX_MASK(INT8) | ONNX_MASK(INT16) | ONNX_MASK(INT32) | ONNX_MASK(INT64) | ONNX_MASK(UINT8) | \
     ONNX_MASK(UINT16) | ONNX_MASK(UINT32) | ONNX_MASK(UINT64))
#define ONNX_MASK_NUMERIC (ONNX_MASK_FLOATS | ONNX_MASK_INTS)
#define ONNX_MASK_INDEX   (ONNX_MASK(INT32) | ONNX_MASK(INT64))
#define ONNX_MASK_STRING  ONNX_MASK(BYTES)

#endif
