/* Shapes and the pairwise fold of the variadic element-wise ops; see variadic.h. */
#include "onnx/variadic.h"

#include <string.h>

ferry_status onnx_variadic_infer(const onnx_op_ctx *ctx, uint32_t mask, bool broadcast,
                                 ferry_error *err)
{
    const ferry_tensor *first = ctx->inputs[0];
    ferry_status st = onnx_check_dtype(ctx, 0, mask, err);
    for (size_t i = 1; st == FERRY_OK && i < ctx->n_inputs; i++)
        st = ctx->inputs[i] == NULL
                 ? onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "input %zu is omitted", i)
                 : onnx_check_same_dtype(ctx, 0, i, err);
    if (st != FERRY_OK)
        return st;
    ferry_tensor acc = {.ndim = first->ndim}; /* the shape of the inputs so far */
    memcpy(acc.shape, first->shape, sizeof acc.shape);
    size_t bad = 0;
    for (size_t i = 1; bad == 0 && i < ctx->n_inputs; i++) {
        const ferry_tensor *x = ctx->inputs[i], *pair[2] = {&acc, x};
        int ndim, bad_a, bad_b;
        int64_t shape[FERRY_MAX_DIMS];
        bool ok = broadcast ? onnx_broadcast_shape(pair, 2, &ndim, shape, &bad_a, &bad_b)
                            : x->ndim == acc.ndim &&
                                  memcmp(x->shape, acc.shape, (size_t)x->ndim * sizeof *shape) == 0;
        if (!ok)
            bad = i;
        else if (broadcast) {
            acc.ndim = ndim;
            memcpy(acc.shape, shape, sizeof shape);
        }
    }
    if (bad != 0)
        return onnx_node_error(
            err, FERRY_INVALID_ARG, ctx->node, "input '%s' does not %s the inputs before it",
            ctx->inputs[bad]->name, broadcast ? "broadcast with" : "have the shape of");
    onnx_set_output(ctx, 0, first->dtype, acc.ndim, acc.shape);
    return FERRY_OK;
}

ferry_status onnx_variadic_run(const onnx_op_ctx *ctx, int ith, int nth,
                               const onnx_fold_kernel *kernels, int64_t *lo, int64_t *hi,
                               ferry_error *err)
{
    ferry_tensor *y = ctx->outputs[0];
    onnx_slice(onnx_numel(y), ith, nth, lo, hi);
    if (*lo >= *hi)
        return FERRY_OK;
    if (ctx->n_inputs == 1) { /* same shape as the output */
        size_t size = ferry_dtype_size(y->dtype);
        memcpy((char *)y->data + (size_t)*lo * size,
               (const char *)ctx->inputs[0]->data + (size_t)*lo * size, (size_t)(*hi - *lo) * size);
        return FERRY_OK;
    }
    onnx_fold_kernel k = kernels[y->dtype];
    if (k == NULL)
        return onnx_node_error(err, FERRY_INTERNAL, ctx->node, "no kernel for %s",
                               ferry_dtype_name(y->dtype));
    onnx_broadcast bc;
    onnx_broadcast_init(&bc, ctx->inputs, 2, y);
    k(&bc, ctx->inputs[0]->data, ctx->inputs[1]->data, y->data, *lo, *hi);
    for (size_t i = 2; i < ctx->n_inputs; i++) {
        const ferry_tensor *pair[2] = {y, ctx->inputs[i]};
        onnx_broadcast_init(&bc, pair, 2, y);
        k(&bc, y->data, ctx->inputs[i]->data, y->data, *lo, *hi);
    }
    return FERRY_OK;
}
