/* Split (ai.onnx): cuts the input along `axis` (default 0; negative from opset 11, accepted from 1)
 * into one piece per output, of the sizes given by `split` or else equal. Three definitions:
 *   since 1 (and 2): `split` is an attribute (or, in opset 1 only, input 1);
 *   since 13: `split` is the optional int64 input 1, read while planning;
 *   since 18: as 13, and num_outputs splits into pieces of ceil(dim / num_outputs), the last
 *     one smaller.
 * Equal pieces must divide the dimension (except with num_outputs). Any dtype (strings too). */
#include <string.h>

#include "onnx/op.h"

/* Outputs a node may have (the sizes live on the stack). */
#define SPLIT_MAX_OUTPUTS 512

typedef struct split_params {
    int64_t axis;
    const int64_t *split; /* the attribute (opsets 1-12); NULL when absent */
    size_t n_split;
    int64_t num_outputs; /* opset 18; 0 when absent */
} split_params;

static ferry_status split_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    split_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    ferry_status st = onnx_attr_int(n, "axis", 0, &p->axis, err);
    if (st == FERRY_OK && n->op->since_version < 13)
        st = onnx_attr_ints(n, "split", &p->split, &p->n_split, err);
    if (st == FERRY_OK && n->op->since_version >= 18)
        st = onnx_attr_int(n, "num_outputs", 0, &p->num_outputs, err);
    if (st == FERRY_OK && p->num_outputs != 0 && p->num_outputs != (int64_t)n->n_outputs)
        st = onnx_node_error(err, FERRY_INVALID_ARG, n, "num_outputs is %lld but the node has %zu",
                             (long long)p->num_outputs, n->n_outputs);
    return st;
}

/* The axis and each output's size along it. */
static ferry_status split_sizes(const onnx_op_ctx *ctx, int *axis, int64_t *sizes, ferry_error *err)
{
    const split_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0], *s = onnx_in(ctx, 1);
    int64_t n = (int64_t)ctx->n_outputs;
    ferry_status st = onnx_axis(ctx, p->axis, x->ndim, axis, err);
    if (st == FERRY_OK)
        st = onnx_check_dtype(ctx, 1, ONNX_MASK(INT64), err);
    if (st == FERRY_OK && s != NULL && s->data == NULL)
        st = onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                             "split ('%s') depends on tensor values; ferry needs it known while "
                             "planning",
                             s->name);
    if (st != FERRY_OK)
        return st;
    int64_t dim = x->shape[*axis], total = 0;
    if (s != NULL || p->split != NULL) {
        const int64_t *v = s != NULL ? s->data : p->split;
        int64_t len = s != NULL ? onnx_numel(s) : (int64_t)p->n_split;
        if (len != n)
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "split has %lld entries for %lld outputs", (long long)len,
                                   (long long)n);
        for (int64_t k = 0; k < n; k++) {
            if (v[k] < 0 || v[k] > dim)
                return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "split[%lld] is %lld",
                                       (long long)k, (long long)v[k]);
            sizes[k] = v[k];
            total += v[k];
        }
    } else {
        int64_t piece = p->num_outputs != 0 ? (dim + n - 1) / n : dim / n;
        if (p->num_outputs == 0 && dim % n != 0)
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "a dimension of %lld does not split into %lld equal parts",
                                   (long long)dim, (long long)n);
        for (int64_t k = 0; k < n; k++) {
            sizes[k] = k < n - 1 ? piece : dim - total;
            total += sizes[k];
        }
        if (sizes[n - 1] < 0)
            total = -1;
    }
    if (total != dim)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "the pieces do not add up to the dimension of %lld", (long long)dim);
    return FERRY_OK;
}

static ferry_status split_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    if (ctx->n_outputs > SPLIT_MAX_OUTPUTS)
        return onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node, "too many outputs");
    int64_t sizes[SPLIT_MAX_OUTPUTS];
    int axis;
    ferry_status st = split_sizes(ctx, &axis, sizes, err);
    if (st != FERRY_OK)
        return st;
    int64_t shape[FERRY_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    for (size_t k = 0; k < ctx->n_outputs; k++) {
        shape[axis] = sizes[k];
        onnx_set_output(ctx, k, x->dtype, x->ndim, shape);
    }
    return FERRY_OK;
}

static ferry_status split_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    int64_t sizes[SPLIT_MAX_OUTPUTS];
    int axis;
    ferry_status st = split_sizes(ctx, &axis, sizes, err);
    if (st != FERRY_OK)
        return st;
    size_t size = onnx_elem_size(x->dtype);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < x->ndim; d++) {
        if (d < axis)
            outer *= x->shape[d];
        else if (d > axis)
            inner *= x->shape[d];
    }
    size_t row = (size_t)(x->shape[axis] * inner) * size;
    int64_t lo, hi;
    onnx_slice(outer, ith, nth, &lo, &hi);
    size_t at = 0;
    for (size_t k = 0; k < ctx->n_outputs; k++) {
        size_t block = (size_t)(sizes[k] * inner) * size;
        ferry_tensor *y = ctx->outputs[k];
        for (int64_t o = lo; y != NULL && block > 0 && o < hi; o++)
            memcpy((char *)y->data + (size_t)o * block,
                   (const char *)x->data + (size_t)o * row + at, block);
        at += block;
    }
    return FERRY_OK;
}

/* The three versions differ only in what prepare and split_sizes read (by since_version). */
#define SPLIT_OP(SINCE)                                                                            \
    const onnx_op onnx_op_split_##SINCE = {                                                        \
        .domain = "",                                                                              \
        .op_type = "Split",                                                                        \
        .since_version = SINCE,                                                                    \
        .min_inputs = 1,                                                                           \
        .max_inputs = 2,                                                                           \
        .min_outputs = 1,                                                                          \
        .max_outputs = SPLIT_MAX_OUTPUTS,                                                          \
        .flags = ONNX_OP_STRINGS,                                                                  \
        .value_inputs = 1u << 1,                                                                   \
        .prepare = split_prepare,                                                                  \
        .infer = split_infer,                                                                      \
        .run = split_run,                                                                          \
    };
SPLIT_OP(1)
SPLIT_OP(13)
SPLIT_OP(18)
