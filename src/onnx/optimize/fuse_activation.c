/* Pass: an activation (Relu, LeakyRelu, Clip with constant bounds, Sigmoid, Tanh) that alone
 * reads the output of a Gemm or Conv becomes that node's epilogue (onnx_node.fused, applied by
 * the op to each output block while it is in cache) and goes; the Gemm or Conv then computes the
 * activation's output. The product must not be a graph output (callers would lose it); the
 * activation's output may be one, its name is kept. */
#include <float.h>
#include <math.h>

#include "onnx/op.h"
#include "onnx/optimize/passes.h"

/* Clip's bounds: attributes up to opset 10 (defaults: float's range), optional one-element
 * constant inputs from 11 (defaults: none). False when a bound is not a float constant. */
static ferry_status clip_bounds(const onnx_rewrite *rw, const onnx_node *n, onnx_activation *a,
                                bool *ok)
{
    *ok = true;
    if (n->op->since_version < 11) {
        ferry_status st = onnx_attr_float(n, "min", -FLT_MAX, &a->min, rw->err);
        return st == FERRY_OK ? onnx_attr_float(n, "max", FLT_MAX, &a->max, rw->err) : st;
    }
    float *bounds[2] = {&a->min, &a->max};
    for (size_t k = 1; k < 3; k++) {
        int v = k < n->n_inputs ? n->inputs[k] : -1;
        const ferry_tensor *t = onnx_rewrite_const_f32(rw, v);
        *bounds[k - 1] = k == 1 ? -INFINITY : INFINITY;
        if (v >= 0 && (t == NULL || onnx_numel(t) != 1))
            *ok = false;
        else if (v >= 0)
            *bounds[k - 1] = *(const float *)t->data;
    }
    return FERRY_OK;
}

/* What node n computes as an epilogue; kind NONE when it is not a fusable activation. */
static ferry_status activation_of(const onnx_rewrite *rw, const onnx_node *n, onnx_activation *a)
{
    *a = (onnx_activation){.kind = ONNX_ACTIVATION_NONE};
    if (onnx_rewrite_is(n, "Relu"))
        a->kind = ONNX_ACTIVATION_RELU;
    else if (onnx_rewrite_is(n, "Sigmoid"))
        a->kind = ONNX_ACTIVATION_SIGMOID;
    else if (onnx_rewrite_is(n, "Tanh"))
        a->kind = ONNX_ACTIVATION_TANH;
    else if (onnx_rewrite_is(n, "LeakyRelu")) {
        a->kind = ONNX_ACTIVATION_LEAKY_RELU;
        return onnx_attr_float(n, "alpha", 0.01f, &a->alpha, rw->err);
    } else if (onnx_rewrite_is(n, "Clip")) {
        bool ok;
        ferry_status st = clip_bounds(rw, n, a, &ok);
        a->kind = st == FERRY_OK && ok ? ONNX_ACTIVATION_CLIP : ONNX_ACTIVATION_NONE;
        return st;
    }
    return FERRY_OK;
}

ferry_status onnx_pass_fuse_activation(onnx_rewrite *rw, int *count)
{
    *count = 0;
    for (size_t i = 0; i < rw->g->n_nodes; i++) {
        onnx_node *n = onnx_rewrite_node(rw, i, NULL);
        if (n == NULL || !(onnx_rewrite_is(n, "Gemm") || onnx_rewrite_is(n, "Conv")) ||
            n->fused.kind != ONNX_ACTIVATION_NONE)
            continue;
        onnx_node *act = onnx_rewrite_sole_consumer(rw, n->outputs[0]);
        if (act == NULL || act->inputs[0] != n->outputs[0] || act->outputs[0] < 0)
            continue;
        onnx_activation a;
        ferry_status st = activation_of(rw, act, &a);
        if (st != FERRY_OK)
            return st;
        if (a.kind == ONNX_ACTIVATION_NONE)
            continue;
        n->fused = a;
        onnx_rewrite_remove(rw, act);
        onnx_rewrite_set_output(rw, n, 0, act->outputs[0]);
        (*count)++;
    }
    return FERRY_OK;
}
