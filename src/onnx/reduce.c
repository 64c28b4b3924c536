/* Axes, output shapes and layouts of the reduction ops; see reduce.h. */
#include "onnx/reduce.h"

#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Reduce*                                                                                      */
/* ------------------------------------------------------------------------------------------ */

ferry_status onnx_reduce_prepare(onnx_graph *g, onnx_node *n, bool axes_input, ferry_error *err)
{
    onnx_reduce_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    p->axes_input = axes_input;
    int64_t keepdims, noop;
    ferry_status st = onnx_attr_int(n, "keepdims", 1, &keepdims, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "noop_with_empty_axes", 0, &noop, err);
    if (st == FERRY_OK && !axes_input)
        st = onnx_attr_ints(n, "axes", &p->axes, &p->n_axes, err);
    if (st != FERRY_OK)
        return st;
    p->keepdims = keepdims != 0;
    p->noop_with_empty_axes = axes_input && noop != 0;
    return FERRY_OK;
}

/* The reduced dimensions of input 0 in reduce[]; *noop when nothing is reduced by request. */
static ferry_status reduce_axes(const onnx_op_ctx *ctx, bool *reduce, bool *noop, ferry_error *err)
{
    const onnx_reduce_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0], *a = p->axes_input ? onnx_in(ctx, 1) : NULL;
    const int64_t *axes = p->axes;
    int64_t n = (int64_t)p->n_axes;
    if (a != NULL) {
        ferry_status st = onnx_check_dtype(ctx, 1, ONNX_MASK(INT64), err);
        if (st != FERRY_OK)
            return st;
        if (a->data == NULL || a->ndim > 1 || onnx_numel(a) > FERRY_MAX_DIMS)
            return onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                                   "axes must be a short 1-D tensor known while planning; '%s' "
                                   "depends on tensor values",
                                   a->name);
        axes = a->data;
        n = onnx_numel(a);
    }
    *noop = n == 0 && p->noop_with_empty_axes;
    for (int d = 0; d < x->ndim; d++)
        reduce[d] = n == 0 && !*noop;
    for (int64_t i = 0; i < n; i++) {
        int64_t v = axes[i] < 0 ? axes[i] + x->ndim : axes[i];
        if (v < 0 || v >= x->ndim || reduce[v])
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "axis %lld is out of range for rank %d or repeated",
                                   (long long)axes[i], x->ndim);
        reduce[v] = true;
    }
    return FERRY_OK;
}

ferry_status onnx_reduce_infer(const onnx_op_ctx *ctx, uint32_t mask, ferry_error *err)
{
    const onnx_reduce_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    bool reduce[FERRY_MAX_DIMS], noop;
    ferry_status st = onnx_check_dtype(ctx, 0, mask, err);
    if (st == FERRY_OK)
        st = reduce_axes(ctx, reduce, &noop, err);
    if (st != FERRY_OK)
        return st;
    int64_t shape[FERRY_MAX_DIMS];
    int rank = 0;
    for (int d = 0; d < x->ndim; d++)
        if (!reduce[d])
            shape[rank++] = x->shape[d];
        else if (p->keepdims)
            shape[rank++] = 1;
    onnx_set_output(ctx, 0, x->dtype, rank, shape);
    return FERRY_OK;
}

ferry_status onnx_reduce_layout_of(const onnx_op_ctx *ctx, onnx_reduce_layout *l, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    bool reduce[FERRY_MAX_DIMS];
    memset(l, 0, sizeof *l);
    ferry_status st = reduce_axes(ctx, reduce, &l->copy, err);
    if (st != FERRY_OK)
        return st;
    int n = 0; /* groups, the tail included */
    int64_t size[FERRY_MAX_DIMS];
    bool kept[FERRY_MAX_DIMS];
    l->count = 1;
    for (int d = 0; d < x->ndim; d++) {
        if (reduce[d])
            l->count *= x->shape[d];
        if (x->shape[d] == 1)
            continue;
        if (n > 0 && kept[n - 1] == !reduce[d]) {
            size[n - 1] *= x->shape[d];
            continue;
        }
        size[n] = x->shape[d];
        kept[n++] = !reduce[d];
    }
    if (n == 0) { /* one element: a copy */
        size[0] = 1;
        kept[n++] = true;
    }
    l->n_groups = n - 1;
    l->tail = size[n - 1];
    l->tail_kept = kept[n - 1];
    l->rows = 1;
    l->reduced = 1;
    int64_t stride = l->tail;
    for (int g = n - 2; g >= 0; g--) {
        l->size[g] = size[g];
        l->kept[g] = kept[g];
        l->stride[g] = stride;
        stride *= size[g];
        if (kept[g])
            l->rows *= size[g];
        else
            l->reduced *= size[g];
    }
    if (!l->tail_kept && l->tail == 0)
        l->reduced = 0;
    return FERRY_OK;
}

ferry_status onnx_reduce_run(const onnx_op_ctx *ctx, int ith, int nth,
                             const onnx_reduce_kernel *kernels, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    ferry_tensor *y = ctx->outputs[0];
    onnx_reduce_layout l;
    ferry_status st = onnx_reduce_layout_of(ctx, &l, err);
    if (st != FERRY_OK)
        return st;
    int64_t lo, hi;
    if (l.copy) {
        size_t size = ferry_dtype_size(x->dtype);
        onnx_slice(onnx_numel(x), ith, nth, &lo, &hi);
        if (hi > lo)
            memcpy((char *)y->data + (size_t)lo * size, (const char *)x->data + (size_t)lo * size,
                   (size_t)(hi - lo) * size);
        return FERRY_OK;
    }
    onnx_reduce_kernel k = kernels[x->dtype];
    if (k == NULL)
        return onnx_node_error(err, FERRY_INTERNAL, ctx->node, "no kernel for %s",
                               ferry_dtype_name(x->dtype));
    if (onnx_numel(y) == 0)
        return FERRY_OK;
    onnx_slice(l.rows, ith, nth, &lo, &hi);
    k(&l, x->data, y->data, lo, hi);
    return FERRY_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* ArgMax, ArgMin                                                                               */
/* ------------------------------------------------------------------------------------------ */

ferry_status onnx_arg_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    onnx_arg_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    int64_t keepdims, last;
    ferry_status st = onnx_attr_int(n, "axis", 0, &p->axis, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "keepdims", 1, &keepdims, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "select_last_index", 0, &last, err);
    if (st != FERRY_OK)
        return st;
    p->keepdims = keepdims != 0;
    p->select_last_index = last != 0;
    return FERRY_OK;
}

static ferry_status arg_layout(const onnx_op_ctx *ctx, int *axis, onnx_arg_layout *l,
                               ferry_error *err)
{
    const onnx_arg_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    ferry_status st = onnx_axis(ctx, p->axis, x->ndim, axis, err);
    if (st != FERRY_OK)
        return st;
    if (x->ndim == 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "the input is a scalar");
    *l = (onnx_arg_layout){1, x->shape[*axis], 1};
    for (int d = 0; d < x->ndim; d++)
        if (d < *axis)
            l->outer *= x->shape[d];
        else if (d > *axis)
            l->inner *= x->shape[d];
    return FERRY_OK;
}

ferry_status onnx_arg_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const onnx_arg_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    int axis;
    onnx_arg_layout l;
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK_NUMERIC, err);
    if (st == FERRY_OK)
        st = arg_layout(ctx, &axis, &l, err);
    if (st != FERRY_OK)
        return st;
    if (l.len == 0 && l.outer * l.inner > 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "cannot pick an index along an empty axis %d", axis);
    int64_t shape[FERRY_MAX_DIMS];
    int rank = 0;
    for (int d = 0; d < x->ndim; d++)
        if (d != axis)
            shape[rank++] = x->shape[d];
        else if (p->keepdims)
            shape[rank++] = 1;
    onnx_set_output(ctx, 0, FERRY_DTYPE_INT64, rank, shape);
    return FERRY_OK;
}

ferry_status onnx_arg_run(const onnx_op_ctx *ctx, int ith, int nth, const onnx_arg_kernel *kernels,
                          ferry_error *err)
{
    const onnx_arg_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    int axis;
    onnx_arg_layout l;
    ferry_status st = arg_layout(ctx, &axis, &l, err);
    if (st != FERRY_OK)
        return st;
    onnx_arg_kernel k = kernels[x->dtype];
    if (k == NULL)
        return onnx_node_error(err, FERRY_INTERNAL, ctx->node, "no kernel for %s",
                               ferry_dtype_name(x->dtype));
    int64_t lo, hi;
    onnx_slice(l.len > 0 ? l.outer * l.inner : 0, ith, nth, &lo, &hi);
    k(&l, x->data, ctx->outputs[0]->data, p->select_last_index, lo, hi);
    return FERRY_OK;
}
