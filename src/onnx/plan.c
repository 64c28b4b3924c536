/* Plan building: shape inference, folding, views and memory placement; see plan.h. */
#include "onnx/plan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/exec.h"
#include "onnx/layout.h"
#include "onnx/memplan.h"

/* Largest single tensor a plan accepts. */
#define ONNX_PLAN_MAX_TENSOR_BYTES ((size_t)1 << 34)
/* Values computable while planning are computed then when at most this many elements. */
#define ONNX_PLAN_FOLD_MAX_ELEMENTS (1 << 16)
#define ONNX_PLAN_MEM_MAX           ((size_t)1 << 36)

static ferry_status plan_no_memory(ferry_error *err)
{
    return ferry_error_set(err, FERRY_NO_MEMORY, "planning: out of memory");
}

static void *plan_alloc(onnx_plan *p, size_t size)
{
    void *mem = arena_alloc(&p->mem, size ? size : 1);
    if (mem != NULL)
        memset(mem, 0, size);
    return mem;
}

/* ------------------------------------------------------------------------------------------ */
/* Values                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* A by-value input's data joins the plan (and its key), so that what depends on it is computed
 * while planning. */
static ferry_status keep_value(onnx_plan *p, ferry_tensor *t, const ferry_tensor *in,
                               ferry_error *err)
{
    if (t->dtype == FERRY_DTYPE_BYTES)
        return ferry_error_set(err, FERRY_UNSUPPORTED,
                               "input '%s' is a string tensor whose values decide shapes; ferry "
                               "plans by the values of numeric inputs only",
                               t->name);
    if (t->nbytes > ONNX_PLAN_BY_VALUE_MAX || (in->data == NULL && t->nbytes > 0) ||
        in->nbytes != t->nbytes)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s' decides shapes by its values; it must hold at most %d "
                               "bytes",
                               t->name, ONNX_PLAN_BY_VALUE_MAX);
    unsigned char *grown = plan_alloc(p, p->key_values_len + t->nbytes);
    if (grown == NULL)
        return plan_no_memory(err);
    if (p->key_values_len > 0)
        memcpy(grown, p->key_values, p->key_values_len);
    if (t->nbytes > 0)
        memcpy(grown + p->key_values_len, in->data, t->nbytes);
    p->key_values = grown;
    t->data = grown + p->key_values_len;
    p->key_values_len += t->nbytes;
    return FERRY_OK;
}

static ferry_status init_values(onnx_plan *p, const ferry_tensor *inputs, ferry_error *err)
{
    const onnx_graph *g = p->g;
    p->tensors = plan_alloc(p, g->n_values * sizeof *p->tensors);
    p->offsets = plan_alloc(p, g->n_values * sizeof *p->offsets);
    p->alias = plan_alloc(p, g->n_values * sizeof *p->alias);
    p->aliases = plan_alloc(p, g->n_values * sizeof *p->aliases);
    p->placed = plan_alloc(p, g->n_values * sizeof *p->placed);
    p->steps = plan_alloc(p, g->n_nodes * sizeof *p->steps);
    p->outputs = plan_alloc(p, g->n_outputs * sizeof *p->outputs);
    size_t key_len = 0;
    for (size_t i = 0; i < g->n_inputs; i++)
        key_len += (size_t)inputs[i].ndim + 1;
    p->key = plan_alloc(p, key_len * sizeof *p->key);
    if (!p->tensors || !p->offsets || !p->alias || !p->aliases || !p->placed || !p->steps ||
        !p->outputs || !p->key)
        return plan_no_memory(err);
    for (size_t v = 0; v < g->n_values; v++) {
        const onnx_value *val = &g->values[v];
        p->tensors[v] = val->kind == ONNX_VALUE_CONSTANT ? val->type : (ferry_tensor){0};
        p->tensors[v].name = val->name;
        p->tensors[v].owned = false;
        p->offsets[v] = ONNX_PLAN_NOWHERE;
        p->alias[v] = -1;
    }
    for (size_t i = 0; i < g->n_inputs; i++) {
        ferry_tensor *t = &p->tensors[g->inputs[i]];
        t->dtype = g->values[g->inputs[i]].type.dtype;
        t->ndim = inputs[i].ndim;
        memcpy(t->shape, inputs[i].shape, sizeof t->shape);
        p->key[p->key_len++] = inputs[i].ndim;
        for (int d = 0; d < inputs[i].ndim; d++)
            p->key[p->key_len++] = inputs[i].shape[d];
        ferry_status st = onnx_plan_check_output(NULL, i, t, err);
        if (st == FERRY_OK && g->values[g->inputs[i]].by_value)
            st = keep_value(p, t, &inputs[i], err);
        if (st != FERRY_OK)
            return st;
    }
    return FERRY_OK;
}

ferry_status onnx_plan_check_output(const onnx_node *n, size_t k, ferry_tensor *t, ferry_error *err)
{
    char where[320], label[256];
    if (n != NULL)
        snprintf(where, sizeof where, "%s: output %zu ('%s')",
                 onnx_node_label(n, label, sizeof label), k, t->name ? t->name : "");
    else
        snprintf(where, sizeof where, "input '%s'", t->name ? t->name : "");
    size_t size = onnx_elem_size(t->dtype);
    if (size == 0 || t->ndim < 0 || t->ndim > FERRY_MAX_DIMS)
        return ferry_error_set(err, FERRY_INTERNAL, "%s: no valid dtype and shape inferred", where);
    uint64_t count;
    ferry_error inner;
    if (ferry_shape_elements(t->shape, t->ndim, ONNX_PLAN_MAX_TENSOR_BYTES / size, &count,
                             &inner) != FERRY_OK)
        return ferry_error_set(err, inner.code, "%s: %s", where, inner.message);
    t->nbytes = (size_t)count * size;
    return FERRY_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Nodes                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static ferry_status make_ctx(onnx_plan *p, const onnx_node *n, onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor **ins = plan_alloc(p, n->n_inputs * sizeof *ins);
    ferry_tensor **outs = plan_alloc(p, n->n_outputs * sizeof *outs);
    if (ins == NULL || outs == NULL)
        return plan_no_memory(err);
    for (size_t k = 0; k < n->n_inputs; k++)
        ins[k] = n->inputs[k] >= 0 ? &p->tensors[n->inputs[k]] : NULL;
    for (size_t k = 0; k < n->n_outputs; k++)
        outs[k] = n->outputs[k] >= 0 ? &p->tensors[n->outputs[k]] : NULL;
    *ctx = (onnx_op_ctx){.node = n,
                         .n_inputs = n->n_inputs,
                         .inputs = ins,
                         .n_outputs = n->n_outputs,
                         .outputs = outs};
    return FERRY_OK;
}

/* True when the node can be evaluated now: its inputs are known (or it reads only shapes) and
 * its outputs are small. */
static bool foldable(const onnx_node *n, const onnx_op_ctx *ctx)
{
    if (n->op->flags & ONNX_OP_NO_FOLD)
        return false;
    for (size_t k = 0; k < ctx->n_inputs; k++)
        if (ctx->inputs[k] != NULL && ctx->inputs[k]->data == NULL &&
            !(n->op->flags & ONNX_OP_SHAPE_ONLY))
            return false;
    int64_t elements = 0;
    for (size_t k = 0; k < ctx->n_outputs; k++)
        if (ctx->outputs[k] != NULL)
            elements += onnx_numel(ctx->outputs[k]);
    return elements <= ONNX_PLAN_FOLD_MAX_ELEMENTS;
}

static ferry_status fold_node(onnx_plan *p, const onnx_op_ctx *ctx, ferry_error *err)
{
    for (size_t k = 0; k < ctx->n_outputs; k++) {
        ferry_tensor *t = ctx->outputs[k];
        if (t != NULL && (t->data = plan_alloc(p, t->nbytes)) == NULL)
            return plan_no_memory(err);
    }
    return onnx_exec_node_now(ctx, err);
}

/* Output 0 of a view op shares input 0's memory (or its root's, for a chain of views). */
static ferry_status make_view(onnx_plan *p, const onnx_node *n, const onnx_op_ctx *ctx,
                              ferry_error *err)
{
    const ferry_tensor *in = ctx->inputs[0];
    ferry_tensor *out = ctx->outputs[0];
    if (in == NULL || out == NULL || in->dtype != out->dtype || in->nbytes != out->nbytes)
        return onnx_node_error(err, FERRY_INTERNAL, n, "view output does not match its input");
    int root = p->alias[n->inputs[0]] >= 0 ? p->alias[n->inputs[0]] : n->inputs[0];
    p->alias[n->outputs[0]] = root;
    p->aliases[p->n_aliases++] = n->outputs[0];
    out->data = in->data; /* known while planning when the input is */
    return FERRY_OK;
}

static ferry_status plan_node(onnx_plan *p, const onnx_node *n, ferry_error *err)
{
    onnx_op_ctx ctx;
    ferry_status st = make_ctx(p, n, &ctx, err);
    if (st == FERRY_OK)
        st = n->op->infer(&ctx, err);
    for (size_t k = 0; st == FERRY_OK && k < n->n_outputs; k++)
        if (ctx.outputs[k] != NULL)
            st = onnx_plan_check_output(n, k, ctx.outputs[k], err);
    if (st == FERRY_OK)
        st = onnx_check_strings(&ctx, err);
    if (st != FERRY_OK)
        return st;
    if (n->op->flags & ONNX_OP_VIEW)
        return make_view(p, n, &ctx, err);
    if (foldable(n, &ctx))
        return fold_node(p, &ctx, err);
    onnx_plan_step *step = &p->steps[p->n_steps++];
    step->node = n;
    step->ctx = ctx;
    step->ctx.scratch_size = n->op->plan != NULL ? n->op->plan(&ctx) : 0;
    return FERRY_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Memory                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Graph outputs computed by a step are written straight into the caller's memory (each value
 * once); the others (constants, inputs, views, repeats, and strings, which change layout) are
 * copied there after the run. */
static void choose_direct_outputs(onnx_plan *p, const int *producer_step)
{
    const onnx_graph *g = p->g;
    for (size_t i = 0; i < g->n_outputs; i++) {
        int v = g->outputs[i];
        p->outputs[i].value = v;
        p->outputs[i].direct =
            producer_step[v] >= 0 && p->alias[v] < 0 && p->tensors[v].dtype != FERRY_DTYPE_BYTES;
        for (size_t j = 0; j < i && p->outputs[i].direct; j++)
            if (p->outputs[j].value == v)
                p->outputs[i].direct = false;
    }
}

/* Last step reading each value (through views too); the end for values copied out afterwards. */
static void last_uses(const onnx_plan *p, int *last)
{
    const onnx_graph *g = p->g;
    for (size_t v = 0; v < g->n_values; v++)
        last[v] = -1;
    for (size_t s = 0; s < p->n_steps; s++)
        for (size_t k = 0; k < p->steps[s].node->n_inputs; k++) {
            int v = p->steps[s].node->inputs[k];
            if (v >= 0) {
                int root = p->alias[v] >= 0 ? p->alias[v] : v;
                last[root] = (int)s;
            }
        }
    for (size_t i = 0; i < g->n_outputs; i++)
        if (!p->outputs[i].direct) {
            int v = p->outputs[i].value;
            last[p->alias[v] >= 0 ? p->alias[v] : v] = (int)p->n_steps;
        }
}

static ferry_status place_buffers(onnx_plan *p, const int *producer_step, const int *last,
                                  ferry_error *err)
{
    const onnx_graph *g = p->g;
    size_t n_items = p->n_steps; /* one scratch item per step, then the values */
    onnx_memplan_item *items = calloc(g->n_values + p->n_steps + 1, sizeof *items);
    int *item_value = calloc(g->n_values + p->n_steps + 1, sizeof *item_value);
    if (items == NULL || item_value == NULL) {
        free(items);
        free(item_value);
        return plan_no_memory(err);
    }
    for (size_t s = 0; s < p->n_steps; s++) {
        /* Scratch that outputs point into lives to the end: strings copied out of it (Gather,
         * Concat, views) may reach any later step or graph output. */
        bool keep = p->steps[s].node->op->flags & ONNX_OP_KEEP_SCRATCH;
        /* one region per thread; an overflowing product becomes a size memplan refuses */
        size_t per = p->steps[s].ctx.scratch_size, threads = (size_t)p->n_threads;
        size_t size = per <= SIZE_MAX / 4 / threads ? per * threads : SIZE_MAX / 2;
        items[s] = (onnx_memplan_item){
            .size = size, .first = (int)s, .last = keep ? (int)p->n_steps : (int)s};
    }
    for (size_t v = 0; v < g->n_values; v++) {
        bool direct = false;
        for (size_t i = 0; i < g->n_outputs; i++)
            direct = direct || (p->outputs[i].value == (int)v && p->outputs[i].direct);
        /* String graph inputs are parsed into the arena (their wire layout is not the engine's):
         * they live from the first step on. */
        bool string_input =
            g->values[v].kind == ONNX_VALUE_INPUT && p->tensors[v].dtype == FERRY_DTYPE_BYTES;
        if ((producer_step[v] < 0 && !string_input) || p->alias[v] >= 0 || direct)
            continue;
        int first = string_input ? 0 : producer_step[v];
        items[n_items] = (onnx_memplan_item){.size = p->tensors[v].nbytes,
                                             .first = first,
                                             .last = last[v] > first ? last[v] : first};
        item_value[n_items++] = (int)v;
    }
    ferry_status st = onnx_memplan_assign(items, n_items, &p->arena_size, err);
    for (size_t s = 0; st == FERRY_OK && s < p->n_steps; s++)
        p->steps[s].scratch_offset = items[s].offset;
    for (size_t k = p->n_steps; st == FERRY_OK && k < n_items; k++) {
        p->offsets[item_value[k]] = items[k].offset;
        p->placed[p->n_placed++] = item_value[k];
    }
    free(items);
    free(item_value);
    return st;
}

static ferry_status plan_memory(onnx_plan *p, ferry_error *err)
{
    const onnx_graph *g = p->g;
    int *producer_step = malloc((g->n_values + 1) * sizeof *producer_step);
    int *last = malloc((g->n_values + 1) * sizeof *last);
    if (producer_step == NULL || last == NULL) {
        free(producer_step);
        free(last);
        return plan_no_memory(err);
    }
    for (size_t v = 0; v < g->n_values; v++)
        producer_step[v] = -1;
    for (size_t s = 0; s < p->n_steps; s++)
        for (size_t k = 0; k < p->steps[s].node->n_outputs; k++)
            if (p->steps[s].node->outputs[k] >= 0)
                producer_step[p->steps[s].node->outputs[k]] = (int)s;
    choose_direct_outputs(p, producer_step);
    last_uses(p, last);
    ferry_status st = place_buffers(p, producer_step, last, err);
    free(producer_step);
    free(last);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Plans                                                                                        */
/* ------------------------------------------------------------------------------------------ */

ferry_status onnx_plan_create(const onnx_graph *g, const ferry_tensor *inputs, onnx_plan **out,
                              ferry_error *err)
{
    return onnx_plan_create_threads(g, inputs, 1, out, err);
}

ferry_status onnx_plan_create_threads(const onnx_graph *g, const ferry_tensor *inputs,
                                      int n_threads, onnx_plan **out, ferry_error *err)
{
    if (n_threads < 1)
        return ferry_error_set(err, FERRY_INVALID_ARG, "planning for %d threads", n_threads);
    onnx_plan *p = calloc(1, sizeof *p);
    if (p == NULL)
        return plan_no_memory(err);
    p->g = g;
    p->n_threads = n_threads;
    arena_init(&p->mem, ONNX_PLAN_MEM_MAX);
    ferry_status st = init_values(p, inputs, err);
    for (size_t i = 0; st == FERRY_OK && i < g->n_nodes; i++)
        if (!g->nodes[i].folded)
            st = plan_node(p, &g->nodes[i], err);
    if (st == FERRY_OK)
        st = onnx_layout_choose(p, err);
    if (st == FERRY_OK)
        st = plan_memory(p, err);
    if (st != FERRY_OK) {
        onnx_plan_destroy(p);
        return st;
    }
    *out = p;
    return FERRY_OK;
}

void onnx_plan_destroy(onnx_plan *p)
{
    if (p == NULL)
        return;
    arena_free(&p->mem);
    free(p);
}

bool onnx_plan_matches(const onnx_plan *p, const ferry_tensor *inputs)
{
    size_t k = 0, at = 0;
    for (size_t i = 0; i < p->g->n_inputs; i++) {
        if (k >= p->key_len || p->key[k++] != inputs[i].ndim)
            return false;
        for (int d = 0; d < inputs[i].ndim; d++)
            if (p->key[k++] != inputs[i].shape[d])
                return false;
        if (!p->g->values[p->g->inputs[i]].by_value)
            continue;
        if (at + inputs[i].nbytes > p->key_values_len ||
            (inputs[i].nbytes > 0 && memcmp(p->key_values + at, inputs[i].data, inputs[i].nbytes)))
            return false;
        at += inputs[i].nbytes;
    }
    return true;
}
