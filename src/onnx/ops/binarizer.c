/* Binarizer (ai.onnx.ml, since 1): y = 1 where x > threshold (default 0.0), else 0, in x's dtype
 * (float, double, int64, int32). NaN maps to 0 (ONNX Runtime fails the request on NaN; ferry
 * answers as numpy and scikit-learn do). */
#include "onnx/ml_common.h"

typedef struct binarizer_params {
    float threshold;
} binarizer_params;

static ferry_status binarizer_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    binarizer_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    return onnx_attr_float(n, "threshold", 0.0f, &p->threshold, err);
}

static ferry_status binarizer_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_ML_MASK_FEATURES, err);
    if (st == FERRY_OK)
        onnx_set_output(ctx, 0, x->dtype, x->ndim, x->shape);
    return st;
}

#define BINARIZE(T)                                                                                \
    do {                                                                                           \
        const T *x = ctx->inputs[0]->data;                                                         \
        T *y = ctx->outputs[0]->data;                                                              \
        for (int64_t i = lo; i < hi; i++)                                                          \
            y[i] = (double)x[i] > t ? (T)1 : (T)0;                                                 \
    } while (0)

static ferry_status binarizer_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const binarizer_params *p = ctx->node->params;
    double t = p->threshold;
    int64_t lo, hi;
    onnx_slice(onnx_numel(ctx->inputs[0]), ith, nth, &lo, &hi);
    switch (ctx->inputs[0]->dtype) {
    case FERRY_DTYPE_FP32:
        BINARIZE(float);
        break;
    case FERRY_DTYPE_FP64:
        BINARIZE(double);
        break;
    case FERRY_DTYPE_INT64:
        BINARIZE(int64_t);
        break;
    default:
        BINARIZE(int32_t);
        break;
    }
    return FERRY_OK;
}

const onnx_op onnx_op_binarizer_1 = {
    .domain = ONNX_ML_DOMAIN,
    .op_type = "Binarizer",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = binarizer_prepare,
    .infer = binarizer_infer,
    .run = binarizer_run,
};
