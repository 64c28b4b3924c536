/* Graph memory, opset look-up, attribute getters and node-naming errors; see graph.h. */
#include "onnx/graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The graph arena's limit: a model's weights and metadata. Larger files fail to load cleanly. */
#define ONNX_GRAPH_MAX_BYTES ((size_t)1 << 36)

onnx_graph *onnx_graph_create(void)
{
    onnx_graph *g = calloc(1, sizeof *g);
    if (g != NULL)
        arena_init(&g->mem, ONNX_GRAPH_MAX_BYTES);
    return g;
}

void onnx_graph_destroy(onnx_graph *g)
{
    if (g == NULL)
        return;
    arena_free(&g->mem);
    free(g);
}

void *onnx_graph_alloc(onnx_graph *g, size_t size)
{
    void *p = arena_alloc(&g->mem, size ? size : 1);
    if (p != NULL)
        memset(p, 0, size);
    return p;
}

char *onnx_graph_strndup(onnx_graph *g, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = arena_alloc_small(&g->mem, len + 1);
    if (p == NULL)
        return NULL;
    if (len > 0)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

const char *onnx_domain_normalize(const char *domain)
{
    if (domain == NULL || strcmp(domain, "ai.onnx") == 0)
        return "";
    return domain;
}

const char *onnx_domain_display(const char *domain)
{
    return domain[0] == '\0' ? "ai.onnx" : domain;
}

int64_t onnx_graph_opset(const onnx_graph *g, const char *domain)
{
    domain = onnx_domain_normalize(domain);
    for (size_t i = 0; i < g->n_opsets; i++)
        if (strcmp(g->opsets[i].domain, domain) == 0)
            return g->opsets[i].version;
    return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                       */
/* ------------------------------------------------------------------------------------------ */

const char *onnx_node_label(const onnx_node *n, char *buf, size_t len)
{
    if (n->name != NULL && n->name[0] != '\0')
        snprintf(buf, len, "node '%s' (%s)", n->name, n->op_type);
    else
        snprintf(buf, len, "node #%d (%s)", n->index, n->op_type);
    return buf;
}

ferry_status onnx_node_error(ferry_error *err, ferry_status code, const onnx_node *n,
                             const char *fmt, ...)
{
    if (err == NULL)
        return code;
    char label[256], msg[FERRY_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ferry_error_set(err, code, "%s: %s", onnx_node_label(n, label, sizeof label), msg);
}

/* ------------------------------------------------------------------------------------------ */
/* Attributes                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static const char *attr_type_name(onnx_attr_type t)
{
    static const char *const names[] = {
        [ONNX_ATTR_UNDEFINED] = "undefined",
        [ONNX_ATTR_FLOAT] = "float",
        [ONNX_ATTR_INT] = "int",
        [ONNX_ATTR_STRING] = "string",
        [ONNX_ATTR_TENSOR] = "tensor",
        [ONNX_ATTR_GRAPH] = "graph",
        [ONNX_ATTR_FLOATS] = "floats",
        [ONNX_ATTR_INTS] = "ints",
        [ONNX_ATTR_STRINGS] = "strings",
        [ONNX_ATTR_TENSORS] = "tensors",
        [ONNX_ATTR_GRAPHS] = "graphs",
        [ONNX_ATTR_SPARSE_TENSOR] = "sparse tensor",
        [ONNX_ATTR_SPARSE_TENSORS] = "sparse tensors",
        [ONNX_ATTR_TYPE_PROTO] = "type proto",
        [ONNX_ATTR_TYPE_PROTOS] = "type protos",
    };
    if ((unsigned)t >= sizeof names / sizeof names[0] || names[t] == NULL)
        return "unknown";
    return names[t];
}

const onnx_attr *onnx_attr_find(const onnx_node *n, const char *name)
{
    for (size_t i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0)
            return &n->attrs[i];
    return NULL;
}

/* The attribute `name` when it has type `want`; NULL when absent; fails on another type. */
static ferry_status attr_typed(const onnx_node *n, const char *name, onnx_attr_type want,
                               const onnx_attr **out, ferry_error *err)
{
    *out = onnx_attr_find(n, name);
    if (*out != NULL && (*out)->type != want)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "attribute '%s' is %s, expected %s", name,
                               attr_type_name((*out)->type), attr_type_name(want));
    return FERRY_OK;
}

ferry_status onnx_attr_int(const onnx_node *n, const char *name, int64_t def, int64_t *out,
                           ferry_error *err)
{
    const onnx_attr *a;
    ferry_status st = attr_typed(n, name, ONNX_ATTR_INT, &a, err);
    *out = a != NULL ? a->i : def;
    return st;
}

ferry_status onnx_attr_float(const onnx_node *n, const char *name, float def, float *out,
                             ferry_error *err)
{
    const onnx_attr *a;
    ferry_status st = attr_typed(n, name, ONNX_ATTR_FLOAT, &a, err);
    *out = a != NULL ? a->f : def;
    return st;
}

ferry_status onnx_attr_ints(const onnx_node *n, const char *name, const int64_t **out,
                            size_t *count, ferry_error *err)
{
    const onnx_attr *a;
    ferry_status st = attr_typed(n, name, ONNX_ATTR_INTS, &a, err);
    *out = a != NULL ? a->ints : NULL;
    *count = a != NULL ? a->n : 0;
    return st;
}

ferry_status onnx_attr_floats(const onnx_node *n, const char *name, const float **out,
                              size_t *count, ferry_error *err)
{
    const onnx_attr *a;
    ferry_status st = attr_typed(n, name, ONNX_ATTR_FLOATS, &a, err);
    *out = a != NULL ? a->floats : NULL;
    *count = a != NULL ? a->n : 0;
    return st;
}

ferry_status onnx_attr_string(const onnx_node *n, const char *name, const char *def,
                              const char **out, ferry_error *err)
{
    const onnx_attr *a;
    ferry_status st = attr_typed(n, name, ONNX_ATTR_STRING, &a, err);
    *out = a != NULL ? a->s : def;
    return st;
}

ferry_status onnx_attr_tensor(const onnx_node *n, const char *name, const ferry_tensor **out,
                              ferry_error *err)
{
    const onnx_attr *a;
    ferry_status st = attr_typed(n, name, ONNX_ATTR_TENSOR, &a, err);
    *out = a != NULL ? &a->t : NULL;
    return st;
}
