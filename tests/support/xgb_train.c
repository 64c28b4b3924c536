/* libxgboost helpers for the tree-engine tests; see xgb_train.h. */
#include "xgb_train.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

static void check(int rc, const char *what)
{
    if (rc != 0)
        fail_msg("%s: %s", what, XGBGetLastError());
}

DMatrixHandle ts_xgb_dmatrix(const float *x, const float *y, int rows, int cols,
                             const char *const *feature_types)
{
    DMatrixHandle d;
    check(XGDMatrixCreateFromMat(x, (bst_ulong)rows, (bst_ulong)cols, NAN, &d),
          "XGDMatrixCreateFromMat");
    if (y != NULL)
        check(XGDMatrixSetFloatInfo(d, "label", y, (bst_ulong)rows), "setting labels");
    if (feature_types != NULL)
        check(XGDMatrixSetStrFeatureInfo(d, "feature_type", (const char **)feature_types,
                                         (bst_ulong)cols),
              "setting feature types");
    return d;
}

BoosterHandle ts_xgb_train(DMatrixHandle d, const char *const *params, int rounds)
{
    BoosterHandle b;
    check(XGBoosterCreate(&d, 1, &b), "XGBoosterCreate");
    check(XGBoosterSetParam(b, "nthread", "1"), "nthread");
    check(XGBoosterSetParam(b, "seed", "7"), "seed");
    for (const char *const *p = params; p != NULL && *p != NULL; p += 2)
        check(XGBoosterSetParam(b, p[0], p[1]), p[0]);
    for (int it = 0; it < rounds; it++)
        check(XGBoosterUpdateOneIter(b, it, d), "XGBoosterUpdateOneIter");
    return b;
}

float *ts_xgb_predict(BoosterHandle b, const float *x, int rows, int cols, bool margin,
                      size_t *per_row)
{
    char array[200], config[200];
    snprintf(array, sizeof array,
             "{\"data\":[%" PRIuPTR ",true],\"shape\":[%d,%d],\"typestr\":\"<f4\",\"version\":3}",
             (uintptr_t)x, rows, cols);
    snprintf(config, sizeof config,
             "{\"type\":%d,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
             "\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}",
             margin ? 1 : 0);
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *result = NULL;
    int rc = XGBoosterPredictFromDense(b, array, config, NULL, &shape, &dim, &result);
    if (rc != 0 && strstr(XGBGetLastError(), "Inplace predict is not supported") != NULL) {
        DMatrixHandle d = ts_xgb_dmatrix(x, NULL, rows, cols, NULL);
        rc = XGBoosterPredictFromDMatrix(b, d, config, &shape, &dim, &result);
        XGDMatrixFree(d);
    }
    check(rc, "predict");
    size_t n = 1;
    for (bst_ulong i = 0; i < dim; i++)
        n *= (size_t)shape[i];
    *per_row = n / (size_t)rows;
    float *out = malloc(n * sizeof *out);
    assert_non_null(out);
    memcpy(out, result, n * sizeof *out);
    return out;
}

char *ts_xgb_model_json(BoosterHandle b, size_t *len)
{
    bst_ulong n = 0;
    const char *buf = NULL;
    check(XGBoosterSaveModelToBuffer(b, "{\"format\": \"json\"}", &n, &buf), "saving JSON");
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    memcpy(text, buf, (size_t)n);
    text[n] = '\0';
    *len = (size_t)n;
    return text;
}

char *ts_xgb_config_json(BoosterHandle b)
{
    bst_ulong n = 0;
    const char *buf = NULL;
    check(XGBoosterSaveJsonConfig(b, &n, &buf), "saving the config");
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    memcpy(text, buf, (size_t)n);
    text[n] = '\0';
    return text;
}

float ts_xgb_uniform(unsigned long long *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(*state >> 40) / (float)(1ull << 24);
}
