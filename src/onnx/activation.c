/* Activation epilogues for Gemm and Conv; see activation.h. The expressions are those of the
 * standalone ops (ops/relu.c, leaky_relu.c, clip.c, sigmoid.c, tanh.c), so that fusing changes
 * no result. */
#include "onnx/activation.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "onnx/vector_clones.h"

static const char *const activation_names[] = {
    [ONNX_ACTIVATION_NONE] = "none",
    [ONNX_ACTIVATION_RELU] = "Relu",
    [ONNX_ACTIVATION_LEAKY_RELU] = "LeakyRelu",
    [ONNX_ACTIVATION_CLIP] = "Clip",
    [ONNX_ACTIVATION_SIGMOID] = "Sigmoid",
    [ONNX_ACTIVATION_TANH] = "Tanh",
};
static_assert(sizeof activation_names / sizeof activation_names[0] == ONNX_ACTIVATION_COUNT,
              "a name per activation kind");

const char *onnx_activation_name(onnx_activation_kind kind)
{
    return kind >= 0 && kind < ONNX_ACTIVATION_COUNT ? activation_names[kind] : "none";
}

ONNX_VECTOR_CLONES
static void relu(float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = y[i] > 0 ? y[i] : 0.0f;
}

ONNX_VECTOR_CLONES
static void leaky_relu(float *y, int64_t n, float alpha)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = y[i] >= 0 ? y[i] : alpha * y[i];
}

ONNX_VECTOR_CLONES
static void clip(float *y, int64_t n, float min, float max)
{
    for (int64_t i = 0; i < n; i++) {
        float v = y[i] < min ? min : y[i];
        y[i] = v > max ? max : v;
    }
}

static void sigmoid(float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = 1.0f / (1.0f + expf(-y[i]));
}

static void tanh_all(float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = tanhf(y[i]);
}

void onnx_activation_run(const onnx_activation *a, float *y, int64_t n)
{
    switch (a->kind) {
    case ONNX_ACTIVATION_RELU:
        relu(y, n);
        break;
    case ONNX_ACTIVATION_LEAKY_RELU:
        leaky_relu(y, n, a->alpha);
        break;
    case ONNX_ACTIVATION_CLIP:
        clip(y, n, a->min, a->max);
        break;
    case ONNX_ACTIVATION_SIGMOID:
        sigmoid(y, n);
        break;
    case ONNX_ACTIVATION_TANH:
        tanh_all(y, n);
        break;
    default:
        break;
    }
}

/* The rows plus their bias, and Relu's expression in the same loop when `relu`. */
ONNX_VECTOR_CLONES
static void bias_rows(const float *src, int64_t ld, const float *bias, int64_t rows, int64_t cols,
                      float *dst, bool relu_too)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *s = src + r * ld;
        float *d = dst + r * cols;
        float add = bias != NULL ? bias[r] : 0.0f;
        if (relu_too)
            for (int64_t j = 0; j < cols; j++) {
                float v = s[j] + add;
                d[j] = v > 0 ? v : 0.0f;
            }
        else
            for (int64_t j = 0; j < cols; j++)
                d[j] = s[j] + add;
    }
}

void onnx_activation_bias_rows(const onnx_activation *a, const float *src, int64_t ld,
                               const float *bias, int64_t rows, int64_t cols, float *dst)
{
    bool relu_too = a->kind == ONNX_ACTIVATION_RELU;
    if (src == dst && bias == NULL && !relu_too) { /* the block holds its sums already */
        onnx_activation_apply(a, dst, rows * cols);
        return;
    }
    bias_rows(src, ld, bias, rows, cols, dst, relu_too);
    if (!relu_too)
        onnx_activation_apply(a, dst, rows * cols);
}

/* y[r][j] += scale * row[j], and Relu's expression in the same loop when `relu_too`. */
ONNX_VECTOR_CLONES
static void add_row(float *y, int64_t rows, int64_t cols, const float *row, float scale,
                    bool relu_too)
{
    for (int64_t r = 0; r < rows; r++) {
        float *d = y + r * cols;
        if (relu_too)
            for (int64_t j = 0; j < cols; j++) {
                float v = d[j] + scale * row[j];
                d[j] = v > 0 ? v : 0.0f;
            }
        else
            for (int64_t j = 0; j < cols; j++)
                d[j] += scale * row[j];
    }
}

void onnx_activation_add_row(const onnx_activation *a, float *y, int64_t rows, int64_t cols,
                             const float *row, float scale)
{
    bool relu_too = a->kind == ONNX_ACTIVATION_RELU;
    add_row(y, rows, cols, row, scale, relu_too);
    if (!relu_too)
        onnx_activation_apply(a, y, rows * cols);
}

/* y[r][j] += bias[j] over rows ld apart, and Relu's expression in the same loop when `relu_too`;
 * cols a constant where bias_cols expands it (a row of 16 or 32 floats is one or two vectors,
 * which a loop of variable length spends more on than the adds). */
static inline __attribute__((always_inline)) void
bias_cols_body(float *y, int64_t ld, const float *bias, int64_t rows, int64_t cols, bool relu_too)
{
    for (int64_t r = 0; r < rows; r++) {
        float *d = y + r * ld;
        if (relu_too && bias != NULL)
            for (int64_t j = 0; j < cols; j++) {
                float v = d[j] + bias[j];
                d[j] = v > 0 ? v : 0.0f;
            }
        else if (relu_too)
            for (int64_t j = 0; j < cols; j++)
                d[j] = d[j] > 0 ? d[j] : 0.0f;
        else
            for (int64_t j = 0; j < cols; j++)
                d[j] += bias[j];
    }
}

ONNX_VECTOR_CLONES
static void bias_cols(float *y, int64_t ld, const float *bias, int64_t rows, int64_t cols,
                      bool relu_too)
{
    if (cols == 16)
        bias_cols_body(y, ld, bias, rows, 16, relu_too);
    else if (cols == 32)
        bias_cols_body(y, ld, bias, rows, 32, relu_too);
    else
        bias_cols_body(y, ld, bias, rows, cols, relu_too);
}

void onnx_activation_bias_cols(const onnx_activation *a, float *y, int64_t ld, const float *bias,
                               int64_t rows, int64_t cols)
{
    bool relu_too = a->kind == ONNX_ACTIVATION_RELU;
    if (bias != NULL || relu_too)
        bias_cols(y, ld, bias, rows, cols, relu_too);
    if (relu_too || a->kind == ONNX_ACTIVATION_NONE)
        return;
    if (ld == cols)
        onnx_activation_run(a, y, rows * cols);
    else
        for (int64_t r = 0; r < rows; r++)
            onnx_activation_run(a, y + r * ld, cols);
}
