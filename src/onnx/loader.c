/* ModelProto to graph IR; see loader.h. */
#include "onnx/loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "onnx.pb-c.h"
#include "onnx/proto_depth.h"
#include "onnx/tensor_proto.h"

/* Value names to indices: open addressing over a power-of-two table (malloc'ed, load-time only).
 */
typedef struct name_table {
    int *slots; /* value index or -1 */
    size_t mask;
    const onnx_graph *g;
} name_table;

/* What one load carries around. */
typedef struct load_ctx {
    onnx_graph *g;
    const Onnx__GraphProto *gp;
    const char *what; /* the file, for messages */
    name_table names;
    ferry_error *err;
} load_ctx;

static ferry_status no_memory(load_ctx *c)
{
    return ferry_error_set(c->err, FERRY_NO_MEMORY, "%s: out of memory", c->what);
}

/* ------------------------------------------------------------------------------------------ */
/* Name table                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static size_t name_hash(const char *s)
{
    size_t h = 14695981039346656037u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static bool names_init(name_table *t, const onnx_graph *g, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    t->slots = malloc(cap * sizeof *t->slots);
    t->mask = cap - 1;
    t->g = g;
    if (t->slots != NULL)
        memset(t->slots, 0xff, cap * sizeof *t->slots);
    return t->slots != NULL;
}

/* The slot where `name` is or would go. */
static size_t names_slot(const name_table *t, const char *name)
{
    size_t i = name_hash(name) & t->mask;
    while (t->slots[i] >= 0 && strcmp(t->g->values[t->slots[i]].name, name) != 0)
        i = (i + 1) & t->mask;
    return i;
}

static int names_find(const name_table *t, const char *name)
{
    return t->slots[names_slot(t, name)];
}

/* ------------------------------------------------------------------------------------------ */
/* Values                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Adds a value named `name`; fails when the name is taken or empty. */
static ferry_status add_value(load_ctx *c, const char *name, onnx_value_kind kind, const char *role,
                              int *index)
{
    if (name == NULL || name[0] == '\0')
        return ferry_error_set(c->err, FERRY_INVALID_ARG, "%s: %s without a name", c->what, role);
    size_t slot = names_slot(&c->names, name);
    if (c->names.slots[slot] >= 0)
        return ferry_error_set(c->err, FERRY_INVALID_ARG,
                               "%s: tensor '%s' is defined twice (as %s)", c->what, name, role);
    onnx_value *v = &c->g->values[c->g->n_values];
    v->name = onnx_graph_strndup(c->g, name, strlen(name));
    if (v->name == NULL)
        return no_memory(c);
    v->kind = kind;
    v->producer = -1;
    v->type.name = v->name;
    v->type.ndim = -1;
    *index = (int)c->g->n_values;
    c->names.slots[slot] = *index;
    c->g->n_values++;
    return FERRY_OK;
}

static ferry_status load_initializers(load_ctx *c)
{
    if (c->gp->n_sparse_initializer > 0)
        return ferry_error_set(c->err, FERRY_UNSUPPORTED,
                               "%s: sparse initializers are not supported", c->what);
    for (size_t i = 0; i < c->gp->n_initializer; i++) {
        const Onnx__TensorProto *p = c->gp->initializer[i];
        int index;
        ferry_status st = add_value(c, p->name, ONNX_VALUE_CONSTANT, "an initializer", &index);
        if (st != FERRY_OK)
            return st;
        onnx_value *v = &c->g->values[index];
        char what[512];
        snprintf(what, sizeof what, "%s: initializer '%s'", c->what, v->name);
        st = onnx_tensor_from_proto(p, &c->g->mem, what, &v->type, c->err);
        if (st != FERRY_OK)
            return st;
        v->type.name = v->name;
    }
    return FERRY_OK;
}

/* Reads a ValueInfo's tensor type: dtype, and shape with -1 for symbolic or unknown dimensions;
 * ndim -1 when the model gives no shape. */
static ferry_status read_type(load_ctx *c, const Onnx__ValueInfoProto *vi, const char *role,
                              ferry_tensor *t)
{
    const Onnx__TypeProto *tp = vi->type;
    if (tp == NULL || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        tp->tensor_type == NULL)
        return ferry_error_set(c->err, FERRY_UNSUPPORTED,
                               "%s: %s '%s' is not a tensor (sequences, maps and optionals are "
                               "not supported)",
                               c->what, role, vi->name);
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    t->dtype = onnx_dtype_from_proto(tt->elem_type);
    if (t->dtype == FERRY_DTYPE_INVALID)
        return ferry_error_set(c->err, FERRY_UNSUPPORTED,
                               "%s: %s '%s' has element type %s (%d), unsupported", c->what, role,
                               vi->name, onnx_proto_type_name(tt->elem_type), (int)tt->elem_type);
    t->ndim = -1;
    if (tt->shape == NULL)
        return FERRY_OK;
    if (tt->shape->n_dim > FERRY_MAX_DIMS)
        return ferry_error_set(c->err, FERRY_UNSUPPORTED,
                               "%s: %s '%s' has %zu dimensions; at most %d", c->what, role,
                               vi->name, tt->shape->n_dim, FERRY_MAX_DIMS);
    t->ndim = (int)tt->shape->n_dim;
    for (size_t d = 0; d < tt->shape->n_dim; d++) {
        const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];
        bool fixed = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        if (fixed && dim->dim_value < 0)
            return ferry_error_set(c->err, FERRY_INVALID_ARG,
                                   "%s: %s '%s' has a negative dimension (%lld)", c->what, role,
                                   vi->name, (long long)dim->dim_value);
        t->shape[d] = fixed ? dim->dim_value : -1;
    }
    return FERRY_OK;
}

/* Graph inputs; one that is also an initializer stays a constant (ferry does not let requests
 * override initializers). */
static ferry_status load_inputs(load_ctx *c)
{
    onnx_graph *g = c->g;
    g->inputs = onnx_graph_alloc(g, c->gp->n_input * sizeof *g->inputs);
    if (g->inputs == NULL)
        return no_memory(c);
    for (size_t i = 0; i < c->gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = c->gp->input[i];
        if (vi->name != NULL && names_find(&c->names, vi->name) >= 0 &&
            g->values[names_find(&c->names, vi->name)].kind == ONNX_VALUE_CONSTANT)
            continue;
        int index;
        ferry_status st = add_value(c, vi->name, ONNX_VALUE_INPUT, "a graph input", &index);
        if (st == FERRY_OK)
            st = read_type(c, vi, "input", &g->values[index].type);
        if (st != FERRY_OK)
            return st;
        g->inputs[g->n_inputs++] = index;
    }
    return FERRY_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Attributes                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* IR version 1 attributes carry no type: it is the one field that is set. */
static onnx_attr_type guess_attr_type(const Onnx__AttributeProto *a)
{
    if (a->has_type)
        return (onnx_attr_type)a->type;
    if (a->has_f)
        return ONNX_ATTR_FLOAT;
    if (a->has_i)
        return ONNX_ATTR_INT;
    if (a->has_s)
        return ONNX_ATTR_STRING;
    if (a->t != NULL)
        return ONNX_ATTR_TENSOR;
    if (a->g != NULL)
        return ONNX_ATTR_GRAPH;
    if (a->n_floats > 0)
        return ONNX_ATTR_FLOATS;
    if (a->n_ints > 0)
        return ONNX_ATTR_INTS;
    if (a->n_strings > 0)
        return ONNX_ATTR_STRINGS;
    return ONNX_ATTR_UNDEFINED;
}

static ferry_status copy_strings(load_ctx *c, const Onnx__AttributeProto *a, onnx_attr *out)
{
    char **strings = onnx_graph_alloc(c->g, a->n_strings * sizeof *strings);
    size_t *lens = onnx_graph_alloc(c->g, a->n_strings * sizeof *lens);
    if (strings == NULL || lens == NULL)
        return no_memory(c);
    for (size_t i = 0; i < a->n_strings; i++) {
        strings[i] = onnx_graph_strndup(c->g, (const char *)a->strings[i].data, a->strings[i].len);
        lens[i] = a->strings[i].len;
        if (strings[i] == NULL)
            return no_memory(c);
    }
    out->strings = (const char *const *)strings;
    out->lens = lens;
    out->n = a->n_strings;
    return FERRY_OK;
}

/* Copies a numeric array attribute into graph memory. */
static const void *copy_array(load_ctx *c, const void *src, size_t n, size_t size)
{
    void *dst = onnx_graph_alloc(c->g, n * size);
    if (dst != NULL && n > 0)
        memcpy(dst, src, n * size);
    return dst;
}

static ferry_status copy_attr(load_ctx *c, const onnx_node *node, const Onnx__AttributeProto *a,
                              onnx_attr *out)
{
    if (a->name == NULL || a->name[0] == '\0')
        return onnx_node_error(c->err, FERRY_INVALID_ARG, node, "an attribute has no name");
    out->name = onnx_graph_strndup(c->g, a->name, strlen(a->name));
    out->type = guess_attr_type(a);
    out->f = a->f;
    out->i = a->i;
    if (out->name == NULL)
        return no_memory(c);
    switch (out->type) {
    case ONNX_ATTR_STRING:
        out->s = onnx_graph_strndup(c->g, (const char *)a->s.data, a->s.len);
        out->s_len = a->s.len;
        return out->s != NULL ? FERRY_OK : no_memory(c);
    case ONNX_ATTR_FLOATS:
        out->n = a->n_floats;
        out->floats = copy_array(c, a->floats, a->n_floats, sizeof *a->floats);
        return out->floats != NULL ? FERRY_OK : no_memory(c);
    case ONNX_ATTR_INTS:
        out->n = a->n_ints;
        out->ints = copy_array(c, a->ints, a->n_ints, sizeof *a->ints);
        return out->ints != NULL ? FERRY_OK : no_memory(c);
    case ONNX_ATTR_STRINGS:
        return copy_strings(c, a, out);
    case ONNX_ATTR_TENSOR: {
        if (a->t == NULL)
            return onnx_node_error(c->err, FERRY_INVALID_ARG, node,
                                   "attribute '%s' is a tensor without a value", out->name);
        char what[512];
        char label[256];
        snprintf(what, sizeof what, "%s: %s: attribute '%s'", c->what,
                 onnx_node_label(node, label, sizeof label), out->name);
        return onnx_tensor_from_proto(a->t, &c->g->mem, what, &out->t, c->err);
    }
    default:
        return FERRY_OK; /* subgraphs and the like: the type is all an op can ask for yet */
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Nodes                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static ferry_status node_header(load_ctx *c, const Onnx__NodeProto *np, onnx_node *n)
{
    const char *name = np->name != NULL ? np->name : "";
    n->name = onnx_graph_strndup(c->g, name, strlen(name));
    n->op_type =
        np->op_type != NULL ? onnx_graph_strndup(c->g, np->op_type, strlen(np->op_type)) : NULL;
    const char *domain = onnx_domain_normalize(np->domain != NULL ? np->domain : "");
    n->domain = onnx_graph_strndup(c->g, domain, strlen(domain));
    n->inputs = onnx_graph_alloc(c->g, np->n_input * sizeof *n->inputs);
    n->outputs = onnx_graph_alloc(c->g, np->n_output * sizeof *n->outputs);
    n->attrs = onnx_graph_alloc(c->g, np->n_attribute * sizeof *n->attrs);
    if (n->name == NULL || n->domain == NULL || n->inputs == NULL || n->outputs == NULL ||
        n->attrs == NULL || (np->op_type != NULL && n->op_type == NULL))
        return no_memory(c);
    if (n->op_type == NULL || n->op_type[0] == '\0') {
        n->op_type = "?";
        return onnx_node_error(c->err, FERRY_INVALID_ARG, n, "%s: the node has no op_type",
                               c->what);
    }
    n->opset = onnx_graph_opset(c->g, n->domain);
    if (n->opset < 0)
        return onnx_node_error(c->err, FERRY_INVALID_ARG, n,
                               "%s: domain '%s' is not among the model's opset imports", c->what,
                               onnx_domain_display(n->domain));
    return FERRY_OK;
}

/* First pass: every node's outputs become values, so inputs can name them in any order. */
static ferry_status node_outputs(load_ctx *c, const Onnx__NodeProto *np, onnx_node *n, int index)
{
    n->n_outputs = np->n_output;
    for (size_t k = 0; k < np->n_output; k++) {
        n->outputs[k] = -1;
        if (np->output[k][0] == '\0')
            continue;
        ferry_status st =
            add_value(c, np->output[k], ONNX_VALUE_NODE_OUTPUT, "a node output", &n->outputs[k]);
        if (st != FERRY_OK)
            return st;
        c->g->values[n->outputs[k]].producer = index;
    }
    return FERRY_OK;
}

/* Second pass: inputs resolved by name ("" is an omitted optional input), attributes copied. */
static ferry_status node_inputs(load_ctx *c, const Onnx__NodeProto *np, onnx_node *n)
{
    n->n_inputs = np->n_input;
    for (size_t k = 0; k < np->n_input; k++) {
        n->inputs[k] = np->input[k][0] == '\0' ? -1 : names_find(&c->names, np->input[k]);
        if (np->input[k][0] != '\0' && n->inputs[k] < 0)
            return onnx_node_error(c->err, FERRY_INVALID_ARG, n,
                                   "%s: input '%s' is not a graph input, an initializer or the "
                                   "output of any node",
                                   c->what, np->input[k]);
    }
    n->n_attrs = np->n_attribute;
    for (size_t k = 0; k < np->n_attribute; k++) {
        ferry_status st = copy_attr(c, n, np->attribute[k], &n->attrs[k]);
        if (st != FERRY_OK)
            return st;
    }
    return FERRY_OK;
}

static ferry_status load_nodes(load_ctx *c)
{
    onnx_graph *g = c->g;
    g->nodes = onnx_graph_alloc(g, c->gp->n_node * sizeof *g->nodes);
    if (g->nodes == NULL)
        return no_memory(c);
    g->n_nodes = c->gp->n_node;
    for (size_t i = 0; i < g->n_nodes; i++) {
        g->nodes[i].index = (int)i;
        ferry_status st = node_header(c, c->gp->node[i], &g->nodes[i]);
        if (st == FERRY_OK)
            st = node_outputs(c, c->gp->node[i], &g->nodes[i], (int)i);
        if (st != FERRY_OK)
            return st;
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        ferry_status st = node_inputs(c, c->gp->node[i], &g->nodes[i]);
        if (st != FERRY_OK)
            return st;
    }
    return FERRY_OK;
}

static ferry_status load_outputs(load_ctx *c)
{
    onnx_graph *g = c->g;
    g->outputs = onnx_graph_alloc(g, c->gp->n_output * sizeof *g->outputs);
    if (g->outputs == NULL)
        return no_memory(c);
    if (c->gp->n_output == 0)
        return ferry_error_set(c->err, FERRY_INVALID_ARG, "%s: the graph has no outputs", c->what);
    for (size_t i = 0; i < c->gp->n_output; i++) {
        const Onnx__ValueInfoProto *vi = c->gp->output[i];
        int index = vi->name != NULL ? names_find(&c->names, vi->name) : -1;
        if (index < 0)
            return ferry_error_set(c->err, FERRY_INVALID_ARG,
                                   "%s: graph output '%s' is not computed by any node", c->what,
                                   vi->name ? vi->name : "");
        onnx_value *v = &g->values[index];
        v->is_output = true;
        /* An output declared as a sequence or map (ZipMap's sequence of maps) keeps no
         * declaration: ferry serves the tensor its node computes (docs/onnx.md). */
        if (vi->type != NULL && vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
            ferry_status st = read_type(c, vi, "output", &v->decl);
            if (st != FERRY_OK)
                return st;
            v->has_decl = true;
        }
        g->outputs[g->n_outputs++] = index;
    }
    return FERRY_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Topological order                                                                            */
/* ------------------------------------------------------------------------------------------ */

/* True when every input of node n is available (marked in `ready`, indexed by value). */
static bool node_ready(const onnx_node *n, const unsigned char *ready)
{
    for (size_t k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] >= 0 && !ready[n->inputs[k]])
            return false;
    return true;
}

/* Reorders nodes so that every node comes after the producers of its inputs (ONNX asks models to
 * be sorted; not every exporter complies). Repeated sweeps: linear for sorted models. */
static ferry_status sort_nodes(load_ctx *c)
{
    onnx_graph *g = c->g;
    unsigned char *ready = calloc(g->n_values + 1, 1);
    unsigned char *done = calloc(g->n_nodes + 1, 1);
    onnx_node *sorted = onnx_graph_alloc(g, g->n_nodes * sizeof *sorted);
    ferry_status st = ready && done && sorted ? FERRY_OK : no_memory(c);
    for (size_t v = 0; st == FERRY_OK && v < g->n_values; v++)
        ready[v] = g->values[v].kind != ONNX_VALUE_NODE_OUTPUT;
    size_t n_sorted = 0;
    while (st == FERRY_OK && n_sorted < g->n_nodes) {
        size_t before = n_sorted;
        for (size_t i = 0; i < g->n_nodes; i++) {
            if (done[i] || !node_ready(&g->nodes[i], ready))
                continue;
            done[i] = 1;
            sorted[n_sorted++] = g->nodes[i];
            for (size_t k = 0; k < g->nodes[i].n_outputs; k++)
                if (g->nodes[i].outputs[k] >= 0)
                    ready[g->nodes[i].outputs[k]] = 1;
        }
        for (size_t i = 0; n_sorted == before && i < g->n_nodes; i++)
            if (!done[i])
                st = onnx_node_error(c->err, FERRY_INVALID_ARG, &g->nodes[i],
                                     "%s: the graph has a cycle through this node", c->what);
    }
    if (st == FERRY_OK) {
        g->nodes = sorted;
        for (size_t i = 0; i < g->n_nodes; i++) {
            g->nodes[i].index = (int)i;
            for (size_t k = 0; k < g->nodes[i].n_outputs; k++)
                if (g->nodes[i].outputs[k] >= 0)
                    g->values[g->nodes[i].outputs[k]].producer = (int)i;
        }
    }
    free(ready);
    free(done);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Model                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static ferry_status load_opsets(load_ctx *c, const Onnx__ModelProto *mp)
{
    onnx_graph *g = c->g;
    size_t n = mp->n_opset_import ? mp->n_opset_import : 1;
    g->opsets = onnx_graph_alloc(g, n * sizeof *g->opsets);
    if (g->opsets == NULL)
        return no_memory(c);
    if (mp->n_opset_import == 0) { /* IR version 1 and 2: the default domain at version 1 */
        g->opsets[0] = (onnx_opset){.domain = "", .version = 1};
        g->n_opsets = 1;
        return FERRY_OK;
    }
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
        const char *domain = onnx_domain_normalize(o->domain ? o->domain : "");
        g->opsets[i].domain = onnx_graph_strndup(g, domain, strlen(domain));
        g->opsets[i].version = o->has_version ? o->version : 1;
        if (g->opsets[i].domain == NULL)
            return no_memory(c);
    }
    g->n_opsets = mp->n_opset_import;
    return FERRY_OK;
}

static ferry_status load_graph(load_ctx *c, const Onnx__ModelProto *mp)
{
    const Onnx__GraphProto *gp = mp->graph;
    if (gp == NULL)
        return ferry_error_set(c->err, FERRY_INVALID_ARG, "%s: the model has no graph", c->what);
    c->gp = gp;
    c->g->ir_version = mp->has_ir_version ? mp->ir_version : 0;
    const char *producer = mp->producer_name ? mp->producer_name : "";
    const char *name = gp->name ? gp->name : "";
    c->g->producer = onnx_graph_strndup(c->g, producer, strlen(producer));
    c->g->name = onnx_graph_strndup(c->g, name, strlen(name));
    size_t max_values = gp->n_input + gp->n_initializer;
    for (size_t i = 0; i < gp->n_node; i++)
        max_values += gp->node[i]->n_output;
    c->g->values = onnx_graph_alloc(c->g, max_values * sizeof *c->g->values);
    if (c->g->values == NULL || c->g->producer == NULL || c->g->name == NULL ||
        !names_init(&c->names, c->g, max_values))
        return no_memory(c);
    ferry_status st = load_opsets(c, mp);
    if (st == FERRY_OK)
        st = load_initializers(c);
    if (st == FERRY_OK)
        st = load_inputs(c);
    if (st == FERRY_OK)
        st = load_nodes(c);
    if (st == FERRY_OK)
        st = load_outputs(c);
    if (st == FERRY_OK)
        st = sort_nodes(c);
    return st;
}

ferry_status onnx_load_buffer(const void *data, size_t len, const char *what, onnx_graph **out,
                              ferry_error *err)
{
    /* protobuf-c's unpack recurses per nested message: bound the nesting first. */
    ferry_status st = onnx_proto_check_depth(data, len, &onnx__model_proto__descriptor,
                                             ONNX_PROTO_MAX_DEPTH, what, err);
    if (st != FERRY_OK)
        return st;
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, data);
    if (mp == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "%s: not a valid ONNX model (the protobuf is truncated or corrupt)",
                               what);
    load_ctx c = {.g = onnx_graph_create(), .what = what, .err = err};
    st = c.g != NULL ? load_graph(&c, mp) : no_memory(&c);
    free(c.names.slots);
    onnx__model_proto__free_unpacked(mp, NULL);
    if (st != FERRY_OK) {
        onnx_graph_destroy(c.g);
        return st;
    }
    *out = c.g;
    return FERRY_OK;
}

ferry_status onnx_load_file(const char *path, onnx_graph **out, ferry_error *err)
{
    char *data = NULL;
    size_t len = 0;
    ferry_status st = fs_read_file(path, &data, &len, err);
    if (st != FERRY_OK)
        return st;
    st = onnx_load_buffer(data, len, path, out, err);
    free(data);
    return st;
}
