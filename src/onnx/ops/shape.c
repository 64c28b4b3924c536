/* Shape (ai.onnx, since 1): the input's shape as a 1-D int64 tensor, sliced to [start, end) (opset
 * 15; negative values count from the end and are clamped). Reads only the input's shape, so the
 * planner evaluates it (and what follows from it) once per input shape. */
#include "onnx/op.h"

typedef struct shape_params {
    int64_t start, end;
    bool has_end;
} shape_params;

static ferry_status shape_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    shape_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    p->has_end = onnx_attr_find(n, "end") != NULL;
    ferry_status st = onnx_attr_int(n, "start", 0, &p->start, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "end", 0, &p->end, err);
    return st;
}

/* The clamped [lo, hi) of dimensions to report. */
static void shape_range(const shape_params *p, int rank, int64_t *lo, int64_t *hi)
{
    int64_t s = p->start < 0 ? p->start + rank : p->start;
    int64_t e = p->has_end ? (p->end < 0 ? p->end + rank : p->end) : rank;
    *lo = s < 0 ? 0 : s > rank ? rank : s;
    *hi = e < 0 ? 0 : e > rank ? rank : e;
    if (*hi < *lo)
        *hi = *lo;
}

static ferry_status shape_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    (void)err;
    int64_t lo, hi;
    shape_range(ctx->node->params, ctx->inputs[0]->ndim, &lo, &hi);
    int64_t dims[1] = {hi - lo};
    onnx_set_output(ctx, 0, FERRY_DTYPE_INT64, 1, dims);
    return FERRY_OK;
}

static ferry_status shape_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    (void)nth;
    int64_t lo, hi;
    shape_range(ctx->node->params, ctx->inputs[0]->ndim, &lo, &hi);
    for (int64_t d = lo; ith == 0 && d < hi; d++)
        ((int64_t *)ctx->outputs[0]->data)[d - lo] = ctx->inputs[0]->shape[d];
    return FERRY_OK;
}

const onnx_op onnx_op_shape_1 = {
    .domain = "",
    .op_type = "Shape",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_SHAPE_ONLY,
    .prepare = shape_prepare,
    .infer = shape_infer,
    .run = shape_run,
};
