/* Reshape (ai.onnx, since 5): the input under the shape given by input 1 (int64), a view of its
 * memory. 0 copies the input's dimension (or means 0 with allowzero, opset 14) and one -1 is
 * inferred. The shape is read while planning: a constant, computed from shapes (Shape -> Gather ->
 * Concat), or a graph input (plans are then made per target shape); one computed from other
 * tensors' values is refused. Opset 1 (shape attribute) is not registered. */
#include "onnx/op.h"

typedef struct reshape_params {
    bool allow_zero;
} reshape_params;

static ferry_status reshape_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    reshape_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    int64_t allow_zero;
    ferry_status st = onnx_attr_int(n, "allowzero", 0, &allow_zero, err);
    p->allow_zero = allow_zero != 0;
    return st;
}

/* Fills shape from the requested one; fails on a second -1, a bad value or a size mismatch. */
static ferry_status resolve_shape(const onnx_op_ctx *ctx, const ferry_tensor *x,
                                  const ferry_tensor *s, int64_t *shape, ferry_error *err)
{
    const reshape_params *p = ctx->node->params;
    int64_t known = 1, infer_at = -1;
    int64_t n = onnx_numel(s);
    for (int64_t i = 0; i < n; i++) {
        int64_t v = onnx_int_at(s, i);
        if (v == 0 && !p->allow_zero) {
            if (i >= x->ndim)
                return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                       "shape[%lld] is 0 but the input has rank %d", (long long)i,
                                       x->ndim);
            v = x->shape[i];
        }
        if (v == -1 && infer_at < 0) {
            infer_at = i;
            continue;
        }
        if (v < 0)
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "shape[%lld] is %lld",
                                   (long long)i, (long long)v);
        shape[i] = v;
        known *= v;
    }
    int64_t total = onnx_numel(x);
    if (infer_at >= 0)
        shape[infer_at] = known != 0 ? total / known : 0;
    if ((infer_at >= 0 && known != 0 && total % known != 0) || (infer_at < 0 && known != total) ||
        (infer_at >= 0 && known == 0 && total != 0))
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "cannot reshape %lld elements to the requested shape",
                               (long long)total);
    return FERRY_OK;
}

static ferry_status reshape_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0], *s = ctx->inputs[1];
    ferry_status st = onnx_check_dtype(ctx, 1, ONNX_MASK(INT64), err);
    if (st != FERRY_OK)
        return st;
    if (s->data == NULL)
        return onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                               "the target shape '%s' depends on tensor values; ferry needs it "
                               "computable from shapes alone",
                               s->name);
    if (s->ndim != 1 || s->shape[0] > FERRY_MAX_DIMS)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "the target shape must be 1-D with at most %d values",
                               FERRY_MAX_DIMS);
    int64_t shape[FERRY_MAX_DIMS];
    st = resolve_shape(ctx, x, s, shape, err);
    if (st == FERRY_OK)
        onnx_set_output(ctx, 0, x->dtype, (int)s->shape[0], shape);
    return st;
}

const onnx_op onnx_op_reshape_5 = {
    .domain = "",
    .op_type = "Reshape",
    .since_version = 5,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_VIEW,
    .value_inputs = 1u << 1,
    .prepare = reshape_prepare,
    .infer = reshape_infer,
};
