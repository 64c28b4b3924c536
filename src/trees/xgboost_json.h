/* XGBoost's JSON model format (as libxgboost's XGBoosterSaveModelToBuffer writes it, whether the
 * artifact was model.json or model.ubj) into a tree ensemble that predicts what libxgboost's
 * predict returns: gbtree and dart boosters; numeric (`x < t`) and categorical splits with their
 * default directions; the base score turned into a margin as the objective does; and the
 * objective's output transform. libxgboost stays the loader of record: it reads the artifact, and
 * this module reads only what it writes. */
#ifndef FERRY_TREES_XGBOOST_JSON_H
#define FERRY_TREES_XGBOOST_JSON_H

#include <stddef.h>

#include "ferry/status.h"
#include "trees/ensemble.h"

/* What the model is, for logs and errors. */
typedef struct xgboost_json_info {
    char booster[16];   /* "gbtree", "dart" */
    char objective[48]; /* "binary:logistic" */
    size_t n_trees;
} xgboost_json_info;

/* Builds the ensemble of the model in `model` (JSON text of model_len bytes). `config` is the
 * booster's JSON config (XGBoosterSaveJsonConfig) whose learner.objective names the objective, or
 * NULL to read the objective from the model. On success *out is the ensemble (the caller frees it
 * with tree_ensemble_destroy) and *info, when not NULL, describes it. Fails with UNSUPPORTED naming
 * what ferry's tree engine does not evaluate (a gblinear booster, an objective, vector leaves), or
 * INVALID_ARG naming the tree, node and field that is malformed; *out is then NULL. */
ferry_status xgboost_json_load(const char *model, size_t model_len, const char *config,
                               tree_ensemble **out, xgboost_json_info *info,
                               ferry_error *err) FERRY_MUST_CHECK;

#endif
