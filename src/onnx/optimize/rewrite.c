/* Graph editing for the optimizer's passes; see rewrite.h. */
#include "onnx/optimize/rewrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ferry_status onnx_rewrite_init(onnx_rewrite *rw, onnx_graph *g, ferry_error *err)
{
    *rw = (onnx_rewrite){.g = g, .values_cap = g->n_values, .err = err};
    rw->dead = calloc(g->n_nodes + 1, sizeof *rw->dead);
    rw->uses = calloc(g->n_values + 1, sizeof *rw->uses);
    if (rw->dead == NULL || rw->uses == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "optimizer: out of memory");
    for (size_t i = 0; i < g->n_nodes; i++)
        for (size_t k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0)
                rw->uses[g->nodes[i].inputs[k]]++;
    return FERRY_OK;
}

/* Drops removed nodes, renumbering node indexes and the producers of node outputs; values that
 * no node computes any more (their consumers were rewired) are left without a producer. */
static void compact(onnx_rewrite *rw)
{
    onnx_graph *g = rw->g;
    for (size_t v = 0; v < g->n_values; v++)
        if (g->values[v].kind == ONNX_VALUE_NODE_OUTPUT)
            g->values[v].producer = -1;
    size_t kept = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (rw->dead[i])
            continue;
        if (kept != i)
            g->nodes[kept] = g->nodes[i];
        onnx_node *n = &g->nodes[kept];
        n->index = (int)kept++;
        for (size_t k = 0; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0 && g->values[n->outputs[k]].kind == ONNX_VALUE_NODE_OUTPUT)
                g->values[n->outputs[k]].producer = n->index;
    }
    g->n_nodes = kept;
}

void onnx_rewrite_finish(onnx_rewrite *rw, bool compact_nodes)
{
    if (compact_nodes && rw->dead != NULL)
        compact(rw);
    free(rw->dead);
    free(rw->uses);
    rw->dead = NULL;
    rw->uses = NULL;
}

bool onnx_rewrite_is(const onnx_node *n, const char *op_type)
{
    return n->domain[0] == '\0' && strcmp(n->op_type, op_type) == 0;
}

onnx_node *onnx_rewrite_node(onnx_rewrite *rw, size_t i, const char *op_type)
{
    onnx_node *n = &rw->g->nodes[i];
    if (rw->dead[i] || n->folded || (op_type != NULL && !onnx_rewrite_is(n, op_type)))
        return NULL;
    return n;
}

onnx_node *onnx_rewrite_sole_consumer(onnx_rewrite *rw, int v)
{
    const onnx_graph *g = rw->g;
    if (v < 0 || g->values[v].is_output || rw->uses[v] != 1)
        return NULL;
    /* Nodes are in topological order: the consumer comes after the producer. */
    size_t start = g->values[v].producer >= 0 ? (size_t)g->values[v].producer + 1 : 0;
    for (size_t i = start; i < g->n_nodes; i++) {
        onnx_node *n = &g->nodes[i];
        for (size_t k = 0; !rw->dead[i] && k < n->n_inputs; k++)
            if (n->inputs[k] == v)
                return n->folded ? NULL : n;
    }
    return NULL;
}

const ferry_tensor *onnx_rewrite_const_f32(const onnx_rewrite *rw, int v)
{
    if (v < 0)
        return NULL;
    const onnx_value *val = &rw->g->values[v];
    if (val->kind != ONNX_VALUE_CONSTANT || val->type.dtype != FERRY_DTYPE_FP32 ||
        val->type.data == NULL)
        return NULL;
    return &val->type;
}

void onnx_rewrite_remove(onnx_rewrite *rw, onnx_node *n)
{
    rw->dead[n->index] = true;
    for (size_t k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] >= 0)
            rw->uses[n->inputs[k]]--;
}

void onnx_rewrite_replace_uses(onnx_rewrite *rw, int from, int to)
{
    onnx_graph *g = rw->g;
    for (size_t i = 0; i < g->n_nodes; i++)
        for (size_t k = 0; !rw->dead[i] && k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] == from) {
                g->nodes[i].inputs[k] = to;
                rw->uses[from]--;
                rw->uses[to]++;
            }
}

ferry_status onnx_rewrite_set_input(onnx_rewrite *rw, onnx_node *n, size_t k, int v)
{
    if (k >= n->n_inputs) {
        int *grown = onnx_graph_alloc(rw->g, (k + 1) * sizeof *grown);
        if (grown == NULL)
            return onnx_node_error(rw->err, FERRY_NO_MEMORY, n, "optimizer: out of memory");
        for (size_t j = 0; j <= k; j++)
            grown[j] = j < n->n_inputs ? n->inputs[j] : -1;
        n->inputs = grown;
        n->n_inputs = k + 1;
    }
    if (n->inputs[k] >= 0)
        rw->uses[n->inputs[k]]--;
    n->inputs[k] = v;
    if (v >= 0)
        rw->uses[v]++;
    return FERRY_OK;
}

void onnx_rewrite_set_output(onnx_rewrite *rw, onnx_node *n, size_t k, int v)
{
    onnx_value *values = rw->g->values;
    int old = n->outputs[k];
    if (old >= 0 && values[old].producer == n->index)
        values[old].producer = -1;
    n->outputs[k] = v;
    values[v].producer = n->index;
}

static bool name_taken(const onnx_graph *g, const char *name)
{
    for (size_t v = 0; v < g->n_values; v++)
        if (strcmp(g->values[v].name, name) == 0)
            return true;
    return false;
}

/* Room for one more value: g->values moves to a larger array in graph memory (values are
 * referred to by index only, so nothing points into it). */
static ferry_status reserve_value(onnx_rewrite *rw)
{
    onnx_graph *g = rw->g;
    if (g->n_values < rw->values_cap)
        return FERRY_OK;
    size_t cap = rw->values_cap * 2 + 8;
    onnx_value *values = onnx_graph_alloc(g, cap * sizeof *values);
    int *uses = realloc(rw->uses, (cap + 1) * sizeof *uses);
    if (uses != NULL)
        rw->uses = uses;
    if (values == NULL || uses == NULL)
        return ferry_error_set(rw->err, FERRY_NO_MEMORY, "optimizer: out of memory");
    memcpy(values, g->values, g->n_values * sizeof *values);
    memset(uses + g->n_values, 0, (cap + 1 - g->n_values) * sizeof *uses);
    g->values = values;
    rw->values_cap = cap;
    return FERRY_OK;
}

ferry_status onnx_rewrite_add_constant(onnx_rewrite *rw, const char *base, const char *suffix,
                                       const ferry_tensor *t, int *out)
{
    onnx_graph *g = rw->g;
    ferry_status st = reserve_value(rw);
    if (st != FERRY_OK)
        return st;
    char name[512];
    snprintf(name, sizeof name, "%.400s%s", base, suffix);
    for (int i = 2; name_taken(g, name); i++)
        snprintf(name, sizeof name, "%.400s%s_%d", base, suffix, i);
    char *copy = onnx_graph_strndup(g, name, strlen(name));
    if (copy == NULL)
        return ferry_error_set(rw->err, FERRY_NO_MEMORY, "optimizer: out of memory");
    onnx_value *v = &g->values[g->n_values];
    *v = (onnx_value){.name = copy, .kind = ONNX_VALUE_CONSTANT, .type = *t, .producer = -1};
    v->type.name = copy;
    v->type.owned = false;
    *out = (int)g->n_values++;
    return FERRY_OK;
}
