/* The executor: binds a plan to a session's arena and a request's tensors, runs its steps in
 * order (each step's slices on the session's pool when it is large enough) and hands the outputs
 * over. After warm-up a run allocates nothing but the outputs, which come from the caller's
 * allocator (the request arena). */
#ifndef FERRY_ONNX_EXEC_H
#define FERRY_ONNX_EXEC_H

#include "ferry/backend.h"
#include "onnx/plan.h"
#include "onnx/pool.h"

/* Elements of a step's largest output per thread below which a step is not split: a
 * hand-over to the pool costs a few microseconds, what a few thousand elements take. */
#define ONNX_EXEC_SPLIT_MIN 8192

/* How steps spread over threads: the session's pool and the least work per thread (elements of
 * the step's largest output) worth a split; a step with less runs on the caller alone. */
typedef struct onnx_exec_threads {
    onnx_pool *pool;
    int64_t split_min;
} onnx_exec_threads;

/* Runs p on `inputs` (one per graph input, in order, with the shapes p was made for) using
 * the arena at `base` (p->arena_size bytes, 64-aligned), with `threads` (NULL: on the caller
 * alone; a pool of at most p->n_threads). Fills outputs[0..n_outputs) in graph output order with
 * data from `alloc`. String inputs and outputs travel in ferry's wire layout and are converted to
 * and from the engine's (strings.h). Fails with an op's error (naming its node; of several slices
 * failing, the first thread's), INVALID_ARG for malformed string data, or NO_MEMORY. */
ferry_status onnx_exec_run(onnx_plan *p, void *base, const onnx_exec_threads *threads,
                           const ferry_tensor *inputs, ferry_tensor *outputs,
                           const ferry_allocator *alloc, ferry_error *err) FERRY_MUST_CHECK;

/* Runs one node now, single-threaded, with scratch from the heap: for values computed while
 * loading or planning. The outputs' data must be allocated. */
ferry_status onnx_exec_node_now(const onnx_op_ctx *ctx, ferry_error *err) FERRY_MUST_CHECK;

#endif
