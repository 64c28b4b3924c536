/* TopK (ai.onnx): the k largest (or, with largest = 0, smallest) elements along `axis` (default
 * -1) and their int64 indices, best first; equal values keep their order (the lower index first)
 * and NaN counts as larger than any number. Two definitions:
 *   since 1: k is an attribute;
 *   since 10: K is a one-element int64 input, read while planning (a constant, computed from
 *     shapes, or a graph input: plans are then made per value).
 * largest, sorted and negative axes (opset 11) are accepted from 1; with sorted = 0 the output is
 * sorted all the same. Every numeric dtype. Each thread keeps a heap of k indices in its scratch.
 */
#include <math.h>
#include <string.h>

#include "onnx/elementwise.h"

typedef struct top_k_params {
    int64_t axis, k; /* k: opset 1 */
    bool largest;
} top_k_params;

/* The lines searched: [outer, len, inner] around the axis, and k. */
typedef struct top_k_layout {
    int64_t outer, len, inner, k;
} top_k_layout;

static ferry_status top_k_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    top_k_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    int64_t largest, sorted;
    ferry_status st = onnx_attr_int(n, "axis", -1, &p->axis, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "largest", 1, &largest, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "sorted", 1, &sorted, err);
    if (st == FERRY_OK && n->op->since_version < 10) {
        if (onnx_attr_find(n, "k") == NULL)
            return onnx_node_error(err, FERRY_INVALID_ARG, n, "the k attribute is required");
        st = onnx_attr_int(n, "k", 0, &p->k, err);
    }
    p->largest = largest != 0;
    return st;
}

static ferry_status top_k_layout_of(const onnx_op_ctx *ctx, int *axis, top_k_layout *l,
                                    ferry_error *err)
{
    const top_k_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0], *k = onnx_in(ctx, 1);
    ferry_status st = onnx_axis(ctx, p->axis, x->ndim, axis, err);
    if (st == FERRY_OK && x->ndim == 0)
        st = onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "the input is a scalar");
    if (st == FERRY_OK && k != NULL) {
        st = onnx_check_dtype(ctx, 1, ONNX_MASK(INT64), err);
        if (st == FERRY_OK && (k->data == NULL || onnx_numel(k) != 1))
            st = onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                                 "K ('%s') must be one value known while planning", k->name);
    }
    if (st != FERRY_OK)
        return st;
    *l = (top_k_layout){1, x->shape[*axis], 1, k != NULL ? onnx_int_at(k, 0) : p->k};
    for (int d = 0; d < x->ndim; d++)
        if (d < *axis)
            l->outer *= x->shape[d];
        else if (d > *axis)
            l->inner *= x->shape[d];
    if (l->k < 0 || l->k > l->len)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "k is %lld for an axis of %lld elements", (long long)l->k,
                               (long long)l->len);
    return FERRY_OK;
}

static ferry_status top_k_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    top_k_layout l;
    int axis;
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK_NUMERIC, err);
    if (st == FERRY_OK)
        st = top_k_layout_of(ctx, &axis, &l, err);
    if (st != FERRY_OK)
        return st;
    int64_t shape[FERRY_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[axis] = l.k;
    onnx_set_output(ctx, 0, x->dtype, x->ndim, shape);
    onnx_set_output(ctx, 1, FERRY_DTYPE_INT64, x->ndim, shape);
    return FERRY_OK;
}

static size_t top_k_plan(const onnx_op_ctx *ctx)
{
    top_k_layout l;
    int axis;
    if (top_k_layout_of(ctx, &axis, &l, NULL) != FERRY_OK)
        return 0;
    return (size_t)l.k * sizeof(int64_t);
}

/* GT(a, b): a orders after b, NaN last for floats. BETTER(i, j) on a line v: index i wins over j.
 */
#define TOP_K_GT_F(a, b) ((a) > (b) || (isnan(a) && !isnan(b)))
#define TOP_K_GT_I(a, b) ((a) > (b))

/* Keeps a heap of the k best indices with the worst at the root, then sorts it best first. */
#define TOP_K_KERNEL(D, T, S, GT)                                                                  \
    static inline bool top_k_better_##S(const T *v, int64_t inner, bool largest, int64_t i,        \
                                        int64_t j)                                                 \
    {                                                                                              \
        T a = v[i * inner], b = v[j * inner];                                                      \
        if (largest ? GT(a, b) : GT(b, a))                                                         \
            return true;                                                                           \
        return !GT(a, b) && !GT(b, a) && i < j;                                                    \
    }                                                                                              \
    static void top_k_sift_##S(const T *v, int64_t inner, bool largest, int64_t *h, int64_t n,     \
                               int64_t at)                                                         \
    {                                                                                              \
        for (;;) {                                                                                 \
            int64_t worst = at, c = 2 * at + 1;                                                    \
            if (c < n && top_k_better_##S(v, inner, largest, h[worst], h[c]))                      \
                worst = c;                                                                         \
            if (c + 1 < n && top_k_better_##S(v, inner, largest, h[worst], h[c + 1]))              \
                worst = c + 1;                                                                     \
            if (worst == at)                                                                       \
                return;                                                                            \
            int64_t t = h[at];                                                                     \
            h[at] = h[worst];                                                                      \
            h[worst] = t;                                                                          \
            at = worst;                                                                            \
        }                                                                                          \
    }                                                                                              \
    static void top_k_##S(const top_k_layout *l, bool largest, const void *px, void *pvalues,      \
                          int64_t *indices, int64_t *h, int64_t lo, int64_t hi)                    \
    {                                                                                              \
        const int64_t k = l->k, inner = l->inner;                                                  \
        for (int64_t p = lo; p < hi; p++) {                                                        \
            int64_t o = p / inner, in = p % inner;                                                 \
            const T *v = (const T *)px + o * l->len * inner + in;                                  \
            for (int64_t i = 0; i < l->len; i++) {                                                 \
                if (i < k) { /* grow: sift the new leaf up */                                      \
                    int64_t at = i;                                                                \
                    h[at] = i;                                                                     \
                    while (at > 0 &&                                                               \
                           top_k_better_##S(v, inner, largest, h[(at - 1) / 2], h[at])) {          \
                        int64_t t = h[at];                                                         \
                        h[at] = h[(at - 1) / 2];                                                   \
                        h[(at - 1) / 2] = t;                                                       \
                        at = (at - 1) / 2;                                                         \
                    }                                                                              \
                } else if (top_k_better_##S(v, inner, largest, i, h[0])) {                         \
                    h[0] = i;                                                                      \
                    top_k_sift_##S(v, inner, largest, h, k, 0);                                    \
                }                                                                                  \
            }                                                                                      \
            for (int64_t n = k - 1; n > 0; n--) { /* the worst to the back */                      \
                int64_t t = h[0];                                                                  \
                h[0] = h[n];                                                                       \
                h[n] = t;                                                                          \
                top_k_sift_##S(v, inner, largest, h, n, 0);                                        \
            }                                                                                      \
            int64_t base = o * k * inner + in;                                                     \
            for (int64_t j = 0; j < k; j++) {                                                      \
                if (pvalues != NULL)                                                               \
                    ((T *)pvalues)[base + j * inner] = v[h[j] * inner];                            \
                if (indices != NULL)                                                               \
                    indices[base + j * inner] = h[j];                                              \
            }                                                                                      \
        }                                                                                          \
    }
#define TOP_K_FLOAT(D, T, UT, S) TOP_K_KERNEL(D, T, S, TOP_K_GT_F)
#define TOP_K_INT(D, T, UT, S)   TOP_K_KERNEL(D, T, S, TOP_K_GT_I)
ONNX_FLOAT_TYPES(TOP_K_FLOAT)
ONNX_INT_TYPES(TOP_K_INT)

typedef void (*top_k_kernel)(const top_k_layout *l, bool largest, const void *x, void *values,
                             int64_t *indices, int64_t *heap, int64_t lo, int64_t hi);

static const top_k_kernel top_k_kernels[FERRY_DTYPE_COUNT] = {
#define TOP_K_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = top_k_##S,
    ONNX_NUMERIC_TYPES(TOP_K_ROW)};

static ferry_status top_k_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const top_k_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    ferry_tensor *values = onnx_out(ctx, 0), *indices = onnx_out(ctx, 1);
    top_k_layout l;
    int axis;
    ferry_status st = top_k_layout_of(ctx, &axis, &l, err);
    if (st != FERRY_OK)
        return st;
    top_k_kernel k = top_k_kernels[x->dtype];
    if (k == NULL)
        return onnx_node_error(err, FERRY_INTERNAL, ctx->node, "no kernel for %s",
                               ferry_dtype_name(x->dtype));
    if (l.k == 0)
        return FERRY_OK;
    int64_t lo, hi;
    onnx_slice(l.outer * l.inner, ith, nth, &lo, &hi);
    k(&l, p->largest, x->data, values != NULL ? values->data : NULL,
      indices != NULL ? indices->data : NULL, onnx_scratch(ctx, ith), lo, hi);
    return FERRY_OK;
}

const onnx_op onnx_op_top_k_1 = {
    .domain = "",
    .op_type = "TopK",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 2,
    .max_outputs = 2,
    .prepare = top_k_prepare,
    .infer = top_k_infer,
    .plan = top_k_plan,
    .run = top_k_run,
};

const onnx_op onnx_op_top_k_10 = {
    .domain = "",
    .op_type = "TopK",
    .since_version = 10,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 2,
    .max_outputs = 2,
    .value_inputs = 1u << 1,
    .prepare = top_k_prepare,
    .infer = top_k_infer,
    .plan = top_k_plan,
    .run = top_k_run,
};
