/* Pieces the ai.onnx.ml operators share: the post_transform applied to classifier scores
 * (LOGISTIC, SOFTMAX, SOFTMAX_ZERO, PROBIT, computed in float as ONNX Runtime does), class labels
 * (classlabels_ints or classlabels_strings), string-list attributes as onnx_string arrays, and
 * reading one row of a [N, C] (or [C]) input of any numeric dtype as floats. */
#ifndef FERRY_ONNX_ML_COMMON_H
#define FERRY_ONNX_ML_COMMON_H

#include "onnx/op.h"

#define ONNX_ML_DOMAIN "ai.onnx.ml"

/* The numeric inputs the linear and SVM models take. */
#define ONNX_ML_MASK_FEATURES (ONNX_MASK_FLOATS | ONNX_MASK(INT32) | ONNX_MASK(INT64))

typedef enum onnx_ml_transform {
    ONNX_ML_NONE,
    ONNX_ML_LOGISTIC,
    ONNX_ML_SOFTMAX,
    ONNX_ML_SOFTMAX_ZERO,
    ONNX_ML_PROBIT,
} onnx_ml_transform;

/* Reads the node's post_transform attribute (default NONE); fails with INVALID_ARG naming the node
 * for an unknown name. */
ferry_status onnx_ml_read_transform(const onnx_node *n, onnx_ml_transform *out,
                                    ferry_error *err) FERRY_MUST_CHECK;

/* 1 / (1 + exp(-x)), computed without overflow. */
float onnx_ml_logistic(float x);

/* sqrt(2) * erfinv(2p - 1), with ONNX Runtime's approximation of erfinv. */
float onnx_ml_probit(float p);

/* Applies t to one row of n >= 2 scores in place (ONNX Runtime's per-row transform). */
void onnx_ml_transform_row(onnx_ml_transform t, float *scores, int64_t n);

/* A string-list attribute as an onnx_string array in graph memory; *out NULL and *count 0 when
 * absent. Fails when the attribute has another type, or out of memory. */
ferry_status onnx_ml_attr_strings(onnx_graph *g, const onnx_node *n, const char *name,
                                  const onnx_string **out, size_t *count,
                                  ferry_error *err) FERRY_MUST_CHECK;

/* A classifier's labels: int64s, or strings (output dtype BYTES). */
typedef struct onnx_ml_labels {
    bool strings;
    size_t n;
    const int64_t *ints;
    const onnx_string *strs;
} onnx_ml_labels;

/* Reads labels from the int and string list attributes named (one of them must be set, not
 * both); fails with INVALID_ARG naming the node otherwise. */
ferry_status onnx_ml_read_labels(onnx_graph *g, const onnx_node *n, const char *ints_name,
                                 const char *strings_name, onnx_ml_labels *out,
                                 ferry_error *err) FERRY_MUST_CHECK;

/* The label dtype: INT64 or BYTES. */
static inline ferry_dtype onnx_ml_label_dtype(const onnx_ml_labels *l)
{
    return l->strings ? FERRY_DTYPE_BYTES : FERRY_DTYPE_INT64;
}

/* Writes labels[k] to element i of y (int64 or onnx_string data). */
static inline void onnx_ml_write_label(const onnx_ml_labels *l, size_t k, void *y, int64_t i)
{
    if (l->strings)
        ((onnx_string *)y)[i] = l->strs[k];
    else
        ((int64_t *)y)[i] = l->ints[k];
}

/* Rows and features of a model input: [N, C] or [C] (one row). Fails with INVALID_ARG naming the
 * node for other ranks. */
ferry_status onnx_ml_rows(const onnx_op_ctx *ctx, const ferry_tensor *x, int64_t *rows,
                          int64_t *features, ferry_error *err) FERRY_MUST_CHECK;

/* Row r of x (features wide) as floats: x's own memory for FP32, else converted into dst. */
const float *onnx_ml_row(const ferry_tensor *x, int64_t r, int64_t features, float *dst);

#endif
