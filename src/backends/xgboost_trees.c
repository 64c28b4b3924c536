/* Building and verifying ferry's tree engine for an XGBoost booster; see xgboost_trees.h. */
#include "backends/xgboost_trees.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trees/predict.h"
#include "trees/sample.h"

static void (*test_hook)(tree_ensemble *e);

void xgb_trees_set_test_hook(void (*hook)(tree_ensemble *e))
{
    test_hook = hook;
}

/* libxgboost's last error without the stack trace it appends. */
static const char *last_error(char *buf, size_t len)
{
    const char *e = XGBGetLastError();
    const char *trace = strstr(e, "\nStack trace");
    snprintf(buf, len, "%.*s", trace ? (int)(trace - e) : (int)strlen(e), e);
    return buf;
}

static bool close_enough(float got, float want)
{
    if (isnan(got) || isnan(want))
        return isnan(got) && isnan(want);
    return fabs((double)got - (double)want) <= 1e-6 + 1e-5 * fabs((double)want);
}

static ferry_status compare(const float *got, const float *want, size_t n_rows, size_t per_row,
                            ferry_error *err)
{
    for (size_t i = 0; i < n_rows * per_row; i++)
        if (!close_enough(got[i], want[i]))
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "ferry's tree engine differs from libxgboost on sample row %zu "
                                   "output %zu: %.9g, libxgboost %.9g",
                                   i / per_row, i % per_row, got[i], want[i]);
    return FERRY_OK;
}

ferry_status xgb_trees_verify(const tree_ensemble *e, BoosterHandle booster,
                              const xgb_trees_predict *predict, const float *x, size_t n_rows,
                              ferry_error *err)
{
    char array[200], why[FERRY_ERROR_MESSAGE_MAX];
    snprintf(array, sizeof array,
             "{\"data\":[%" PRIuPTR ",true],\"shape\":[%zu,%zu],\"typestr\":\"<f4\",\"version\":3}",
             (uintptr_t)x, n_rows, e->n_features);
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *want = NULL;
    if (XGBoosterPredictFromDense(booster, array, predict->config, NULL, &shape, &dim, &want) != 0)
        return ferry_error_set(err, FERRY_INTERNAL, "libxgboost predict failed: %s",
                               last_error(why, sizeof why));
    size_t n = 1, per_row = tree_ensemble_output_width(e, predict->margin);
    for (bst_ulong d = 0; d < dim; d++)
        n *= (size_t)shape[d];
    if (n != n_rows * per_row)
        return ferry_error_set(err, FERRY_INTERNAL,
                               "libxgboost gives %zu values for %zu rows, ferry's tree engine %zu "
                               "per row",
                               n, n_rows, per_row);
    float *got = malloc((n ? n : 1) * sizeof *got);
    if (got == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for verification");
    tree_predict(e, x, n_rows, got, predict->margin);
    ferry_status st = compare(got, want, n_rows, per_row, err);
    free(got);
    return st;
}

/* The booster's model JSON and config, into an ensemble. */
static ferry_status build(BoosterHandle booster, tree_ensemble **out, xgboost_json_info *info,
                          ferry_error *err)
{
    char why[FERRY_ERROR_MESSAGE_MAX];
    bst_ulong len = 0, config_len = 0;
    const char *json = NULL, *config = NULL;
    if (XGBoosterSaveJsonConfig(booster, &config_len, &config) != 0)
        return ferry_error_set(err, FERRY_INTERNAL, "reading the booster's config: %s",
                               last_error(why, sizeof why));
    /* The config lives in a buffer the next call reuses: keep a copy. */
    char *config_copy = strndup(config, (size_t)config_len);
    if (config_copy == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for the booster's config");
    ferry_status st = FERRY_OK;
    if (XGBoosterSaveModelToBuffer(booster, "{\"format\": \"json\"}", &len, &json) != 0)
        st = ferry_error_set(err, FERRY_INTERNAL, "saving the model as JSON: %s",
                             last_error(why, sizeof why));
    if (st == FERRY_OK)
        st = xgboost_json_load(json, (size_t)len, config_copy, out, info, err);
    free(config_copy);
    return st;
}

ferry_status xgb_trees_build(BoosterHandle booster, const xgb_trees_predict *predict,
                             tree_ensemble **out, xgboost_json_info *info, ferry_error *err)
{
    *out = NULL;
    tree_ensemble *e = NULL;
    ferry_status st = build(booster, &e, info, err);
    if (st != FERRY_OK)
        return st;
    if (test_hook != NULL)
        test_hook(e);
    float *x = malloc(XGB_TREES_VERIFY_ROWS * e->n_features * sizeof *x);
    if (x == NULL)
        st = ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for verification rows");
    if (st == FERRY_OK)
        st = tree_sample_rows(e, 0x5eed, XGB_TREES_VERIFY_ROWS, x, err);
    if (st == FERRY_OK)
        st = xgb_trees_verify(e, booster, predict, x, XGB_TREES_VERIFY_ROWS, err);
    free(x);
    if (st != FERRY_OK) {
        tree_ensemble_destroy(e);
        return st;
    }
    *out = e;
    return FERRY_OK;
}
