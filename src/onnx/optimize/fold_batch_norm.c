/* Pass: folds BatchNormalization into the Conv before it. With a = scale / sqrt(var + eps) per
 * output channel (computed in float as the BatchNormalization kernel does), the Conv's weights
 * become W * a and its bias (b - mean) * a + B; a Conv without bias gets one. Fires when the
 * weights, the bias and the four BatchNormalization parameters are float constants of matching
 * length and the Conv's output is read by the BatchNormalization alone (not a graph output). The
 * new weights and bias are new constants: the old ones may have other readers. */
#include <math.h>
#include <string.h>

#include "onnx/op.h"
#include "onnx/optimize/passes.h"

/* The Conv's weights, optional bias and the BatchNormalization's parameters. */
typedef struct bn_fold {
    const ferry_tensor *w, *b;
    const ferry_tensor *scale, *shift, *mean, *var;
    int64_t m; /* output channels */
} bn_fold;

static const ferry_tensor *channel_param(const onnx_rewrite *rw, const onnx_node *n, size_t k,
                                         int64_t m)
{
    const ferry_tensor *t = k < n->n_inputs ? onnx_rewrite_const_f32(rw, n->inputs[k]) : NULL;
    return t != NULL && t->ndim == 1 && t->shape[0] == m ? t : NULL;
}

static bool match(const onnx_rewrite *rw, const onnx_node *conv, const onnx_node *bn, bn_fold *f)
{
    if (bn->inputs[0] != conv->outputs[0] || bn->n_inputs != 5 || bn->outputs[0] < 0)
        return false;
    f->w = onnx_rewrite_const_f32(rw, conv->inputs[1]);
    if (f->w == NULL || f->w->ndim < 3 || f->w->shape[0] <= 0)
        return false;
    f->m = f->w->shape[0];
    bool has_bias = conv->n_inputs > 2 && conv->inputs[2] >= 0;
    f->b = has_bias ? channel_param(rw, conv, 2, f->m) : NULL;
    f->scale = channel_param(rw, bn, 1, f->m);
    f->shift = channel_param(rw, bn, 2, f->m);
    f->mean = channel_param(rw, bn, 3, f->m);
    f->var = channel_param(rw, bn, 4, f->m);
    return (!has_bias || f->b != NULL) && f->scale && f->shift && f->mean && f->var;
}

/* New weights and bias into w2 and b2; false when a factor is not finite (a variance below
 * -epsilon): the BatchNormalization then stays as written. */
static bool compute(const bn_fold *f, float eps, float *w2, float *b2)
{
    const float *w = f->w->data, *b = f->b != NULL ? f->b->data : NULL;
    const float *scale = f->scale->data, *shift = f->shift->data;
    const float *mean = f->mean->data, *var = f->var->data;
    int64_t per = onnx_numel(f->w) / f->m;
    for (int64_t c = 0; c < f->m; c++) {
        float a = scale[c] / sqrtf(var[c] + eps), shift_c = shift[c] - mean[c] * a;
        b2[c] = (b != NULL ? b[c] * a : 0.0f) + shift_c;
        if (!isfinite(a) || !isfinite(b2[c]))
            return false;
        for (int64_t i = c * per; i < (c + 1) * per; i++)
            w2[i] = w[i] * a;
    }
    return true;
}

static ferry_status fold(onnx_rewrite *rw, onnx_node *conv, onnx_node *bn, const bn_fold *f,
                         bool *done)
{
    onnx_graph *g = rw->g;
    float eps;
    ferry_status st = onnx_attr_float(bn, "epsilon", 1e-5f, &eps, rw->err);
    if (st != FERRY_OK)
        return st;
    float *w2 = onnx_graph_alloc(g, f->w->nbytes);
    float *b2 = onnx_graph_alloc(g, (size_t)f->m * sizeof *b2);
    if (w2 == NULL || b2 == NULL)
        return onnx_node_error(rw->err, FERRY_NO_MEMORY, conv, "optimizer: out of memory");
    *done = compute(f, eps, w2, b2);
    if (!*done)
        return FERRY_OK;
    /* Copies: adding a constant may move g->values, which f points into. */
    ferry_tensor wt = *f->w, bt = {.dtype = FERRY_DTYPE_FP32, .ndim = 1, .shape = {f->m}};
    const char *base = f->w->name;
    wt.data = w2;
    bt.data = b2;
    bt.nbytes = (size_t)f->m * sizeof *b2;
    int wv, bv;
    st = onnx_rewrite_add_constant(rw, base, "_bn", &wt, &wv);
    if (st == FERRY_OK)
        st = onnx_rewrite_add_constant(rw, base, "_bn_bias", &bt, &bv);
    if (st == FERRY_OK)
        st = onnx_rewrite_set_input(rw, conv, 1, wv);
    if (st == FERRY_OK)
        st = onnx_rewrite_set_input(rw, conv, 2, bv);
    if (st != FERRY_OK)
        return st;
    onnx_rewrite_remove(rw, bn);
    onnx_rewrite_set_output(rw, conv, 0, bn->outputs[0]);
    return FERRY_OK;
}

ferry_status onnx_pass_fold_batch_norm(onnx_rewrite *rw, int *count)
{
    *count = 0;
    for (size_t i = 0; i < rw->g->n_nodes; i++) {
        onnx_node *conv = onnx_rewrite_node(rw, i, "Conv");
        onnx_node *bn = conv != NULL ? onnx_rewrite_sole_consumer(rw, conv->outputs[0]) : NULL;
        bn_fold f;
        if (bn == NULL || !onnx_rewrite_is(bn, "BatchNormalization") || !match(rw, conv, bn, &f))
            continue;
        bool done = false;
        ferry_status st = fold(rw, conv, bn, &f, &done);
        if (st != FERRY_OK)
            return st;
        *count += done;
    }
    return FERRY_OK;
}
