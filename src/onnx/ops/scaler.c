/* Scaler (ai.onnx.ml, since 1): y = (x - offset) * scale as float, for float, double, int64 and
 * int32 inputs. offset and scale each hold one value per feature or one for all (an absent one is
 * 0 or 1). Feature j of flattened element i is i mod F, F being dimension 1 (dimension 0 of a
 * vector), as ONNX Runtime counts. */
#include "onnx/ml_common.h"

typedef struct scaler_params {
    const float *offset, *scale;
    size_t n_offset, n_scale;
} scaler_params;

static ferry_status scaler_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    scaler_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    ferry_status st = onnx_attr_floats(n, "offset", &p->offset, &p->n_offset, err);
    if (st == FERRY_OK)
        st = onnx_attr_floats(n, "scale", &p->scale, &p->n_scale, err);
    return st;
}

/* Features per row as ONNX Runtime counts them. */
static int64_t scaler_stride(const ferry_tensor *x)
{
    return x->ndim == 1 ? x->shape[0] : x->shape[1];
}

static ferry_status scaler_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const scaler_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_ML_MASK_FEATURES, err);
    if (st != FERRY_OK)
        return st;
    if (x->ndim < 1)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "X must have a dimension");
    int64_t f = scaler_stride(x);
    if ((p->n_offset > 1 && (int64_t)p->n_offset != f) ||
        (p->n_scale > 1 && (int64_t)p->n_scale != f))
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "offset (%zu values) and scale (%zu) must hold 1 value or one per "
                               "feature (%lld)",
                               p->n_offset, p->n_scale, (long long)f);
    onnx_set_output(ctx, 0, FERRY_DTYPE_FP32, x->ndim, x->shape);
    return FERRY_OK;
}

#define SCALE(T, ACC)                                                                              \
    do {                                                                                           \
        const T *x = ctx->inputs[0]->data;                                                         \
        for (int64_t i = lo; i < hi; i++) {                                                        \
            int64_t j = f > 0 ? i % f : 0;                                                         \
            ACC o = p->n_offset == 0 ? 0 : p->offset[p->n_offset > 1 ? j : 0];                     \
            ACC s = p->n_scale == 0 ? 1 : p->scale[p->n_scale > 1 ? j : 0];                        \
            y[i] = (float)(((ACC)x[i] - o) * s);                                                   \
        }                                                                                          \
    } while (0)

static ferry_status scaler_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const scaler_params *p = ctx->node->params;
    int64_t f = scaler_stride(ctx->inputs[0]);
    float *y = ctx->outputs[0]->data;
    int64_t lo, hi;
    onnx_slice(onnx_numel(ctx->inputs[0]), ith, nth, &lo, &hi);
    switch (ctx->inputs[0]->dtype) {
    case FERRY_DTYPE_FP32:
        SCALE(float, float);
        break;
    case FERRY_DTYPE_FP64:
        SCALE(double, double);
        break;
    case FERRY_DTYPE_INT64:
        SCALE(int64_t, double);
        break;
    default:
        SCALE(int32_t, double);
        break;
    }
    return FERRY_OK;
}

const onnx_op onnx_op_scaler_1 = {
    .domain = ONNX_ML_DOMAIN,
    .op_type = "Scaler",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = scaler_prepare,
    .infer = scaler_infer,
    .run = scaler_run,
};
