/* Editing a loaded graph for the optimizer's passes: who reads each value, removing nodes,
 * rewiring inputs and outputs, adding constants. Removed nodes are only marked while the passes
 * run; onnx_rewrite_finish compacts the node array (indexes and producers renumbered), so the
 * planner and executor never see them. Value names the caller sees (graph inputs and outputs)
 * never change: passes check onnx_value.is_output before moving or dropping a value. */
#ifndef FERRY_ONNX_OPTIMIZE_REWRITE_H
#define FERRY_ONNX_OPTIMIZE_REWRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "onnx/graph.h"

typedef struct onnx_rewrite {
    onnx_graph *g;
    bool *dead;        /* per node: removed by a pass */
    int *uses;         /* per value: inputs of live nodes that read it */
    size_t values_cap; /* entries g->values (and uses) have room for */
    ferry_error *err;
} onnx_rewrite;

/* Starts editing g; errors of later calls go to err. Fails with NO_MEMORY. The caller ends with
 * onnx_rewrite_finish, on success or not. */
ferry_status onnx_rewrite_init(onnx_rewrite *rw, onnx_graph *g, ferry_error *err) FERRY_MUST_CHECK;

/* Drops the removed nodes from g (when `compact`) and frees the editing state. */
void onnx_rewrite_finish(onnx_rewrite *rw, bool compact);

/* The node at index i when a pass may rewrite it: live, not folded, in the default domain and of
 * op type `op_type` (NULL: any). NULL otherwise. */
onnx_node *onnx_rewrite_node(onnx_rewrite *rw, size_t i, const char *op_type);

/* The only node reading value v, when v is read by exactly one input of one live node and is not
 * a graph output; NULL otherwise. */
onnx_node *onnx_rewrite_sole_consumer(onnx_rewrite *rw, int v);

/* True when node n's op type is `op_type` in the default domain. */
bool onnx_rewrite_is(const onnx_node *n, const char *op_type);

/* The constant value v's tensor when v >= 0 is a constant of dtype FP32 with data; else NULL. */
const ferry_tensor *onnx_rewrite_const_f32(const onnx_rewrite *rw, int v);

/* Removes node n: its inputs are no longer read. Its outputs must be unread or moved first. */
void onnx_rewrite_remove(onnx_rewrite *rw, onnx_node *n);

/* Every live node input reading value `from` reads `to` instead. */
void onnx_rewrite_replace_uses(onnx_rewrite *rw, int from, int to);

/* Node n's input k reads value v; n gets k + 1 inputs when it has fewer (the added ones omitted).
 * Fails with NO_MEMORY naming the node. */
ferry_status onnx_rewrite_set_input(onnx_rewrite *rw, onnx_node *n, size_t k,
                                    int v) FERRY_MUST_CHECK;

/* Node n computes value v as its output k (v's previous producer no longer does). */
void onnx_rewrite_set_output(onnx_rewrite *rw, onnx_node *n, size_t k, int v);

/* Adds a constant holding t (dtype, shape, data in graph memory), named `base` + `suffix` (plus a
 * number when that name is taken); *out gets its value index. g->values may move: pointers into
 * it (onnx_rewrite_const_f32's) are stale afterwards. Fails with NO_MEMORY. */
ferry_status onnx_rewrite_add_constant(onnx_rewrite *rw, const char *base, const char *suffix,
                                       const ferry_tensor *t, int *out) FERRY_MUST_CHECK;

#endif
