/* The ONNX engine's graph IR: named values (graph inputs, constants, node outputs) and nodes in
 * topological order. The loader builds it from a ModelProto, the model binds each node to an op
 * and folds constants; after that it is read-only and shared by every plan and session. */
#ifndef FERRY_ONNX_GRAPH_H
#define FERRY_ONNX_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "ferry/tensor.h"
#include "onnx/activation.h"

typedef struct onnx_op onnx_op;

/* Attribute types, numbered as ONNX's AttributeProto.AttributeType. */
typedef enum onnx_attr_type {
    ONNX_ATTR_UNDEFINED = 0,
    ONNX_ATTR_FLOAT = 1,
    ONNX_ATTR_INT = 2,
    ONNX_ATTR_STRING = 3,
    ONNX_ATTR_TENSOR = 4,
    ONNX_ATTR_GRAPH = 5,
    ONNX_ATTR_FLOATS = 6,
    ONNX_ATTR_INTS = 7,
    ONNX_ATTR_STRINGS = 8,
    ONNX_ATTR_TENSORS = 9,
    ONNX_ATTR_GRAPHS = 10,
    ONNX_ATTR_SPARSE_TENSOR = 11,
    ONNX_ATTR_SPARSE_TENSORS = 12,
    ONNX_ATTR_TYPE_PROTO = 13,
    ONNX_ATTR_TYPE_PROTOS = 14,
} onnx_attr_type;

/* One node attribute, copied out of the protobuf into the graph's memory. Subgraphs, sparse
 * tensors and type protos keep only their type (no op here reads them yet). */
typedef struct onnx_attr {
    const char *name;
    onnx_attr_type type;
    float f;
    int64_t i;
    const char *s; /* STRING: NUL-terminated copy (s_len bytes before the NUL) */
    size_t s_len;
    ferry_tensor t; /* TENSOR: data in the graph's memory */
    size_t n;       /* FLOATS, INTS, STRINGS: element count */
    const float *floats;
    const int64_t *ints;
    const char *const *strings; /* STRINGS: NUL-terminated copies, lens[k] bytes before the NUL */
    const size_t *lens;
} onnx_attr;

typedef enum onnx_value_kind {
    ONNX_VALUE_NODE_OUTPUT, /* computed by `producer` */
    ONNX_VALUE_INPUT,       /* fed by the caller */
    ONNX_VALUE_CONSTANT,    /* an initializer or a folded node output: `type.data` holds it */
} onnx_value_kind;

/* A named tensor of the graph. `type` carries dtype and shape: declared for graph inputs (-1 for a
 * symbolic or unknown dimension), exact for constants. For node outputs the plan infers them. */
typedef struct onnx_value {
    const char *name;
    onnx_value_kind kind;
    ferry_tensor type;
    int producer;   /* node index for NODE_OUTPUT, else -1 */
    bool is_output; /* listed among the graph's outputs */
    bool by_value;  /* a graph input whose values decide shapes (a Reshape's target): plans are made
                       per value, not only per shape */
    bool has_decl;  /* graph outputs: `decl` holds a declared type */
    ferry_tensor decl; /* declared dtype/shape of a graph output (-1 symbolic) */
} onnx_value;

/* One operator application. Input and output entries are value indices, -1 where an optional
 * input or output is omitted (named "" in the model). */
typedef struct onnx_node {
    int index;
    const char *name; /* may be "" */
    const char *op_type;
    const char *domain; /* "" for the default domain ai.onnx */
    int64_t opset;      /* the version of `domain` that the model imports */
    const onnx_op *op;  /* bound by the model after loading */
    size_t n_inputs;
    int *inputs;
    size_t n_outputs;
    int *outputs;
    size_t n_attrs;
    onnx_attr *attrs;
    void *params; /* the op's parsed attributes, from its prepare() */
    bool folded;  /* evaluated at load: its outputs are constants now */
    /* Applied by the op itself (Gemm, Conv) to its output: set by the optimizer when it removes the
     * activation node that followed (optimize/fuse_activation.c). NONE by default. */
    onnx_activation fused;
} onnx_node;

typedef struct onnx_opset {
    const char *domain; /* "" for ai.onnx */
    int64_t version;
} onnx_opset;

typedef struct onnx_graph {
    arena mem; /* everything the graph points to lives here */
    int64_t ir_version;
    const char *producer;
    const char *name;
    size_t n_opsets;
    onnx_opset *opsets;
    size_t n_values;
    onnx_value *values;
    size_t n_nodes;
    onnx_node *nodes; /* topological order */
    size_t n_inputs;
    int *inputs; /* graph inputs the caller feeds (initializers excluded), in model order */
    size_t n_outputs;
    int *outputs;
    bool plain_layout; /* plans keep every tensor NCHW (layout.h): to compare, or rule it out */
} onnx_graph;

/* Creates an empty graph; NULL when out of memory. Freed with onnx_graph_destroy. */
onnx_graph *onnx_graph_create(void);

/* Frees the graph and everything it holds. Accepts NULL. */
void onnx_graph_destroy(onnx_graph *g);

/* `size` bytes (64-aligned, zeroed) that live as long as the graph; NULL when out of memory. */
void *onnx_graph_alloc(onnx_graph *g, size_t size);

/* A copy of s[0..len) plus a NUL in the graph's memory; NULL when out of memory. */
char *onnx_graph_strndup(onnx_graph *g, const char *s, size_t len);

/* The imported version of `domain` ("" or "ai.onnx" for the default), or -1 when not imported. */
int64_t onnx_graph_opset(const onnx_graph *g, const char *domain);

/* "" for "ai.onnx" (the default domain's two spellings), else domain itself. */
const char *onnx_domain_normalize(const char *domain);

/* The name for messages: "ai.onnx" for "", else the domain. */
const char *onnx_domain_display(const char *domain);

/* ---- Node attributes: each getter fails with INVALID_ARG naming the node when the attribute has
 * another type; an absent attribute gives the default. ---- */

const onnx_attr *onnx_attr_find(const onnx_node *n, const char *name);

ferry_status onnx_attr_int(const onnx_node *n, const char *name, int64_t def, int64_t *out,
                           ferry_error *err) FERRY_MUST_CHECK;
ferry_status onnx_attr_float(const onnx_node *n, const char *name, float def, float *out,
                             ferry_error *err) FERRY_MUST_CHECK;
/* *out is NULL and *count 0 when absent. */
ferry_status onnx_attr_ints(const onnx_node *n, const char *name, const int64_t **out,
                            size_t *count, ferry_error *err) FERRY_MUST_CHECK;
ferry_status onnx_attr_floats(const onnx_node *n, const char *name, const float **out,
                              size_t *count, ferry_error *err) FERRY_MUST_CHECK;
ferry_status onnx_attr_string(const onnx_node *n, const char *name, const char *def,
                              const char **out, ferry_error *err) FERRY_MUST_CHECK;
/* *out is NULL when absent. */
ferry_status onnx_attr_tensor(const onnx_node *n, const char *name, const ferry_tensor **out,
                              ferry_error *err) FERRY_MUST_CHECK;

/* Sets err to `code` with "node 'NAME' (OP_TYPE): " and the formatted message; a node without a
 * name is called by its index ("node #3 (Gemm)"). Returns code. */
ferry_status onnx_node_error(ferry_error *err, ferry_status code, const onnx_node *n,
                             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Writes "node 'NAME' (OP_TYPE)" (or "node #I (OP_TYPE)") into buf; returns buf. */
const char *onnx_node_label(const onnx_node *n, char *buf, size_t len);

#endif
