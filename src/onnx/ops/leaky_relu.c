/* LeakyRelu (ai.onnx, since 6): y = x for x >= 0, alpha * x below (alpha 0.01), for float and
 * double. Opset 1's consumed_inputs form is not registered. */
#include <math.h>

#include "onnx/elementwise.h"

typedef struct leaky_relu_params {
    float alpha;
} leaky_relu_params;

static ferry_status leaky_relu_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    leaky_relu_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    ferry_status st = onnx_attr_float(n, "alpha", 0.01f, &p->alpha, err);
    return st;
}

static inline float leaky_relu_f32(float x, const void *params)
{
    const leaky_relu_params *p = params;
    return x >= 0 ? x : p->alpha * x;
}

static inline double leaky_relu_f64(double x, const void *params)
{
    const leaky_relu_params *p = params;
    return x >= 0 ? x : (double)p->alpha * x;
}

ONNX_UNARY_KERNEL(leaky_relu_kernel_f32, float, leaky_relu_f32)
ONNX_UNARY_KERNEL(leaky_relu_kernel_f64, double, leaky_relu_f64)

static const onnx_unary_kernel leaky_relu_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = leaky_relu_kernel_f32,
    [FERRY_DTYPE_FP64] = leaky_relu_kernel_f64,
};

static ferry_status leaky_relu_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status leaky_relu_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, leaky_relu_kernels, err);
}

const onnx_op onnx_op_leaky_relu_6 = {
    .domain = "",
    .op_type = "LeakyRelu",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = leaky_relu_prepare,
    .infer = leaky_relu_infer,
    .run = leaky_relu_run,
};
