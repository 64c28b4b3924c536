/* Evaluating a tree ensemble (ensemble.h) on rows of features, in blocks of up to TREE_BLOCK_ROWS
 * rows. In the numeric kernels groups of up to 16 rows walk each tree together, one level at a
 * time, so that the loads of independent rows overlap, and each step picks the child by arithmetic
 * (yes + 16 * test fails) rather than by a branch. No allocation: a block's accumulators and its
 * copy of the rows live on the caller's stack (at most TREE_MAX_OUTPUTS + 16384 floats).
 *
 * Single-threaded: a call runs on its caller's thread. Splitting one large call over threads is
 * the caller's choice (backends/tree_split.h cuts the rows into ranges and calls this on each). */
#ifndef FERRY_TREES_PREDICT_H
#define FERRY_TREES_PREDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "trees/ensemble.h"

#define TREE_BLOCK_ROWS 64

/* Predicts n_rows rows of x (row-major, e->n_features floats per row; NaN is missing) into out:
 * tree_ensemble_output_width(e, margin) values per row. With `margin` the post-transform is
 * skipped and out holds the raw margins (n_outputs per row). Safe to call from any number of
 * threads at once; never fails, never allocates. */
void tree_predict(const tree_ensemble *e, const float *x, size_t n_rows, float *out, bool margin);

#endif
