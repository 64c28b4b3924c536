/* Loading a model: parse, bind ops, prepare, fold constants, optimize, probe shapes; see
 * model.h. */
#include "onnx/model.h"

#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "onnx/exec.h"
#include "onnx/loader.h"
#include "onnx/op_registry.h"
#include "onnx/plan.h"

/* Constant subgraphs are folded at load when their result is at most this large. */
#define ONNX_FOLD_MAX_BYTES ((size_t)256 << 20)

static ferry_status bind_and_prepare(onnx_graph *g, ferry_error *err)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        ferry_status st = onnx_op_bind(&g->nodes[i], err);
        if (st != FERRY_OK)
            return st;
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        onnx_node *n = &g->nodes[i];
        ferry_status st = n->op->prepare != NULL ? n->op->prepare(g, n, err) : FERRY_OK;
        if (st != FERRY_OK)
            return st;
    }
    return FERRY_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Constant folding                                                                             */
/* ------------------------------------------------------------------------------------------ */

static bool inputs_constant(const onnx_graph *g, const onnx_node *n)
{
    if (n->op->flags & ONNX_OP_NO_FOLD)
        return false;
    for (size_t k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] >= 0 && g->values[n->inputs[k]].kind != ONNX_VALUE_CONSTANT)
            return false;
    return true;
}

/* Computes the node's outputs into graph memory; *done is false when they are too large to keep
 * (the node then runs with every inference). */
static ferry_status fold_outputs(onnx_graph *g, onnx_node *n, const onnx_op_ctx *ctx, bool *done,
                                 ferry_error *err)
{
    size_t bytes = 0;
    for (size_t k = 0; k < n->n_outputs; k++)
        if (ctx->outputs[k] != NULL)
            bytes += ctx->outputs[k]->nbytes;
    *done = bytes <= ONNX_FOLD_MAX_BYTES;
    if (!*done)
        return FERRY_OK;
    if (n->op->flags & ONNX_OP_VIEW) {
        ctx->outputs[0]->data = ctx->inputs[0]->data;
        return FERRY_OK;
    }
    for (size_t k = 0; k < n->n_outputs; k++)
        if (ctx->outputs[k] != NULL &&
            (ctx->outputs[k]->data = onnx_graph_alloc(g, ctx->outputs[k]->nbytes)) == NULL)
            return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory folding constants");
    return onnx_exec_node_now(ctx, err);
}

static ferry_status fold_node(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    const ferry_tensor **ins = calloc(n->n_inputs + 1, sizeof *ins);
    ferry_tensor *outs = calloc(n->n_outputs + 1, sizeof *outs);
    ferry_tensor **out_ptrs = calloc(n->n_outputs + 1, sizeof *out_ptrs);
    ferry_status st = ins && outs && out_ptrs
                          ? FERRY_OK
                          : onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    for (size_t k = 0; st == FERRY_OK && k < n->n_inputs; k++)
        ins[k] = n->inputs[k] >= 0 ? &g->values[n->inputs[k]].type : NULL;
    for (size_t k = 0; st == FERRY_OK && k < n->n_outputs; k++) {
        out_ptrs[k] = n->outputs[k] >= 0 ? &outs[k] : NULL;
        outs[k].name = n->outputs[k] >= 0 ? g->values[n->outputs[k]].name : NULL;
    }
    onnx_op_ctx ctx = {.node = n,
                       .n_inputs = n->n_inputs,
                       .inputs = ins,
                       .n_outputs = n->n_outputs,
                       .outputs = out_ptrs};
    if (st == FERRY_OK)
        st = n->op->infer(&ctx, err);
    for (size_t k = 0; st == FERRY_OK && k < n->n_outputs; k++)
        if (out_ptrs[k] != NULL)
            st = onnx_plan_check_output(n, k, out_ptrs[k], err);
    if (st == FERRY_OK)
        st = onnx_check_strings(&ctx, err);
    bool done = false;
    if (st == FERRY_OK)
        st = fold_outputs(g, n, &ctx, &done, err);
    for (size_t k = 0; st == FERRY_OK && done && k < n->n_outputs; k++) {
        if (n->outputs[k] < 0)
            continue;
        onnx_value *v = &g->values[n->outputs[k]];
        v->kind = ONNX_VALUE_CONSTANT;
        v->type = outs[k];
        v->producer = -1;
    }
    n->folded = st == FERRY_OK && done;
    free(ins);
    free(outs);
    free(out_ptrs);
    return st;
}

/* Evaluates, once, every node whose inputs are all constants (Constant nodes among them). */
static ferry_status fold_constants(onnx_graph *g, ferry_error *err)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (!inputs_constant(g, &g->nodes[i]))
            continue;
        ferry_status st = fold_node(g, &g->nodes[i], err);
        if (st != FERRY_OK)
            return st;
    }
    return FERRY_OK;
}

/* Marks graph inputs whose values decide shapes: inputs an op reads while planning (value_inputs),
 * and everything those are computed from (walking the graph backwards), except through ops that
 * read only shapes. */
static ferry_status mark_by_value(onnx_graph *g, ferry_error *err)
{
    bool *needed = calloc(g->n_values + 1, sizeof *needed);
    if (needed == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory");
    for (size_t i = g->n_nodes; i-- > 0;) {
        const onnx_node *n = &g->nodes[i];
        bool outputs_needed = false;
        for (size_t k = 0; k < n->n_outputs; k++)
            outputs_needed = outputs_needed || (n->outputs[k] >= 0 && needed[n->outputs[k]]);
        for (size_t k = 0; !n->folded && k < n->n_inputs; k++)
            if (n->inputs[k] >= 0 && ((k < 32 && (n->op->value_inputs & (1u << k))) ||
                                      (outputs_needed && !(n->op->flags & ONNX_OP_SHAPE_ONLY))))
                needed[n->inputs[k]] = true;
    }
    for (size_t i = 0; i < g->n_inputs; i++)
        g->values[g->inputs[i]].by_value = needed[g->inputs[i]];
    free(needed);
    return FERRY_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Inputs, outputs and shape probes                                                             */
/* ------------------------------------------------------------------------------------------ */

static ferry_status describe_inputs(onnx_model *m, ferry_error *err)
{
    const onnx_graph *g = m->graph;
    m->n_inputs = g->n_inputs;
    m->inputs = onnx_graph_alloc(m->graph, (g->n_inputs + 1) * sizeof *m->inputs);
    if (m->inputs == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < g->n_inputs; i++) {
        const onnx_value *v = &g->values[g->inputs[i]];
        if (v->type.ndim < 0)
            return ferry_error_set(err, FERRY_UNSUPPORTED,
                                   "input '%s' declares no shape; ferry needs its rank", v->name);
        ferry_tensor_info *info = &m->inputs[i];
        *info = (ferry_tensor_info){.name = v->name, .dtype = v->type.dtype, .ndim = v->type.ndim};
        memcpy(info->shape, v->type.shape, sizeof info->shape);
        if (info->dtype == FERRY_DTYPE_FP32)
            info->accepted = 1u << FERRY_DTYPE_FP64;
        else if (info->dtype == FERRY_DTYPE_INT64)
            info->accepted = 1u << FERRY_DTYPE_INT32;
    }
    return FERRY_OK;
}

/* Plans the graph with every symbolic input dimension set to `fill`. */
static ferry_status probe(const onnx_model *m, int64_t fill, onnx_plan **plan, ferry_error *err)
{
    ferry_tensor *shapes = calloc(m->n_inputs + 1, sizeof *shapes);
    if (shapes == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < m->n_inputs; i++) {
        shapes[i].dtype = m->inputs[i].dtype;
        shapes[i].ndim = m->inputs[i].ndim;
        for (int d = 0; d < shapes[i].ndim; d++)
            shapes[i].shape[d] = m->inputs[i].shape[d] < 0 ? fill : m->inputs[i].shape[d];
    }
    ferry_status st = onnx_plan_create(m->graph, shapes, plan, err);
    free(shapes);
    return st;
}

/* Fails when an output's declared dtype, rank or fixed dimension contradicts inference. */
static ferry_status check_declared(const onnx_value *v, const ferry_tensor *t, ferry_error *err)
{
    const ferry_tensor *d = &v->decl;
    bool ok = !v->has_decl || (d->dtype == t->dtype && (d->ndim < 0 || d->ndim == t->ndim));
    for (int k = 0; ok && v->has_decl && d->ndim == t->ndim && k < t->ndim; k++)
        ok = d->shape[k] < 0 || d->shape[k] == t->shape[k];
    if (ok)
        return FERRY_OK;
    return ferry_error_set(err, FERRY_INVALID_ARG,
                           "output '%s' is declared as %s of rank %d but computes %s of rank %d "
                           "(or other dimensions)",
                           v->name, ferry_dtype_name(d->dtype), d->ndim, ferry_dtype_name(t->dtype),
                           t->ndim);
}

/* Output metadata from the probes: dimensions that change with the symbolic ones become -1. */
static ferry_status describe_outputs(onnx_model *m, const onnx_plan *one, const onnx_plan *two,
                                     ferry_error *err)
{
    const onnx_graph *g = m->graph;
    m->n_outputs = g->n_outputs;
    m->outputs = onnx_graph_alloc(m->graph, (g->n_outputs + 1) * sizeof *m->outputs);
    if (m->outputs == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < g->n_outputs; i++) {
        const onnx_value *v = &g->values[g->outputs[i]];
        const ferry_tensor *a = &one->tensors[g->outputs[i]];
        const ferry_tensor *b = &two->tensors[g->outputs[i]];
        ferry_status st = check_declared(v, a, err);
        if (st != FERRY_OK)
            return st;
        ferry_tensor_info *info = &m->outputs[i];
        *info = (ferry_tensor_info){.name = v->name, .dtype = a->dtype, .ndim = a->ndim};
        for (int d = 0; d < a->ndim; d++)
            info->shape[d] = b->ndim == a->ndim && b->shape[d] == a->shape[d] ? a->shape[d] : -1;
    }
    return FERRY_OK;
}

static bool has_symbolic_input(const onnx_model *m)
{
    for (size_t i = 0; i < m->n_inputs; i++)
        for (int d = 0; d < m->inputs[i].ndim; d++)
            if (m->inputs[i].shape[d] < 0)
                return true;
    return false;
}

/* Outputs as declared, for models whose shapes depend on input values (they cannot be probed). */
static ferry_status describe_declared(onnx_model *m, ferry_error *err)
{
    const onnx_graph *g = m->graph;
    m->n_outputs = g->n_outputs;
    m->outputs = onnx_graph_alloc(m->graph, (g->n_outputs + 1) * sizeof *m->outputs);
    if (m->outputs == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < g->n_outputs; i++) {
        const onnx_value *v = &g->values[g->outputs[i]];
        if (!v->has_decl || v->decl.ndim < 0)
            return ferry_error_set(err, FERRY_UNSUPPORTED,
                                   "output '%s' declares no shape and its shape depends on input "
                                   "values",
                                   v->name);
        m->outputs[i] =
            (ferry_tensor_info){.name = v->name, .dtype = v->decl.dtype, .ndim = v->decl.ndim};
        memcpy(m->outputs[i].shape, v->decl.shape, sizeof m->outputs[i].shape);
    }
    return FERRY_OK;
}

static bool has_by_value_input(const onnx_graph *g)
{
    for (size_t i = 0; i < g->n_inputs; i++)
        if (g->values[g->inputs[i]].by_value)
            return true;
    return false;
}

static ferry_status describe(onnx_model *m, ferry_error *err)
{
    onnx_plan *one = NULL, *two = NULL;
    ferry_status st = describe_inputs(m, err);
    if (st == FERRY_OK && has_by_value_input(m->graph))
        return describe_declared(m, err);
    if (st == FERRY_OK)
        st = probe(m, 1, &one, err);
    if (st == FERRY_OK && has_symbolic_input(m))
        st = probe(m, 2, &two, err);
    if (st == FERRY_OK)
        st = describe_outputs(m, one, two != NULL ? two : one, err);
    onnx_plan_destroy(one);
    onnx_plan_destroy(two);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Loading                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* The defaults, which the environment may change: FERRY_ONNX_OPTIMIZE=0 loads graphs as written
 * and FERRY_ONNX_LAYOUT=0 keeps every tensor NCHW (to compare, or to rule either out). */
static onnx_model_options default_options(void)
{
    const char *v = getenv("FERRY_ONNX_OPTIMIZE"), *l = getenv("FERRY_ONNX_LAYOUT");
    return (onnx_model_options){.no_optimize = v != NULL && strcmp(v, "0") == 0,
                                .plain_layout = l != NULL && strcmp(l, "0") == 0};
}

static ferry_status optimize(onnx_model *m, const onnx_model_options *opts, const char *what,
                             ferry_error *err)
{
    if (opts->no_optimize)
        return FERRY_OK;
    ferry_status st = onnx_optimize(m->graph, &m->optimized, err);
    const onnx_optimize_stats *s = &m->optimized;
    if (st == FERRY_OK && log_enabled(LOG_DEBUG))
        log_debug(&(log_fields){.file = what},
                  "onnx optimizer: %d Identity/Dropout removed, %d BatchNormalization folded, %d "
                  "MatMul+Add made Gemm, %d activations fused",
                  s->removed, s->batch_norms, s->gemms, s->activations);
    return st;
}

ferry_status onnx_model_load_buffer_with(const void *data, size_t len, const char *what,
                                         const onnx_model_options *opts, onnx_model **out,
                                         ferry_error *err)
{
    onnx_model_options defaults = default_options();
    if (opts == NULL)
        opts = &defaults;
    onnx_model *m = calloc(1, sizeof *m);
    if (m == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory", what);
    ferry_status st = onnx_load_buffer(data, len, what, &m->graph, err);
    if (st != FERRY_OK) {
        free(m);
        return st;
    }
    m->graph->plain_layout = opts->plain_layout;
    st = bind_and_prepare(m->graph, err);
    if (st == FERRY_OK)
        st = fold_constants(m->graph, err);
    if (st == FERRY_OK)
        st = optimize(m, opts, what, err);
    if (st == FERRY_OK)
        st = mark_by_value(m->graph, err);
    if (st == FERRY_OK)
        st = describe(m, err);
    if (st != FERRY_OK) {
        ferry_error_prefix(err, "%s: ", what);
        onnx_model_destroy(m);
        return st;
    }
    *out = m;
    return FERRY_OK;
}

ferry_status onnx_model_load_buffer(const void *data, size_t len, const char *what,
                                    onnx_model **out, ferry_error *err)
{
    return onnx_model_load_buffer_with(data, len, what, NULL, out, err);
}

ferry_status onnx_model_load_file_with(const char *path, const onnx_model_options *opts,
                                       onnx_model **out, ferry_error *err)
{
    char *data = NULL;
    size_t len = 0;
    ferry_status st = fs_read_file(path, &data, &len, err);
    if (st != FERRY_OK)
        return st;
    st = onnx_model_load_buffer_with(data, len, path, opts, out, err);
    free(data);
    return st;
}

ferry_status onnx_model_load_file(const char *path, onnx_model **out, ferry_error *err)
{
    return onnx_model_load_file_with(path, NULL, out, err);
}

void onnx_model_destroy(onnx_model *m)
{
    if (m == NULL)
        return;
    onnx_graph_destroy(m->graph);
    free(m);
}
