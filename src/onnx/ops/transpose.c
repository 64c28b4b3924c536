/* Transpose (ai.onnx, since 1): permutes dimensions (`perm`, default reversed) for tensors of any
 * dtype, moving elements by size (1, 2, 4 or 8 bytes, or a string's 16-byte (pointer, length)). */
#include <string.h>

#include "onnx/op.h"

static ferry_status transpose_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    (void)g;
    const int64_t *perm;
    size_t len;
    return onnx_attr_ints(n, "perm", &perm, &len, err);
}

/* The permutation for a rank: the attribute, checked, or the reversal. */
static ferry_status perm_of(const onnx_op_ctx *ctx, int rank, int *perm, ferry_error *err)
{
    const int64_t *p;
    size_t len;
    ferry_status st = onnx_attr_ints(ctx->node, "perm", &p, &len, err);
    if (st != FERRY_OK)
        return st;
    if (p != NULL && len != (size_t)rank)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "perm has %zu entries for rank %d", len, rank);
    bool seen[FERRY_MAX_DIMS] = {false};
    for (int d = 0; d < rank; d++) {
        int64_t v = p != NULL ? p[d] : rank - 1 - d;
        if (v < 0 || v >= rank || seen[v])
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "perm is not a permutation of 0..%d", rank - 1);
        seen[v] = true;
        perm[d] = (int)v;
    }
    return FERRY_OK;
}

static ferry_status transpose_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    int perm[FERRY_MAX_DIMS];
    ferry_status st = perm_of(ctx, x->ndim, perm, err);
    if (st != FERRY_OK)
        return st;
    int64_t shape[FERRY_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++)
        shape[d] = x->shape[perm[d]];
    onnx_set_output(ctx, 0, x->dtype, x->ndim, shape);
    return FERRY_OK;
}

#define TRANSPOSE_KERNEL(T, S)                                                                     \
    static void transpose_##S(const T *x, T *y, int ndim, const int64_t *shape,                    \
                              const int64_t *stride, int64_t lo, int64_t hi)                       \
    {                                                                                              \
        int64_t idx[FERRY_MAX_DIMS], off = 0, rest = lo;                                           \
        for (int d = ndim - 1; d >= 0; d--) {                                                      \
            idx[d] = rest % shape[d];                                                              \
            rest /= shape[d];                                                                      \
            off += idx[d] * stride[d];                                                             \
        }                                                                                          \
        for (int64_t i = lo; i < hi; i++) {                                                        \
            y[i] = x[off];                                                                         \
            for (int d = ndim - 1; d >= 0; d--) {                                                  \
                off += stride[d];                                                                  \
                if (++idx[d] < shape[d])                                                           \
                    break;                                                                         \
                off -= stride[d] * shape[d];                                                       \
                idx[d] = 0;                                                                        \
            }                                                                                      \
        }                                                                                          \
    }
TRANSPOSE_KERNEL(uint8_t, 1)
TRANSPOSE_KERNEL(uint16_t, 2)
TRANSPOSE_KERNEL(uint32_t, 4)
TRANSPOSE_KERNEL(uint64_t, 8)
TRANSPOSE_KERNEL(onnx_string, 16)

static ferry_status transpose_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    ferry_tensor *y = ctx->outputs[0];
    int perm[FERRY_MAX_DIMS];
    ferry_status st = perm_of(ctx, x->ndim, perm, err);
    if (st != FERRY_OK)
        return st;
    int64_t in_stride[FERRY_MAX_DIMS], stride[FERRY_MAX_DIMS], s = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        in_stride[d] = s;
        s *= x->shape[d];
    }
    for (int d = 0; d < x->ndim; d++)
        stride[d] = in_stride[perm[d]];
    int64_t lo, hi;
    onnx_slice(onnx_numel(y), ith, nth, &lo, &hi);
    if (lo >= hi)
        return FERRY_OK;
    switch (onnx_elem_size(x->dtype)) {
    case 1:
        transpose_1(x->data, y->data, y->ndim, y->shape, stride, lo, hi);
        break;
    case 2:
        transpose_2(x->data, y->data, y->ndim, y->shape, stride, lo, hi);
        break;
    case 4:
        transpose_4(x->data, y->data, y->ndim, y->shape, stride, lo, hi);
        break;
    case 8:
        transpose_8(x->data, y->data, y->ndim, y->shape, stride, lo, hi);
        break;
    default:
        transpose_16(x->data, y->data, y->ndim, y->shape, stride, lo, hi);
        break;
    }
    return FERRY_OK;
}

const onnx_op onnx_op_transpose_1 = {
    .domain = "",
    .op_type = "Transpose",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_STRINGS,
    .prepare = transpose_prepare,
    .infer = transpose_infer,
    .run = transpose_run,
};
