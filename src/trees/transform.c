/* Post-transforms of tree margins; see transform.h. Each follows the runtime whose models use it,
 * so that ferry's outputs match that runtime's to the last bits where it can. */
#include "trees/transform.h"

#include <math.h>

/* xgboost's common::Sigmoid, in float. */
static float sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* xgboost's common::Softmax: float exponentials, a double sum. */
static void softmax(const float *m, size_t n, float *out)
{
    float max = m[0];
    for (size_t i = 1; i < n; i++)
        max = fmaxf(m[i], max);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        out[i] = expf(m[i] - max);
        sum += out[i];
    }
    for (size_t i = 0; i < n; i++)
        out[i] /= (float)sum;
}

/* ONNX Runtime's ComputeSoftmaxZero: values within 1e-7 of zero stay (scaled) zeros. */
static void softmax_zero(const float *m, size_t n, float *out)
{
    float max = -3.402823466e38f;
    for (size_t i = 0; i < n; i++)
        if (m[i] > max)
            max = m[i];
    float exp_neg_max = expf(-max), sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        if (m[i] > 0.0000001f || m[i] < -0.0000001f) {
            out[i] = expf(m[i] - max);
            sum += out[i];
        } else {
            out[i] = m[i] * exp_neg_max;
        }
    }
    for (size_t i = 0; i < n; i++)
        out[i] /= sum;
}

/* ONNX Runtime's ErfInv approximation (Winitzki) and ComputeProbit. */
static float probit(float p)
{
    float x = p * 2.0f - 1.0f;
    float sign = x < 0 ? -1.0f : 1.0f;
    x = (1.0f - x) * (1.0f + x);
    float ln = logf(x);
    float v = 2.0f / (3.14159f * 0.147f) + 0.5f * ln;
    float v2 = 1.0f / 0.147f * ln;
    float v3 = -v + sqrtf(v * v - v2);
    return 1.41421356f * sign * sqrtf(v3);
}

/* xgboost's FindMaxIndex: the first largest. */
static float argmax(const float *m, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (m[i] > m[best])
            best = i;
    return (float)best;
}

static void transform_row(tree_transform t, const float *m, size_t n, float *out)
{
    switch (t) {
    case TREE_TRANSFORM_SOFTMAX:
        softmax(m, n, out);
        return;
    case TREE_TRANSFORM_SOFTMAX_ZERO:
        softmax_zero(m, n, out);
        return;
    case TREE_TRANSFORM_ARGMAX:
        out[0] = argmax(m, n);
        return;
    default:
        break;
    }
    for (size_t i = 0; i < n; i++) {
        float x = m[i];
        switch (t) {
        case TREE_TRANSFORM_LOGISTIC:
            x = sigmoid(x);
            break;
        case TREE_TRANSFORM_PROBIT:
            x = probit(x);
            break;
        case TREE_TRANSFORM_EXP:
            x = expf(x);
            break;
        case TREE_TRANSFORM_HINGE:
            x = x > 0.0f ? 1.0f : 0.0f;
            break;
        default:
            break;
        }
        out[i] = x;
    }
}

void tree_transform_rows(tree_transform t, const float *margins, size_t n_rows, size_t n_outputs,
                         float *out)
{
    size_t width = t == TREE_TRANSFORM_ARGMAX ? 1 : n_outputs;
    for (size_t r = 0; r < n_rows; r++)
        transform_row(t, margins + r * n_outputs, n_outputs, out + r * width);
}
