/* A session's worker pool for intra-op parallelism: N threads in all, the caller plus N-1
 * workers, that run the slices of one step at a time (op.h: run(ctx, ith, nth)). Any thread runs
 * any slice: whoever comes first claims the next one, the caller included, so a worker the
 * scheduler runs late costs nothing but its share. Between steps a worker polls for a few
 * microseconds (the next step usually follows at once) and then sleeps on its condition variable:
 * an idle pool uses no CPU. A pool serves one caller at a time, as a session does.
 *
 *     onnx_pool *p;
 *     if (onnx_pool_create(4, &p, &err) == FERRY_OK) {
 *         onnx_pool_run(p, fn, arg, 4); // fn(arg, 0..3, 4), here and on the workers
 *         onnx_pool_destroy(p);
 *     }
 */
#ifndef FERRY_ONNX_POOL_H
#define FERRY_ONNX_POOL_H

#include "ferry/status.h"

/* Most threads a pool may have. */
#define ONNX_POOL_MAX_THREADS 256

typedef struct onnx_pool onnx_pool;

/* One slice of a job. */
typedef void (*onnx_pool_fn)(void *arg, int ith, int nth);

/* Starts n_threads - 1 workers (1 <= n_threads <= ONNX_POOL_MAX_THREADS). Fails with
 * INVALID_ARG for a bad count, NO_MEMORY, or INTERNAL when a thread cannot be started. The
 * caller frees *out with onnx_pool_destroy. */
ferry_status onnx_pool_create(int n_threads, onnx_pool **out, ferry_error *err) FERRY_MUST_CHECK;

/* Stops and joins the workers, frees the pool. Accepts NULL. */
void onnx_pool_destroy(onnx_pool *p);

/* Threads in all, the caller's included. */
int onnx_pool_threads(const onnx_pool *p);

/* Runs fn(arg, ith, nth) once for every ith in [0, nth), each on the calling thread or one of
 * workers 1..nth-1, concurrently; returns when all have returned. nth is clamped to
 * [1, threads]. */
void onnx_pool_run(onnx_pool *p, onnx_pool_fn fn, void *arg, int nth);

#endif
