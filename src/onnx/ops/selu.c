/* Selu (ai.onnx, since 6): y = gamma * x for x > 0, gamma * alpha * (e^x - 1) otherwise
 * (alpha 1.67326, gamma 1.0507), for float and double. Opset 1's consumed_inputs form is not
 * registered. */
#include <math.h>

#include "onnx/elementwise.h"

typedef struct selu_params {
    float alpha;
    float gamma;
} selu_params;

static ferry_status selu_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    selu_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    ferry_status st = onnx_attr_float(n, "alpha", 1.67326319217681884765625f, &p->alpha, err);
    if (st == FERRY_OK)
        st = onnx_attr_float(n, "gamma", 1.05070102214813232421875f, &p->gamma, err);
    return st;
}

static inline float selu_f32(float x, const void *params)
{
    const selu_params *p = params;
    return x > 0 ? p->gamma * x : p->gamma * p->alpha * expm1f(x);
}

static inline double selu_f64(double x, const void *params)
{
    const selu_params *p = params;
    return x > 0 ? (double)p->gamma * x : (double)p->gamma * (double)p->alpha * expm1(x);
}

ONNX_UNARY_KERNEL(selu_kernel_f32, float, selu_f32)
ONNX_UNARY_KERNEL(selu_kernel_f64, double, selu_f64)

static const onnx_unary_kernel selu_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = selu_kernel_f32,
    [FERRY_DTYPE_FP64] = selu_kernel_f64,
};

static ferry_status selu_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status selu_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, selu_kernels, err);
}

const onnx_op onnx_op_selu_6 = {
    .domain = "",
    .op_type = "Selu",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = selu_prepare,
    .infer = selu_infer,
    .run = selu_run,
};
