/* Rows that exercise a tree ensemble's splits, for checking one evaluator against another (ferry's
 * against libxgboost's when an XGBoost model loads): values on, just below and just above each
 * threshold, categories in and out of each set, zeros and NaN. */
#ifndef FERRY_TREES_SAMPLE_H
#define FERRY_TREES_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/status.h"
#include "trees/ensemble.h"

/* Fills x with n_rows rows of e->n_features values. Row 0 is all NaN and row 1 all zeros; in the
 * first half of the rest each feature cycles through its own candidate values (every threshold
 * and its neighbours in turn), in the second half each value is a random candidate, 0 or NaN.
 * The same seed gives the same rows. Fails only with NO_MEMORY. */
ferry_status tree_sample_rows(const tree_ensemble *e, uint64_t seed, size_t n_rows, float *x,
                              ferry_error *err) FERRY_MUST_CHECK;

#endif
