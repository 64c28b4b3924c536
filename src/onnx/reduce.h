/* Shared machinery for the reduction op files: the Reduce* ops (ReduceSum, ReduceMean, ReduceMax,
 * ReduceMin, ReduceProd) over a set of axes given as an attribute (opset 1) or as input 1
 * (ReduceSum 13, the others 18; read while planning), with keepdims and noop_with_empty_axes; and
 * ArgMax and ArgMin over one axis. An op file writes its scalar steps and lets ONNX_REDUCE_KERNEL
 * or ONNX_ARG_KERNEL generate the loops. */
#ifndef FERRY_ONNX_REDUCE_H
#define FERRY_ONNX_REDUCE_H

#include <stdbool.h>
#include <stdint.h>

#include "onnx/op.h"

/* ---- Reduce* ---- */

/* A Reduce* node's attributes, parsed at load into node->params. */
typedef struct onnx_reduce_params {
    bool keepdims;
    bool noop_with_empty_axes;
    bool axes_input; /* the axes come from input 1 (ReduceSum 13, the others 18) */
    size_t n_axes;   /* the axes attribute (older versions); NULL when absent */
    const int64_t *axes;
} onnx_reduce_params;

/* The input as the kernels walk it: size-1 dimensions dropped, neighbours that are both reduced or
 * both kept merged into groups, the innermost group (`tail`, contiguous) split off. Output row o
 * is one output element when the tail is reduced, `tail` consecutive ones when it is kept; it
 * combines the input at every position of the reduced outer groups. */
typedef struct onnx_reduce_layout {
    int n_groups; /* outer groups, outermost first */
    int64_t size[FERRY_MAX_DIMS];
    int64_t stride[FERRY_MAX_DIMS]; /* input elements */
    bool kept[FERRY_MAX_DIMS];
    int64_t tail;
    bool tail_kept;
    int64_t rows;    /* output rows */
    int64_t reduced; /* positions of the reduced outer groups */
    int64_t count;   /* input elements combined into each output element */
    bool copy;       /* noop_with_empty_axes and no axes: the output is the input */
} onnx_reduce_layout;

/* Parses keepdims, noop_with_empty_axes and (unless axes_input) the axes attribute into a new
 * onnx_reduce_params at node->params. Fails naming the node for a mistyped attribute. */
ferry_status onnx_reduce_prepare(onnx_graph *g, onnx_node *n, bool axes_input,
                                 ferry_error *err) FERRY_MUST_CHECK;

/* Checks input 0's dtype against `mask` and the axes (input 1 must be known while planning: a
 * constant, computed from shapes or a by-value graph input), and sets output 0: input 0's dtype,
 * reduced dimensions 1 (keepdims) or dropped. Fails naming the node for a bad or repeated axis. */
ferry_status onnx_reduce_infer(const onnx_op_ctx *ctx, uint32_t mask,
                               ferry_error *err) FERRY_MUST_CHECK;

/* Works out the layout for the node's inputs (as onnx_reduce_infer checked them). */
ferry_status onnx_reduce_layout_of(const onnx_op_ctx *ctx, onnx_reduce_layout *l,
                                   ferry_error *err) FERRY_MUST_CHECK;

/* Reduces output rows [lo, hi) of y from x. */
typedef void (*onnx_reduce_kernel)(const onnx_reduce_layout *l, const void *x, void *y, int64_t lo,
                                   int64_t hi);

/* Runs kernels[input dtype] over this thread's output rows (or copies, for a no-op). */
ferry_status onnx_reduce_run(const onnx_op_ctx *ctx, int ith, int nth,
                             const onnx_reduce_kernel *kernels, ferry_error *err) FERRY_MUST_CHECK;

/* Input offset of output row o (kept = true) or of reduced position r (kept = false). */
static inline int64_t onnx_reduce_offset(const onnx_reduce_layout *l, int64_t i, bool kept)
{
    int64_t off = 0;
    for (int g = l->n_groups - 1; g >= 0; g--)
        if (l->kept[g] == kept) {
            off += (i % l->size[g]) * l->stride[g];
            i /= l->size[g];
        }
    return off;
}

/* Defines `static void NAME(...)`, an onnx_reduce_kernel: each output element starts at INIT, takes
 * in every input element with `acc = STEP(acc, x)` and ends as FINAL(acc, count). A kept tail
 * accumulates a row of outputs at a time (the inner loop vectorizes); a reduced tail, a scalar. */
#define ONNX_REDUCE_KERNEL(NAME, T, INIT, STEP, FINAL)                                             \
    static void NAME(const onnx_reduce_layout *l, const void *px, void *py, int64_t lo,            \
                     int64_t hi)                                                                   \
    {                                                                                              \
        const T *x = px;                                                                           \
        T *y = py;                                                                                 \
        const int64_t tail = l->tail;                                                              \
        for (int64_t o = lo; o < hi; o++) {                                                        \
            const T *xo = x + onnx_reduce_offset(l, o, true);                                      \
            if (l->tail_kept) {                                                                    \
                T *yr = y + o * tail;                                                              \
                for (int64_t j = 0; j < tail; j++)                                                 \
                    yr[j] = (INIT);                                                                \
                for (int64_t r = 0; r < l->reduced; r++) {                                         \
                    const T *xr = xo + onnx_reduce_offset(l, r, false);                            \
                    for (int64_t j = 0; j < tail; j++)                                             \
                        yr[j] = STEP(yr[j], xr[j]);                                                \
                }                                                                                  \
                for (int64_t j = 0; j < tail; j++)                                                 \
                    yr[j] = FINAL(yr[j], l->count);                                                \
            } else {                                                                               \
                T acc = (INIT);                                                                    \
                for (int64_t r = 0; r < l->reduced; r++) {                                         \
                    const T *xr = xo + onnx_reduce_offset(l, r, false);                            \
                    for (int64_t j = 0; j < tail; j++)                                             \
                        acc = STEP(acc, xr[j]);                                                    \
                }                                                                                  \
                y[o] = FINAL(acc, l->count);                                                       \
            }                                                                                      \
        }                                                                                          \
    }

/* ---- ArgMax, ArgMin ---- */

/* An ArgMax/ArgMin node's attributes, parsed at load into node->params. */
typedef struct onnx_arg_params {
    int64_t axis;
    bool keepdims;
    bool select_last_index;
} onnx_arg_params;

/* The input as [outer, len, inner] around the axis. */
typedef struct onnx_arg_layout {
    int64_t outer, len, inner;
} onnx_arg_layout;

/* Parses axis (default 0), keepdims (1) and select_last_index (0; opset 12, accepted from 1). */
ferry_status onnx_arg_prepare(onnx_graph *g, onnx_node *n, ferry_error *err) FERRY_MUST_CHECK;

/* Checks input 0 (numeric; the axis non-empty) and sets output 0: int64, the axis 1 or dropped. */
ferry_status onnx_arg_infer(const onnx_op_ctx *ctx, ferry_error *err) FERRY_MUST_CHECK;

/* Writes the index of the winner of each (outer, inner) position in [lo, hi). */
typedef void (*onnx_arg_kernel)(const onnx_arg_layout *l, const void *x, int64_t *y, bool last,
                                int64_t lo, int64_t hi);

/* Runs kernels[input dtype] over this thread's output elements. */
ferry_status onnx_arg_run(const onnx_op_ctx *ctx, int ith, int nth, const onnx_arg_kernel *kernels,
                          ferry_error *err) FERRY_MUST_CHECK;

/* Defines `static void NAME(...)`, an onnx_arg_kernel where `BETTER(a, b)` says a beats b; with
 * `last` ties go to the later index, else to the first. */
#define ONNX_ARG_KERNEL(NAME, T, BETTER)                                                           \
    static void NAME(const onnx_arg_layout *l, const void *px, int64_t *y, bool last, int64_t lo,  \
                     int64_t hi)                                                                   \
    {                                                                                              \
        const T *x = px;                                                                           \
        for (int64_t p = lo; p < hi; p++) {                                                        \
            const T *v = x + (p / l->inner) * l->len * l->inner + p % l->inner;                    \
            int64_t best = 0;                                                                      \
            for (int64_t i = 1; i < l->len; i++) {                                                 \
                T a = v[i * l->inner], b = v[best * l->inner];                                     \
                if (BETTER(a, b) || (last && !BETTER(b, a)))                                       \
                    best = i;                                                                      \
            }                                                                                      \
            y[p] = best;                                                                           \
        }                                                                                          \
    }

#endif
