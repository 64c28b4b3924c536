/* Activation epilogues for Gemm and Conv; see activation.h. The expressions are those of the
 * standalone ops (ops/relu.c, leaky_relu.c, clip.c, sigmoid.c, tanh.c), so that fusing changes
 * no result. */
#include "onnx/activation.h"

#include <assert.h>
#include <math.h>

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

static void relu(float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = y[i] > 0 ? y[i] : 0.0f;
}

static void leaky_relu(float *y, int64_t n, float alpha)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = y[i] >= 0 ? y[i] : alpha * y[i];
}

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
