/* An execution plan: the graph specialized to one set of input shapes (in practice one batch
 * size). Building it runs every op's shape and dtype inference, evaluates what is computable from
 * shapes alone (Shape -> Gather -> Concat -> Reshape chains), lets view ops (Reshape, Flatten)
 * share their input's memory, and places every other intermediate tensor and each step's scratch
 * in one arena by lifetime (memplan.h). A plan holds offsets, not memory: a session binds it to
 * its arena (exec.h). Plans are built when a shape is first seen and cached by the session. */
#ifndef FERRY_ONNX_PLAN_H
#define FERRY_ONNX_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnx/graph.h"
#include "onnx/op.h"

#define ONNX_PLAN_NOWHERE SIZE_MAX
/* Largest input whose values may decide shapes (a target shape, axes). */
#define ONNX_PLAN_BY_VALUE_MAX 1024

typedef struct onnx_plan_step {
    const onnx_node *node;
    onnx_op_ctx ctx;       /* tensors point into the plan's table; scratch set when bound */
    size_t scratch_offset; /* in the arena */
} onnx_plan_step;

typedef struct onnx_plan_output {
    int value;
    bool direct; /* its step writes straight into the caller's output memory */
} onnx_plan_output;

typedef struct onnx_plan {
    const onnx_graph *g;
    arena mem;    /* everything below, and values folded while planning */
    int64_t *key; /* the input shapes planned for, concatenated */
    size_t key_len;
    unsigned char *key_values; /* the values of by-value inputs planned for, concatenated */
    size_t key_values_len;
    ferry_tensor *tensors; /* one per graph value: dtype, shape, data once bound */
    size_t *offsets;       /* per value: arena offset, or ONNX_PLAN_NOWHERE */
    int *alias;            /* per value: the value whose memory it shares, or -1 */
    int *aliases;          /* the values with alias >= 0 */
    size_t n_aliases;
    int *placed; /* the values with an arena offset */
    size_t n_placed;
    bool *channels_last;    /* per value: stored channels-last (layout.h) */
    size_t n_channels_last; /* values stored so */
    onnx_plan_step *steps;
    size_t n_steps;
    onnx_plan_output *outputs; /* per graph output */
    int n_threads;             /* scratch is placed for this many threads per step */
    size_t arena_size;         /* bytes of arena it needs */
    const void *bound_base;    /* the arena its data pointers were last set for */
    uint64_t last_used;        /* for the session's cache */
} onnx_plan;

/* Plans g for inputs of these shapes (one per graph input, in order; dtype, ndim and shape are
 * read, and the data of inputs marked by_value, at most ONNX_PLAN_BY_VALUE_MAX bytes each). On
 * success the caller owns *out (onnx_plan_destroy). Fails naming the node whose shape or dtype
 * inference fails (INVALID_ARG for inconsistent shapes, UNSUPPORTED for dtypes an op does not
 * compute), or with TOO_LARGE / NO_MEMORY. */
ferry_status onnx_plan_create(const onnx_graph *g, const ferry_tensor *inputs, onnx_plan **out,
                              ferry_error *err) FERRY_MUST_CHECK;

/* As onnx_plan_create, with every step's scratch placed n_threads times (one region per thread:
 * onnx_scratch), so that the plan can run on a pool of up to n_threads (exec.h). */
ferry_status onnx_plan_create_threads(const onnx_graph *g, const ferry_tensor *inputs,
                                      int n_threads, onnx_plan **out,
                                      ferry_error *err) FERRY_MUST_CHECK;

/* Frees a plan. Accepts NULL. */
void onnx_plan_destroy(onnx_plan *p);

/* True when p was made for inputs of exactly these shapes (and by-value inputs' values). */
bool onnx_plan_matches(const onnx_plan *p, const ferry_tensor *inputs);

/* Checks an op's inferred output (dtype, rank, dimensions, size) and sets its nbytes; fails
 * naming the node and output. Shared with load-time folding. */
ferry_status onnx_plan_check_output(const onnx_node *n, size_t k, ferry_tensor *t,
                                    ferry_error *err) FERRY_MUST_CHECK;

#endif
