/* Activations that Gemm and Conv apply to their own output (an epilogue, while the output block is
 * still in cache) once the optimizer has fused the activation node that followed them
 * (optimize/fuse_activation.c). A node's `fused` field describes it; ONNX_ACTIVATION_NONE, the
 * zero value, does nothing. Each kind computes exactly what its standalone op computes in float. */
#ifndef FERRY_ONNX_ACTIVATION_H
#define FERRY_ONNX_ACTIVATION_H

#include <stdint.h>

typedef enum onnx_activation_kind {
    ONNX_ACTIVATION_NONE = 0,
    ONNX_ACTIVATION_RELU,       /* x > 0 ? x : 0 */
    ONNX_ACTIVATION_LEAKY_RELU, /* x >= 0 ? x : alpha * x */
    ONNX_ACTIVATION_CLIP,       /* min(max(x, min), max), as Clip (relu6: [0, 6]) */
    ONNX_ACTIVATION_SIGMOID,    /* 1 / (1 + exp(-x)) */
    ONNX_ACTIVATION_TANH,       /* tanh(x) */
    ONNX_ACTIVATION_COUNT
} onnx_activation_kind;

typedef struct onnx_activation {
    onnx_activation_kind kind;
    float alpha;    /* LEAKY_RELU */
    float min, max; /* CLIP */
} onnx_activation;

/* The op type the kind stands for ("Relu"); "none" for NONE. */
const char *onnx_activation_name(onnx_activation_kind kind);

/* Applies a (not NONE) to y[0..n) in place. */
void onnx_activation_run(const onnx_activation *a, float *y, int64_t n);

/* A block's rows with their bias, then a: dst[r * cols + j] = a(src[r * ld + j] + bias[r]) for
 * r < rows, j < cols (bias NULL: none). dst may be src itself (ld = cols). One pass for Relu and
 * NONE (the bias and the activation in the same loop), two for the others. */
void onnx_activation_bias_rows(const onnx_activation *a, const float *src, int64_t ld,
                               const float *bias, int64_t rows, int64_t cols, float *dst);

/* A channels-last block with its bias per column, then a, in place: y[r * ld + j] = a(y[r * ld + j]
 * + bias[j]) for r < rows, j < cols (bias NULL: none). One pass for Relu and NONE. */
void onnx_activation_bias_cols(const onnx_activation *a, float *y, int64_t ld, const float *bias,
                               int64_t rows, int64_t cols);

/* Adds scale * row[j] to every row of y [rows, cols], then a: one pass for Relu and NONE (Gemm's
 * bias C of shape [N] or [1, N]). */
void onnx_activation_add_row(const onnx_activation *a, float *y, int64_t rows, int64_t cols,
                             const float *row, float scale);

/* Applies a to y[0..n) in place; free when a is NONE, so kernels call it unconditionally. */
static inline void onnx_activation_apply(const onnx_activation *a, float *y, int64_t n)
{
    if (a->kind != ONNX_ACTIVATION_NONE)
        onnx_activation_run(a, y, n);
}

#endif
