/* HardSigmoid (ai.onnx, since 6): y = max(0, min(1, alpha * x + beta)) (alpha 0.2, beta 0.5), for
 * float and double. Opset 1's consumed_inputs form is not registered. */
#include <math.h>

#include "onnx/elementwise.h"

typedef struct hard_sigmoid_params {
    float alpha;
    float beta;
} hard_sigmoid_params;

static ferry_status hard_sigmoid_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    hard_sigmoid_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    ferry_status st = onnx_attr_float(n, "alpha", 0.2f, &p->alpha, err);
    if (st == FERRY_OK)
        st = onnx_attr_float(n, "beta", 0.5f, &p->beta, err);
    return st;
}

static inline float hard_sigmoid_f32(float x, const void *params)
{
    const hard_sigmoid_params *p = params;
    return fmaxf(0.0f, fminf(1.0f, p->alpha * x + p->beta));
}

static inline double hard_sigmoid_f64(double x, const void *params)
{
    const hard_sigmoid_params *p = params;
    return fmax(0.0, fmin(1.0, (double)p->alpha * x + (double)p->beta));
}

ONNX_UNARY_KERNEL(hard_sigmoid_kernel_f32, float, hard_sigmoid_f32)
ONNX_UNARY_KERNEL(hard_sigmoid_kernel_f64, double, hard_sigmoid_f64)

static const onnx_unary_kernel hard_sigmoid_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = hard_sigmoid_kernel_f32,
    [FERRY_DTYPE_FP64] = hard_sigmoid_kernel_f64,
};

static ferry_status hard_sigmoid_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status hard_sigmoid_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, hard_sigmoid_kernels, err);
}

const onnx_op onnx_op_hard_sigmoid_6 = {
    .domain = "",
    .op_type = "HardSigmoid",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = hard_sigmoid_prepare,
    .infer = hard_sigmoid_infer,
    .run = hard_sigmoid_run,
};
