/* Shared pieces of the ai.onnx.ml operators; see ml_common.h. */
#include "onnx/ml_common.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Post transforms                                                                              */
/* ------------------------------------------------------------------------------------------ */

ferry_status onnx_ml_read_transform(const onnx_node *n, onnx_ml_transform *out, ferry_error *err)
{
    static const char *const names[] = {
        [ONNX_ML_NONE] = "NONE",       [ONNX_ML_LOGISTIC] = "LOGISTIC",
        [ONNX_ML_SOFTMAX] = "SOFTMAX", [ONNX_ML_SOFTMAX_ZERO] = "SOFTMAX_ZERO",
        [ONNX_ML_PROBIT] = "PROBIT",
    };
    const char *name;
    ferry_status st = onnx_attr_string(n, "post_transform", "NONE", &name, err);
    if (st != FERRY_OK)
        return st;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (onnx_ml_transform)i;
            return FERRY_OK;
        }
    return onnx_node_error(err, FERRY_INVALID_ARG, n,
                           "post_transform '%s' is not one of NONE, LOGISTIC, SOFTMAX, "
                           "SOFTMAX_ZERO, PROBIT",
                           name);
}

float onnx_ml_logistic(float x)
{
    float v = 1.0f / (1.0f + expf(-fabsf(x)));
    return x < 0 ? 1.0f - v : v;
}

/* ONNX Runtime's closed-form approximation of erfinv (Winitzki's), so probits match its. */
static float erf_inv(float x)
{
    float sgn = x < 0 ? -1.0f : 1.0f;
    x = (1 - x) * (1 + x);
    float lg = logf(x);
    float v = 2 / ((float)M_PI * 0.147f) + 0.5f * lg;
    float v2 = 1 / 0.147f * lg;
    float v3 = -v + sqrtf(v * v - v2);
    return sgn * sqrtf(v3);
}

float onnx_ml_probit(float p)
{
    return (float)M_SQRT2 * erf_inv(2 * p - 1);
}

static void softmax(float *s, int64_t n)
{
    float max = -FLT_MAX, sum = 0;
    for (int64_t i = 0; i < n; i++)
        max = s[i] > max ? s[i] : max;
    for (int64_t i = 0; i < n; i++) {
        s[i] = expf(s[i] - max);
        sum += s[i];
    }
    for (int64_t i = 0; i < n; i++)
        s[i] /= sum;
}

/* Softmax that leaves zero scores (absent classes) at about zero. */
static void softmax_zero(float *s, int64_t n)
{
    float max = -FLT_MAX, sum = 0;
    for (int64_t i = 0; i < n; i++)
        max = s[i] > max ? s[i] : max;
    float exp_neg_max = expf(-max);
    for (int64_t i = 0; i < n; i++) {
        if (s[i] > 0.0000001f || s[i] < -0.0000001f) {
            s[i] = expf(s[i] - max);
            sum += s[i];
        } else {
            s[i] *= exp_neg_max;
        }
    }
    for (int64_t i = 0; i < n; i++)
        s[i] /= sum;
}

void onnx_ml_transform_row(onnx_ml_transform t, float *scores, int64_t n)
{
    switch (t) {
    case ONNX_ML_LOGISTIC:
        for (int64_t i = 0; i < n; i++)
            scores[i] = onnx_ml_logistic(scores[i]);
        break;
    case ONNX_ML_SOFTMAX:
        softmax(scores, n);
        break;
    case ONNX_ML_SOFTMAX_ZERO:
        softmax_zero(scores, n);
        break;
    case ONNX_ML_PROBIT:
        for (int64_t i = 0; i < n; i++)
            scores[i] = onnx_ml_probit(scores[i]);
        break;
    case ONNX_ML_NONE:
        break;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Attributes and labels                                                                        */
/* ------------------------------------------------------------------------------------------ */

ferry_status onnx_ml_attr_strings(onnx_graph *g, const onnx_node *n, const char *name,
                                  const onnx_string **out, size_t *count, ferry_error *err)
{
    *out = NULL;
    *count = 0;
    const onnx_attr *a = onnx_attr_find(n, name);
    if (a == NULL)
        return FERRY_OK;
    if (a->type != ONNX_ATTR_STRINGS)
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "attribute '%s' must be a list of strings", name);
    onnx_string *s = onnx_graph_alloc(g, a->n * sizeof *s);
    if (s == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    for (size_t i = 0; i < a->n; i++)
        s[i] = (onnx_string){.data = a->strings[i], .len = a->lens[i]};
    *out = s;
    *count = a->n;
    return FERRY_OK;
}

ferry_status onnx_ml_read_labels(onnx_graph *g, const onnx_node *n, const char *ints_name,
                                 const char *strings_name, onnx_ml_labels *out, ferry_error *err)
{
    size_t n_ints = 0, n_strs = 0;
    *out = (onnx_ml_labels){0};
    ferry_status st = onnx_attr_ints(n, ints_name, &out->ints, &n_ints, err);
    if (st == FERRY_OK)
        st = onnx_ml_attr_strings(g, n, strings_name, &out->strs, &n_strs, err);
    if (st != FERRY_OK)
        return st;
    if ((n_ints > 0) == (n_strs > 0))
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "exactly one of %s and %s must be set",
                               ints_name, strings_name);
    out->strings = n_strs > 0;
    out->n = n_strs > 0 ? n_strs : n_ints;
    return FERRY_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Inputs                                                                                       */
/* ------------------------------------------------------------------------------------------ */

ferry_status onnx_ml_rows(const onnx_op_ctx *ctx, const ferry_tensor *x, int64_t *rows,
                          int64_t *features, ferry_error *err)
{
    if (x->ndim != 1 && x->ndim != 2)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "input '%s' must be [N, C] or [C]; it has rank %d", x->name,
                               x->ndim);
    *rows = x->ndim == 2 ? x->shape[0] : 1;
    *features = x->shape[x->ndim - 1];
    return FERRY_OK;
}

const float *onnx_ml_row(const ferry_tensor *x, int64_t r, int64_t features, float *dst)
{
    int64_t at = r * features;
    switch (x->dtype) {
    case FERRY_DTYPE_FP64:
        for (int64_t j = 0; j < features; j++)
            dst[j] = (float)((const double *)x->data)[at + j];
        return dst;
    case FERRY_DTYPE_INT64:
        for (int64_t j = 0; j < features; j++)
            dst[j] = (float)((const int64_t *)x->data)[at + j];
        return dst;
    case FERRY_DTYPE_INT32:
        for (int64_t j = 0; j < features; j++)
            dst[j] = (float)((const int32_t *)x->data)[at + j];
        return dst;
    default:
        return (const float *)x->data + at;
    }
}
