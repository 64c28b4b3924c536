/* ferry's tree engine inside the XGBoost backend: the loaded booster's JSON (as libxgboost writes
 * it) becomes a tree ensemble (trees/xgboost_json.h), which serves only after it predicts what
 * libxgboost predicts on sample rows around every split. libxgboost remains the loader of record
 * and the reference. */
#ifndef FERRY_BACKENDS_XGBOOST_TREES_H
#define FERRY_BACKENDS_XGBOOST_TREES_H

#include <stdbool.h>
#include <stddef.h>
#include <xgboost/c_api.h>

#include "ferry/status.h"
#include "trees/ensemble.h"
#include "trees/xgboost_json.h"

/* Rows compared at load. */
#define XGB_TREES_VERIFY_ROWS 512

/* What the booster predicts with: the predict config JSON (value or margin) and whether it asks
 * for margins. */
typedef struct xgb_trees_predict {
    const char *config;
    bool margin;
} xgb_trees_predict;

/* Builds the ensemble of `booster` and verifies it on XGB_TREES_VERIFY_ROWS sample rows. On success
 * *out is the ensemble (tree_ensemble_destroy frees it) and *info describes the model. Fails with
 * UNSUPPORTED naming what the tree engine does not evaluate, INVALID_ARG naming the row and output
 * where ferry and libxgboost differ (both values), or NO_MEMORY; *out is then NULL. */
ferry_status xgb_trees_build(BoosterHandle booster, const xgb_trees_predict *predict,
                             tree_ensemble **out, xgboost_json_info *info,
                             ferry_error *err) FERRY_MUST_CHECK;

/* Compares e's predictions with the booster's on n_rows rows of x: FERRY_OK when every value is
 * within 1e-6 + 1e-5·|e| of libxgboost's (or both are NaN); INVALID_ARG naming the first row and
 * output that is not, with both values; INTERNAL when libxgboost fails or its output has another
 * shape. */
ferry_status xgb_trees_verify(const tree_ensemble *e, BoosterHandle booster,
                              const xgb_trees_predict *predict, const float *x, size_t n_rows,
                              ferry_error *err) FERRY_MUST_CHECK;

/* For tests only: called with every ensemble built, before it is verified (to corrupt it and see
 * the fallback). NULL (the default) for none. Not thread-safe: set it before loading. */
void xgb_trees_set_test_hook(void (*hook)(tree_ensemble *e));

#endif
