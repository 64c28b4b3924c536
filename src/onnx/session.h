/* A model instance: one arena, a cache of plans (one per input shape set, in practice per batch
 * size) and, for intra-op parallelism, a pool of worker threads. A session runs one inference at a
 * time; run several sessions of the same model for concurrency. After a shape's first run,
 * running it again allocates nothing. */
#ifndef FERRY_ONNX_SESSION_H
#define FERRY_ONNX_SESSION_H

#include "ferry/backend.h"
#include "onnx/model.h"

/* Plans kept per session; the least recently used is dropped past this. */
#define ONNX_SESSION_MAX_PLANS 32

typedef struct onnx_session onnx_session;

/* Creates a session for m (which must outlive it). Fails with NO_MEMORY. */
ferry_status onnx_session_create(const onnx_model *m, onnx_session **out,
                                 ferry_error *err) FERRY_MUST_CHECK;

/* Frees the session, its plans, its arena and its threads. Accepts NULL. */
void onnx_session_destroy(onnx_session *s);

/* Runs the session's steps on n_threads threads in all (the caller's and n_threads - 1 workers
 * that sleep between inferences), splitting a step only when its largest output has at
 * least split_min elements per thread (ONNX_EXEC_SPLIT_MIN in exec.h; tests pass 1 to split
 * every step). Drops the cached plans (their scratch is placed per thread). Fails with
 * INVALID_ARG for a count outside 1..ONNX_POOL_MAX_THREADS, NO_MEMORY or INTERNAL (a thread that
 * cannot start), leaving the session as it was. */
ferry_status onnx_session_set_threads(onnx_session *s, int n_threads, int64_t split_min,
                                      ferry_error *err) FERRY_MUST_CHECK;

/* Runs the model on inputs[0..n_inputs) (the model's inputs in order). Checks each input's dtype,
 * rank, fixed dimensions and byte size (INVALID_ARG naming the input); plans a new shape on first
 * sight. Fills outputs[0..model n_outputs) with data from `alloc`. */
ferry_status onnx_session_run(onnx_session *s, const ferry_tensor *inputs, size_t n_inputs,
                              ferry_tensor *outputs, const ferry_allocator *alloc,
                              ferry_error *err) FERRY_MUST_CHECK;

/* Bytes of arena the session holds (the largest plan's need). */
size_t onnx_session_arena_size(const onnx_session *s);

/* Plans cached. */
size_t onnx_session_plan_count(const onnx_session *s);

#endif
