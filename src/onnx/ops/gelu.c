/* Gelu (ai.onnx, since 20): y = x * Phi(x), exactly (approximate = "none", with erf) or by the
 * tanh approximation (approximate = "tanh"), for float and double. */
#include <math.h>
#include <string.h>

#include "onnx/elementwise.h"

typedef struct gelu_params {
    bool tanh_approx;
} gelu_params;

static ferry_status gelu_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    gelu_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    const char *approx;
    ferry_status st = onnx_attr_string(n, "approximate", "none", &approx, err);
    if (st != FERRY_OK)
        return st;
    p->tanh_approx = strcmp(approx, "tanh") == 0;
    if (!p->tanh_approx && strcmp(approx, "none") != 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "unknown approximate '%s'", approx);
    return FERRY_OK;
}

static inline double gelu_value(double x, const gelu_params *p)
{
    if (p->tanh_approx)
        return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    return 0.5 * x * (1.0 + erf(x * 0.7071067811865476));
}

static inline float gelu_f32(float x, const void *params)
{
    return (float)gelu_value(x, params);
}

static inline double gelu_f64(double x, const void *params)
{
    return gelu_value(x, params);
}

ONNX_UNARY_KERNEL(gelu_kernel_f32, float, gelu_f32)
ONNX_UNARY_KERNEL(gelu_kernel_f64, double, gelu_f64)

static const onnx_unary_kernel gelu_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = gelu_kernel_f32,
    [FERRY_DTYPE_FP64] = gelu_kernel_f64,
};

static ferry_status gelu_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status gelu_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, gelu_kernels, err);
}

const onnx_op onnx_op_gelu_20 = {
    .domain = "",
    .op_type = "Gelu",
    .since_version = 20,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = gelu_prepare,
    .infer = gelu_infer,
    .run = gelu_run,
};
