/* Elu (ai.onnx, since 6): y = x for x >= 0, alpha * (e^x - 1) below (alpha 1), for float and
 * double. Opset 1's consumed_inputs form is not registered. */
#include <math.h>

#include "onnx/elementwise.h"

typedef struct elu_params {
    float alpha;
} elu_params;

static ferry_status elu_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    elu_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    ferry_status st = onnx_attr_float(n, "alpha", 1.0f, &p->alpha, err);
    return st;
}

static inline float elu_f32(float x, const void *params)
{
    const elu_params *p = params;
    return x >= 0 ? x : p->alpha * expm1f(x);
}

static inline double elu_f64(double x, const void *params)
{
    const elu_params *p = params;
    return x >= 0 ? x : (double)p->alpha * expm1(x);
}

ONNX_UNARY_KERNEL(elu_kernel_f32, float, elu_f32)
ONNX_UNARY_KERNEL(elu_kernel_f64, double, elu_f64)

static const onnx_unary_kernel elu_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = elu_kernel_f32,
    [FERRY_DTYPE_FP64] = elu_kernel_f64,
};

static ferry_status elu_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status elu_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, elu_kernels, err);
}

const onnx_op onnx_op_elu_6 = {
    .domain = "",
    .op_type = "Elu",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = elu_prepare,
    .infer = elu_infer,
    .run = elu_run,
};
