/* OneHotEncoder (ai.onnx.ml, since 1): Y = X's shape + [K] floats, 1 at the index of each
 * element's category among the K of cats_strings (string input) or cats_int64s (int64, int32,
 * float and double inputs, truncated to integers as ONNX Runtime does), 0 elsewhere. An unknown
 * category gives a row of zeros, or fails the request naming the node when zeros is 0. */
#include <math.h>
#include <string.h>

#include "onnx/keymap.h"
#include "onnx/ml_common.h"

typedef struct one_hot_encoder_params {
    onnx_keymap cats;
    bool zeros;
} one_hot_encoder_params;

static ferry_status ohe_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    one_hot_encoder_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    const int64_t *ints;
    const onnx_string *strs;
    size_t n_ints, n_strs;
    int64_t zeros;
    ferry_status st = onnx_attr_ints(n, "cats_int64s", &ints, &n_ints, err);
    if (st == FERRY_OK)
        st = onnx_ml_attr_strings(g, n, "cats_strings", &strs, &n_strs, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "zeros", 1, &zeros, err);
    if (st != FERRY_OK)
        return st;
    p->zeros = zeros != 0;
    if ((n_ints > 0) == (n_strs > 0))
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "exactly one of cats_int64s and cats_strings must be set");
    if (n_strs > 0)
        st = onnx_keymap_build(g, &p->cats, ONNX_KEY_STRING, strs, n_strs, false, err);
    else
        st = onnx_keymap_build(g, &p->cats, ONNX_KEY_INT, ints, n_ints, false, err);
    char label[256];
    if (st != FERRY_OK)
        ferry_error_prefix(err, "%s: ", onnx_node_label(n, label, sizeof label));
    return st;
}

static ferry_status ohe_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const one_hot_encoder_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_ML_MASK_FEATURES | ONNX_MASK_STRING, err);
    if (st != FERRY_OK)
        return st;
    if ((x->dtype == FERRY_DTYPE_BYTES) != (p->cats.kind == ONNX_KEY_STRING))
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "X holds %s but the categories are %s",
                               x->dtype == FERRY_DTYPE_BYTES ? "strings" : "numbers",
                               p->cats.kind == ONNX_KEY_STRING ? "strings" : "integers");
    if (x->ndim >= FERRY_MAX_DIMS)
        return onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node, "output rank is too high");
    int64_t shape[FERRY_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim] = (int64_t)p->cats.n;
    onnx_set_output(ctx, 0, FERRY_DTYPE_FP32, x->ndim + 1, shape);
    return FERRY_OK;
}

/* Integer category of a numeric element, or false when it has none (NaN, out of range). */
static bool int_category(const ferry_tensor *x, int64_t i, int64_t *out)
{
    double v;
    switch (x->dtype) {
    case FERRY_DTYPE_INT64:
        *out = ((const int64_t *)x->data)[i];
        return true;
    case FERRY_DTYPE_INT32:
        *out = ((const int32_t *)x->data)[i];
        return true;
    case FERRY_DTYPE_FP32:
        v = ((const float *)x->data)[i];
        break;
    default:
        v = ((const double *)x->data)[i];
        break;
    }
    if (!(v > -9.2e18 && v < 9.2e18))
        return false;
    *out = (int64_t)v;
    return true;
}

static ferry_status ohe_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const one_hot_encoder_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    float *y = ctx->outputs[0]->data;
    int64_t k = (int64_t)p->cats.n, lo, hi;
    onnx_slice(onnx_numel(x), ith, nth, &lo, &hi);
    if (hi > lo)
        memset(y + lo * k, 0, (size_t)((hi - lo) * k) * sizeof *y);
    for (int64_t i = lo; i < hi; i++) {
        int64_t c = -1, v;
        if (x->dtype == FERRY_DTYPE_BYTES)
            c = onnx_keymap_find_string(&p->cats, ((const onnx_string *)x->data)[i]);
        else if (int_category(x, i, &v))
            c = onnx_keymap_find_int(&p->cats, v);
        if (c >= 0)
            y[i * k + c] = 1.0f;
        else if (!p->zeros)
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "element %lld is not a known category (and zeros is 0)",
                                   (long long)i);
    }
    return FERRY_OK;
}

const onnx_op onnx_op_one_hot_encoder_1 = {
    .domain = ONNX_ML_DOMAIN,
    .op_type = "OneHotEncoder",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_STRINGS,
    .prepare = ohe_prepare,
    .infer = ohe_infer,
    .run = ohe_run,
};
