/* The executor: binds a plan to a session's arena and a request's tensors, runs its steps in
 * order and hands the outputs over. After warm-up a run allocates nothing but the outputs, which
 * come from the caller's allocator (the request arena). */
#ifndef FERRY_ONNX_EXEC_H
#define FERRY_ONNX_EXEC_H

#include "ferry/backend.h"
#include "onnx/plan.h"

/* Runs p on `inputs` (one per graph input, in order, with the shapes p was made for) using
 * the arena at `base` (p->arena_size bytes, 64-aligned). Fills outputs[0..n_outputs) in graph
 * output order with data from `alloc`. String inputs and outputs travel in ferry's wire layout
 * and are converted to and from the engine's (strings.h). Fails with an op's error (naming its
 * node), INVALID_ARG for malformed string data, or NO_MEMORY. */
ferry_status onnx_exec_run(onnx_plan *p, void *base, const ferry_tensor *inputs,
                           ferry_tensor *outputs, const ferry_allocator *alloc,
                           ferry_error *err) FERRY_MUST_CHECK;

/* Runs one node now, single-threaded, with scratch from the heap: for values computed while
 * loading or planning. The outputs' data must be allocated. */
ferry_status onnx_exec_node_now(const onnx_op_ctx *ctx, ferry_error *err) FERRY_MUST_CHECK;

#endif
