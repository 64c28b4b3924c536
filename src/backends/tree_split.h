/* Splitting one tree-ensemble prediction over threads: the xgboost backend's intra_op_threads.
 *
 * A model served with N > 1 threads owns one pool of N threads (the caller and N - 1 workers,
 * onnx/pool.h). A call with enough work that finds the pool idle splits its rows into N
 * contiguous ranges, one per thread, each a whole number of the evaluator's row blocks; a call
 * that is too small, or that finds the pool in use by another request, runs alone on its own
 * thread, so concurrent requests never wait for one another. Outputs are the same either way:
 * rows are independent.
 *
 *     tree_split *s;
 *     if (tree_split_create(2, &s, &err) == FERRY_OK) {
 *         tree_split_predict(s, ensemble, x, rows, out, false);
 *         tree_split_destroy(s);
 *     }
 */
#ifndef FERRY_BACKENDS_TREE_SPLIT_H
#define FERRY_BACKENDS_TREE_SPLIT_H

#include <stdbool.h>
#include <stddef.h>

#include "ferry/status.h"
#include "trees/ensemble.h"

/* A call is split only when each thread gets at least this many tree-row visits (rows × trees):
 * about 20 µs of walking, several times what waking a worker costs. */
#define TREE_SPLIT_MIN_WORK 16384

typedef struct tree_split tree_split;

/* Starts a pool of `threads` (2 to ONNX_POOL_MAX_THREADS). Fails with INVALID_ARG for a bad count,
 * NO_MEMORY, or INTERNAL when a thread or mutex cannot be made. The caller frees *out with
 * tree_split_destroy. */
ferry_status tree_split_create(int threads, tree_split **out, ferry_error *err) FERRY_MUST_CHECK;

/* Stops the workers and frees the pool. Accepts NULL. */
void tree_split_destroy(tree_split *s);

/* tree_predict (trees/predict.h) over n_rows rows, split over the pool's threads when the work is
 * large enough and the pool is free. s may be NULL: one thread. Never fails, never allocates. */
void tree_split_predict(tree_split *s, const tree_ensemble *e, const float *x, size_t n_rows,
                        float *out, bool margin);

/* How many threads a call of n_rows would use (1 when it runs alone), for tests and logs. */
int tree_split_threads_for(const tree_split *s, const tree_ensemble *e, size_t n_rows);

#endif
