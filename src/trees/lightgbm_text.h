/* Loading LightGBM's text model format (`model.txt`, what `save_model` writes) into ferry's tree
 * ensemble: the header (max_feature_idx, num_class, num_tree_per_iteration, objective,
 * average_output, feature_names) and every `Tree=` section (num_leaves, split_feature, threshold,
 * decision_type, left_child, right_child, leaf_value, cat_boundaries, cat_threshold). Leaf values
 * already carry the shrinkage. Predictions are LightGBM's `predict` (or `raw_score` as margins):
 * splits `x <= t` (thresholds rounded down to float, so that a float input compares as LightGBM's
 * double does), missing types None (NaN reads as 0), Zero (NaN and 0 take the default child) and
 * NaN (NaN takes the default child), categorical splits (the integer part of x in the node's bit
 * set goes left; NaN and negatives go right). */
#ifndef FERRY_TREES_LIGHTGBM_TEXT_H
#define FERRY_TREES_LIGHTGBM_TEXT_H

#include <stddef.h>

#include "ferry/status.h"
#include "trees/ensemble.h"

typedef struct lightgbm_info {
    char objective[64]; /* the objective's name ("binary", "multiclass", ...; "none" if absent) */
    size_t n_features;  /* max_feature_idx + 1 */
    size_t n_classes;   /* outputs per row: num_tree_per_iteration */
} lightgbm_info;

/* Parses text[0..len) (named `name` in errors) into *out (freed with tree_ensemble_destroy).
 * Fails with INVALID_ARG naming the line and the tree (a missing or short array, a bad number, a
 * child out of range, a truncated file), or UNSUPPORTED naming what is not supported (linear
 * trees, objectives without a transform here). */
ferry_status lightgbm_text_load(const char *text, size_t len, const char *name, tree_ensemble **out,
                                lightgbm_info *info, ferry_error *err) FERRY_MUST_CHECK;

#endif
