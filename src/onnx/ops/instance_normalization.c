/* InstanceNormalization (ai.onnx, since 1): each channel of each image of [N, C, D1...] becomes
 * scale[c] * (x - mean) / sqrt(var + epsilon) + B[c], the statistics taken over the spatial
 * dimensions, for float and double (accumulated in double). Opset 6 only dropped opset 1's legacy
 * consumed_inputs attribute, which is ignored, so one descriptor serves both. */
#include <math.h>

#include "onnx/normalize.h"

/* X, then scale and B: one value per channel each. */
static ferry_status instance_normalization_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_norm_infer(ctx, 3, 3, err);
}

#define INSTANCE_NORM_KERNEL(T, S)                                                                 \
    static void instance_norm_##S(const onnx_op_ctx *ctx, double eps, const onnx_norm_planes *s)   \
    {                                                                                              \
        const T *x = ctx->inputs[0]->data, *scale = ctx->inputs[1]->data;                          \
        const T *bias = ctx->inputs[2]->data;                                                      \
        T *y = ctx->outputs[0]->data;                                                              \
        int64_t vol = s->vol;                                                                      \
        for (int64_t p = s->lo; p < s->hi; p++) {                                                  \
            const T *xp = x + p * vol;                                                             \
            T *yp = y + p * vol;                                                                   \
            int64_t c = p % s->channels;                                                           \
            double sum = 0.0, sq = 0.0;                                                            \
            for (int64_t i = 0; i < vol; i++)                                                      \
                sum += xp[i];                                                                      \
            double mean = vol > 0 ? sum / (double)vol : 0.0;                                       \
            for (int64_t i = 0; i < vol; i++)                                                      \
                sq += ((double)xp[i] - mean) * ((double)xp[i] - mean);                             \
            double a = (double)scale[c] / sqrt((vol > 0 ? sq / (double)vol : 0.0) + eps);          \
            double b = (double)bias[c] - mean * a;                                                 \
            for (int64_t i = 0; i < vol; i++)                                                      \
                yp[i] = (T)((double)xp[i] * a + b);                                                \
        }                                                                                          \
    }
INSTANCE_NORM_KERNEL(float, f32)
INSTANCE_NORM_KERNEL(double, f64)

static ferry_status instance_normalization_run(const onnx_op_ctx *ctx, int ith, int nth,
                                               ferry_error *err)
{
    (void)err;
    return onnx_norm_run(ctx, ith, nth, instance_norm_f32, instance_norm_f64);
}

const onnx_op onnx_op_instance_normalization_1 = {
    .domain = "",
    .op_type = "InstanceNormalization",
    .since_version = 1,
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = onnx_norm_prepare,
    .infer = instance_normalization_infer,
    .run = instance_normalization_run,
};
