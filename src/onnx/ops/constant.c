/* Constant (ai.onnx, since 1): a tensor from the node's attributes: `value` (a TensorProto, raw or
 * typed fields, strings too), or from opset 12 `value_float(s)`, `value_int(s)` and
 * `value_string(s)`. sparse_value is refused at load. Strings point at the attribute's bytes in
 * graph memory. The model folds every Constant at load, so run copies only in tests. */
#include <string.h>

#include "onnx/op.h"

/* Builds a 0-D or 1-D tensor of `count` elements of `dtype` from src in graph memory. */
static ferry_status small_tensor(onnx_graph *g, onnx_node *n, ferry_dtype dtype, const void *src,
                                 size_t count, bool scalar, ferry_tensor *t, ferry_error *err)
{
    size_t bytes = count * ferry_dtype_size(dtype);
    *t = (ferry_tensor){.dtype = dtype,
                        .ndim = scalar ? 0 : 1,
                        .shape = {(int64_t)count},
                        .nbytes = bytes,
                        .data = onnx_graph_alloc(g, bytes)};
    if (t->data == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    if (bytes > 0)
        memcpy(t->data, src, bytes);
    return FERRY_OK;
}

/* A 0-D (value_string) or 1-D (value_strings) string tensor pointing at the attribute's copies. */
static ferry_status string_tensor(onnx_graph *g, onnx_node *n, const onnx_attr *a, bool scalar,
                                  ferry_tensor *t, ferry_error *err)
{
    size_t count = scalar ? 1 : a->n;
    onnx_string *s = onnx_graph_alloc(g, count * sizeof *s);
    if (s == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    for (size_t i = 0; i < count; i++)
        s[i] = scalar ? (onnx_string){.data = a->s, .len = a->s_len}
                      : (onnx_string){.data = a->strings[i], .len = a->lens[i]};
    *t = (ferry_tensor){.dtype = FERRY_DTYPE_BYTES,
                        .ndim = scalar ? 0 : 1,
                        .shape = {(int64_t)count},
                        .nbytes = count * sizeof *s,
                        .data = s};
    return FERRY_OK;
}

static ferry_status constant_from_attr(onnx_graph *g, onnx_node *n, const onnx_attr *a,
                                       ferry_tensor *t, ferry_error *err)
{
    if (strcmp(a->name, "value") == 0 && a->type == ONNX_ATTR_TENSOR) {
        *t = a->t;
        return FERRY_OK;
    }
    if (strcmp(a->name, "value_float") == 0 && a->type == ONNX_ATTR_FLOAT)
        return small_tensor(g, n, FERRY_DTYPE_FP32, &a->f, 1, true, t, err);
    if (strcmp(a->name, "value_int") == 0 && a->type == ONNX_ATTR_INT)
        return small_tensor(g, n, FERRY_DTYPE_INT64, &a->i, 1, true, t, err);
    if (strcmp(a->name, "value_floats") == 0 && a->type == ONNX_ATTR_FLOATS)
        return small_tensor(g, n, FERRY_DTYPE_FP32, a->floats, a->n, false, t, err);
    if (strcmp(a->name, "value_ints") == 0 && a->type == ONNX_ATTR_INTS)
        return small_tensor(g, n, FERRY_DTYPE_INT64, a->ints, a->n, false, t, err);
    if (strcmp(a->name, "value_string") == 0 && a->type == ONNX_ATTR_STRING)
        return string_tensor(g, n, a, true, t, err);
    if (strcmp(a->name, "value_strings") == 0 && a->type == ONNX_ATTR_STRINGS)
        return string_tensor(g, n, a, false, t, err);
    return onnx_node_error(err, FERRY_UNSUPPORTED, n, "attribute '%s' is not supported", a->name);
}

static ferry_status constant_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    if (n->n_attrs != 1)
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "needs exactly one value attribute; it has %zu", n->n_attrs);
    ferry_tensor *t = onnx_graph_alloc(g, sizeof *t);
    if (t == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = t;
    return constant_from_attr(g, n, &n->attrs[0], t, err);
}

static ferry_status constant_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    (void)err;
    const ferry_tensor *t = ctx->node->params;
    onnx_set_output(ctx, 0, t->dtype, t->ndim, t->shape);
    return FERRY_OK;
}

static ferry_status constant_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const ferry_tensor *t = ctx->node->params;
    if (ith == 0 && nth > 0 && t->nbytes > 0)
        memcpy(ctx->outputs[0]->data, t->data, t->nbytes);
    return FERRY_OK;
}

const onnx_op onnx_op_constant_1 = {
    .domain = "",
    .op_type = "Constant",
    .since_version = 1,
    .min_inputs = 0,
    .max_inputs = 0,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_STRINGS,
    .prepare = constant_prepare,
    .infer = constant_infer,
    .run = constant_run,
};
