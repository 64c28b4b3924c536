/* Training XGBoost models in tests with libxgboost's C API, and predicting with it as the
 * reference (XGBoosterPredictFromDense, one thread), for the tests of ferry's tree engine.
 *
 *     DMatrixHandle d = ts_xgb_dmatrix(x, y, rows, cols, NULL);
 *     const char *params[] = {"objective", "binary:logistic", "max_depth", "4", NULL};
 *     BoosterHandle b = ts_xgb_train(d, params, 20);
 *     float *want = ts_xgb_predict(b, x_test, n, cols, false, &per_row);
 *
 * Every helper asserts (fails the test) when libxgboost reports an error. */
#ifndef FERRY_TESTS_XGB_TRAIN_H
#define FERRY_TESTS_XGB_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <xgboost/c_api.h>

/* A DMatrix of rows x cols floats (NaN missing) with labels y (may be NULL); feature_types is NULL
 * or cols strings ("q" numeric, "c" categorical). XGDMatrixFree it. */
DMatrixHandle ts_xgb_dmatrix(const float *x, const float *y, int rows, int cols,
                             const char *const *feature_types);

/* Trains `rounds` rounds with params (key, value, ..., NULL; nthread 1 and seed 7 are added).
 * XGBoosterFree it. */
BoosterHandle ts_xgb_train(DMatrixHandle d, const char *const *params, int rounds);

/* libxgboost's prediction (in-place from a dense array, NaN missing; value or margin) for `rows`
 * rows; returns a malloc'ed array and the values per row in *per_row. Boosters without in-place
 * prediction (gblinear) predict from a DMatrix of the rows. */
float *ts_xgb_predict(BoosterHandle b, const float *x, int rows, int cols, bool margin,
                      size_t *per_row);

/* The model as JSON text (XGBoosterSaveModelToBuffer) and the booster's JSON config, both
 * malloc'ed and NUL-terminated. */
char *ts_xgb_model_json(BoosterHandle b, size_t *len);
char *ts_xgb_config_json(BoosterHandle b);

/* Deterministic pseudo-random numbers for test data: uniform in [0, 1). */
float ts_xgb_uniform(unsigned long long *state);

#endif
