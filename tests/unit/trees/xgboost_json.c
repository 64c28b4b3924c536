/* Unit tests for the XGBoost JSON loader (src/trees/xgboost_json.c): models trained here with
 * libxgboost's C API across objectives, depths 1..8, missing values, dart, multi-class and
 * categorical splits, each predicted by ferry's evaluator and by libxgboost
 * (XGBoosterPredictFromDense) on fresh rows, values and margins, within 1e-6 + 1e-5·|e|; then the
 * models ferry refuses, each with an error naming what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "trees/predict.h"
#include "trees/xgboost_json.h"
#include "xgb_train.h"

enum { COLS = 6, TRAIN_ROWS = 400, TEST_ROWS = 300 };

/* ---------------------------------------------------------------- data */

typedef enum label_kind { BINARY, REAL, POSITIVE, COUNT, PROB, COX, CLASSES } label_kind;

static unsigned long long seed;

/* rows x cols features in [0, 4), a fraction `nan` of them missing. */
static float *make_rows(int rows, int cols, double nan)
{
    float *x = malloc((size_t)rows * (size_t)cols * sizeof *x);
    assert_non_null(x);
    for (int i = 0; i < rows * cols; i++)
        x[i] = ts_xgb_uniform(&seed) < nan ? NAN : 4.0f * ts_xgb_uniform(&seed);
    return x;
}

static float *make_labels(const float *x, int rows, int cols, label_kind kind, int classes)
{
    float *y = malloc((size_t)rows * sizeof *y);
    assert_non_null(y);
    for (int i = 0; i < rows; i++) {
        const float *r = x + i * cols;
        float a = isnan(r[0]) ? 1.0f : r[0], b = isnan(r[1]) ? 2.0f : r[1];
        float s = a + 0.5f * b + 0.3f * ts_xgb_uniform(&seed);
        switch (kind) {
        case BINARY:
            y[i] = s > 2.5f;
            break;
        case REAL:
            y[i] = 10.0f * s - 20.0f;
            break;
        case POSITIVE:
            y[i] = 0.1f + s;
            break;
        case COUNT:
            y[i] = floorf(s);
            break;
        case PROB:
            y[i] = s / 7.0f;
            break;
        case COX: /* survival times, negative when censored */
            y[i] = (i % 4 == 0 ? -1.0f : 1.0f) * (0.5f + s);
            break;
        case CLASSES:
            y[i] = (float)((int)s % classes);
            break;
        }
    }
    return y;
}

/* Fresh rows: new random values with missing ones, then the training rows themselves. */
static float *test_rows(const float *train, int cols)
{
    float *x = make_rows(TEST_ROWS, cols, 0.15);
    memcpy(x, train, (size_t)(TEST_ROWS / 3) * (size_t)cols * sizeof *x);
    return x;
}

/* ---------------------------------------------------------------- ferry vs libxgboost */

static tree_ensemble *load_ferry(BoosterHandle b, xgboost_json_info *info)
{
    size_t len = 0;
    char *json = ts_xgb_model_json(b, &len), *config = ts_xgb_config_json(b);
    tree_ensemble *e = NULL;
    ferry_error err;
    if (xgboost_json_load(json, len, config, &e, info, &err) != FERRY_OK)
        fail_msg("load: %s", err.message);
    free(json);
    free(config);
    return e;
}

/* Compares values and margins of `rows` rows; fails naming the case, row and output. */
static void compare(BoosterHandle b, const float *x, int rows, int cols, const char *what)
{
    tree_ensemble *e = load_ferry(b, NULL);
    for (int margin = 0; margin < 2; margin++) {
        size_t per_row = 0;
        float *want = ts_xgb_predict(b, x, rows, cols, margin, &per_row);
        if (per_row != tree_ensemble_output_width(e, margin))
            fail_msg("%s: libxgboost gives %zu values per row, ferry %zu", what, per_row,
                     tree_ensemble_output_width(e, margin));
        float *got = malloc((size_t)rows * per_row * sizeof *got);
        assert_non_null(got);
        tree_predict(e, x, (size_t)rows, got, margin);
        for (size_t i = 0; i < (size_t)rows * per_row; i++)
            if (!ts_close(got[i], want[i]))
                fail_msg("%s%s: row %zu output %zu: ferry %.9g, libxgboost %.9g", what,
                         margin ? " (margin)" : "", i / per_row, i % per_row, got[i], want[i]);
        free(want);
        free(got);
    }
    tree_ensemble_destroy(e);
}

/* Trains on fresh data and compares; extra sets DMatrix info the objective needs. */
static void train_and_compare(const char *const *params, label_kind kind, int classes, int rounds,
                              double nan, const char *what)
{
    float *x = make_rows(TRAIN_ROWS, COLS, nan);
    float *y = make_labels(x, TRAIN_ROWS, COLS, kind, classes);
    DMatrixHandle d = ts_xgb_dmatrix(x, y, TRAIN_ROWS, COLS, NULL);
    if (params[1] != NULL && strcmp(params[1], "rank:pairwise") == 0) {
        unsigned groups[TRAIN_ROWS / 20];
        for (int g = 0; g < TRAIN_ROWS / 20; g++)
            groups[g] = 20;
        assert_int_equal(XGDMatrixSetUIntInfo(d, "group", groups, TRAIN_ROWS / 20), 0);
    }
    if (params[1] != NULL && strcmp(params[1], "survival:aft") == 0) {
        float *upper = malloc(TRAIN_ROWS * sizeof *upper);
        for (int i = 0; i < TRAIN_ROWS; i++)
            upper[i] = i % 5 == 0 ? INFINITY : y[i];
        assert_int_equal(XGDMatrixSetFloatInfo(d, "label_lower_bound", y, TRAIN_ROWS), 0);
        assert_int_equal(XGDMatrixSetFloatInfo(d, "label_upper_bound", upper, TRAIN_ROWS), 0);
        free(upper);
    }
    BoosterHandle b = ts_xgb_train(d, params, rounds);
    float *t = test_rows(x, COLS);
    compare(b, t, TEST_ROWS, COLS, what);
    free(t);
    XGBoosterFree(b);
    XGDMatrixFree(d);
    free(x);
    free(y);
}

/* ---------------------------------------------------------------- models that load */

static void test_objectives(void **state)
{
    (void)state;
    const struct {
        const char *objective;
        label_kind kind;
        const char *base_score;
    } cases[] = {
        {"binary:logistic", BINARY, "0.3"},    {"binary:logitraw", BINARY, "0.3"},
        {"binary:hinge", BINARY, "0.5"},       {"reg:logistic", PROB, "0.7"},
        {"reg:squarederror", REAL, "-3"},      {"reg:squaredlogerror", POSITIVE, "0.5"},
        {"reg:pseudohubererror", REAL, "1.5"}, {"reg:absoluteerror", REAL, "0.5"},
        {"count:poisson", COUNT, "0.3"},       {"reg:gamma", POSITIVE, "2"},
        {"reg:tweedie", COUNT, "1.5"},         {"survival:cox", COX, "0.8"},
        {"survival:aft", POSITIVE, "0.8"},     {"rank:pairwise", COUNT, "0.5"},
        {"multi:softprob", CLASSES, "0.5"},    {"multi:softmax", CLASSES, "0.5"},
    };
    seed = 11;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *params[] = {"objective",  cases[i].objective,
                                "base_score", cases[i].base_score,
                                "max_depth",  "4",
                                "num_class",  "3",
                                NULL};
        if (strncmp(cases[i].objective, "multi:", 6) != 0)
            params[6] = NULL;
        train_and_compare(params, cases[i].kind, 3, 15, 0.1, cases[i].objective);
    }
}

static void test_depths_and_missing_values(void **state)
{
    (void)state;
    seed = 12;
    for (int depth = 1; depth <= 8; depth++) {
        char d[4], what[64];
        snprintf(d, sizeof d, "%d", depth);
        const char *logistic[] = {"objective", "binary:logistic", "max_depth", d, NULL};
        const char *squared[] = {"objective", "reg:squarederror", "max_depth", d, "eta", "0.3",
                                 NULL};
        snprintf(what, sizeof what, "binary:logistic depth %d", depth);
        train_and_compare(logistic, BINARY, 0, 20, 0.2, what);
        snprintf(what, sizeof what, "reg:squarederror depth %d, exact", depth);
        train_and_compare(squared, REAL, 0, 20, 0.0, what);
    }
    /* Lossguide trees grow deep and lopsided. */
    const char *lossguide[] = {
        "objective", "reg:squarederror", "tree_method", "hist",      "grow_policy",
        "lossguide", "max_leaves",       "40",          "max_depth", "0",
        NULL};
    train_and_compare(lossguide, REAL, 0, 10, 0.2, "lossguide");
}

static void test_dart(void **state)
{
    (void)state;
    seed = 13;
    const char *binary[] = {"booster",   "dart", "objective", "binary:logistic", "rate_drop", "0.3",
                            "max_depth", "3",    NULL};
    train_and_compare(binary, BINARY, 0, 20, 0.1, "dart binary:logistic");
    const char *reg[] = {"booster",    "dart", "objective", "reg:squarederror",
                         "rate_drop",  "0.5",  "skip_drop", "0",
                         "base_score", "7.5",  NULL};
    train_and_compare(reg, REAL, 0, 20, 0.1, "dart reg:squarederror");
    const char *multi[] = {"booster",   "dart", "objective", "multi:softprob",
                           "num_class", "4",    "rate_drop", "0.2",
                           "one_drop",  "1",    NULL};
    train_and_compare(multi, CLASSES, 4, 10, 0.1, "dart multi:softprob");
}

static void test_multiclass(void **state)
{
    (void)state;
    seed = 14;
    const char *softprob[] = {"objective", "multi:softprob", "num_class", "5", "num_parallel_tree",
                              "2",         "subsample",      "0.8",       NULL};
    train_and_compare(softprob, CLASSES, 5, 8, 0.1, "softprob, 2 parallel trees");
    const char *softmax[] = {"objective", "multi:softmax", "num_class", "4", "max_depth", "6",
                             NULL};
    train_and_compare(softmax, CLASSES, 4, 12, 0.1, "softmax");
}

/* Categorical features 0 and 1 (categories 0..11); both one-hot and partition splits. */
static void test_categorical_splits(void **state)
{
    (void)state;
    seed = 15;
    enum { ROWS = 600 };
    float *x = make_rows(ROWS, COLS, 0.05), y[ROWS];
    for (int i = 0; i < ROWS; i++) {
        float *r = x + i * COLS;
        if (!isnan(r[0]))
            r[0] = floorf(r[0] * 3.0f);
        if (!isnan(r[1]))
            r[1] = floorf(r[1] * 3.0f);
        int c0 = isnan(r[0]) ? -1 : (int)r[0], c1 = isnan(r[1]) ? -1 : (int)r[1];
        y[i] = (float)((c0 == 1 || c0 == 4 || c0 == 7 || c0 == 10) * 3 + (c1 % 3 == 0) * 2) +
               (isnan(r[2]) ? 0.0f : r[2]);
    }
    const char *types[COLS] = {"c", "c", "q", "q", "q", "q"};
    DMatrixHandle d = ts_xgb_dmatrix(x, y, ROWS, COLS, types);
    /* Test rows: categories seen and unseen, past the bit set, negative, fractional, NaN. */
    const float specials[] = {
        0,  1,  2,   3,  4,     5,    6,    7,     10,   11,          12,          31,  32,
        33, 40, 100, -1, -0.5f, 0.5f, 1.5f, 3.99f, 1e9f, 16777215.0f, 16777216.0f, NAN, INFINITY};
    enum { N_SPECIAL = sizeof specials / sizeof specials[0] };
    float *t = test_rows(x, COLS);
    for (int i = 0; i < TEST_ROWS; i++) {
        t[i * COLS] = specials[i % N_SPECIAL];
        t[i * COLS + 1] = specials[(i / N_SPECIAL + i) % N_SPECIAL];
    }
    const char *onehot[] = {"tree_method", "hist", "max_cat_to_onehot", "16", "max_depth",
                            "4",           NULL};
    const char *partition[] = {"tree_method", "hist",      "max_cat_to_onehot",    "1", "max_depth",
                               "5",           "objective", "reg:pseudohubererror", NULL};
    const char *const *cases[] = {onehot, partition};
    for (int c = 0; c < 2; c++) {
        BoosterHandle b = ts_xgb_train(d, cases[c], 15);
        tree_ensemble *e = load_ferry(b, NULL);
        assert_int_equal(e->kernel, TREE_KERNEL_GENERAL); /* it has categorical splits */
        tree_ensemble_destroy(e);
        compare(b, t, TEST_ROWS, COLS, c == 0 ? "categorical one-hot" : "categorical partition");
        XGBoosterFree(b);
    }
    XGDMatrixFree(d);
    free(x);
    free(t);
}

/* Feature names holding NaN and Infinity in strings, next to NaN thresholds outside them. */
static void test_non_finite_tokens_inside_strings(void **state)
{
    (void)state;
    seed = 16;
    float *x = make_rows(TRAIN_ROWS, COLS, 0.1);
    float *y = make_labels(x, TRAIN_ROWS, COLS, REAL, 0);
    DMatrixHandle d = ts_xgb_dmatrix(x, y, TRAIN_ROWS, COLS, NULL);
    const char *names[COLS] = {"NaN", "a \"NaN\" b", "-Infinity", "x\\", "Infinity]", "f"};
    assert_int_equal(XGDMatrixSetStrFeatureInfo(d, "feature_name", names, COLS), 0);
    const char *params[] = {"max_depth", "3", NULL};
    BoosterHandle b = ts_xgb_train(d, params, 5);
    compare(b, x, TRAIN_ROWS, COLS, "names with NaN");
    XGBoosterFree(b);
    XGDMatrixFree(d);
    free(x);
    free(y);
}

static void test_info_names_booster_and_objective(void **state)
{
    (void)state;
    seed = 17;
    float *x = make_rows(100, COLS, 0.0);
    float *y = make_labels(x, 100, COLS, BINARY, 0);
    DMatrixHandle d = ts_xgb_dmatrix(x, y, 100, COLS, NULL);
    const char *params[] = {"booster", "dart", "objective", "binary:logistic", NULL};
    BoosterHandle b = ts_xgb_train(d, params, 7);
    xgboost_json_info info;
    tree_ensemble *e = load_ferry(b, &info);
    assert_string_equal(info.booster, "dart");
    assert_string_equal(info.objective, "binary:logistic");
    assert_int_equal(info.n_trees, 7);
    assert_int_equal(e->n_trees, 7);
    assert_int_equal(e->n_features, COLS);
    assert_int_equal(e->transform, TREE_TRANSFORM_LOGISTIC);
    tree_ensemble_destroy(e);
    XGBoosterFree(b);
    XGDMatrixFree(d);
    free(x);
    free(y);
}

/* ---------------------------------------------------------------- models refused */

/* A small reg:squarederror model's JSON (3 rounds) for the edits below. */
static char *small_model_json(size_t *len)
{
    seed = 18;
    float *x = make_rows(200, COLS, 0.0);
    float *y = make_labels(x, 200, COLS, REAL, 0);
    DMatrixHandle d = ts_xgb_dmatrix(x, y, 200, COLS, NULL);
    const char *params[] = {"max_depth", "3", NULL};
    BoosterHandle b = ts_xgb_train(d, params, 3);
    char *json = ts_xgb_model_json(b, len);
    XGBoosterFree(b);
    XGDMatrixFree(d);
    free(x);
    free(y);
    return json;
}

/* Replaces every `from` in text with `to` (malloc'ed result). */
static char *replace_all(const char *text, const char *from, const char *to)
{
    size_t n = 0, fl = strlen(from), tl = strlen(to);
    for (const char *p = strstr(text, from); p != NULL; p = strstr(p + fl, from))
        n++;
    assert_true(n > 0);
    char *out = malloc(strlen(text) + n * tl + 1), *o = out;
    assert_non_null(out);
    const char *p = text, *q;
    while ((q = strstr(p, from)) != NULL) {
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, to, tl);
        o += tl;
        p = q + fl;
    }
    strcpy(o, p);
    return out;
}

static void expect_refused(const char *json, ferry_status code, const char *fragment)
{
    tree_ensemble *e = (tree_ensemble *)1;
    ferry_error err;
    assert_int_equal(xgboost_json_load(json, strlen(json), NULL, &e, NULL, &err), code);
    assert_null(e);
    if (strstr(err.message, fragment) == NULL)
        fail_msg("message '%s' lacks '%s'", err.message, fragment);
}

static void test_gblinear_refused_by_name(void **state)
{
    (void)state;
    seed = 19;
    float *x = make_rows(100, COLS, 0.0);
    float *y = make_labels(x, 100, COLS, REAL, 0);
    DMatrixHandle d = ts_xgb_dmatrix(x, y, 100, COLS, NULL);
    const char *params[] = {"booster", "gblinear", NULL};
    BoosterHandle b = ts_xgb_train(d, params, 3);
    size_t len = 0;
    char *json = ts_xgb_model_json(b, &len);
    expect_refused(json, FERRY_UNSUPPORTED,
                   "booster 'gblinear' is not supported by ferry's tree engine");
    free(json);
    XGBoosterFree(b);
    XGDMatrixFree(d);
    free(x);
    free(y);
}

static void test_bad_models_refused(void **state)
{
    (void)state;
    size_t len = 0;
    char *json = small_model_json(&len);
    char *edited;
    expect_refused("{\"learner\": {\"gradient_booster\": ", FERRY_INVALID_ARG, "model is not JSON");
    expect_refused("[1, 2]", FERRY_INVALID_ARG, "no 'learner' object");
    edited = replace_all(json, "\"reg:squarederror\"", "\"reg:quantileerror\"");
    expect_refused(edited, FERRY_UNSUPPORTED,
                   "objective 'reg:quantileerror' is not supported by ferry's tree engine");
    free(edited);
    edited = replace_all(json, "\"num_feature\":\"6\"", "\"num_feature\":\"1\"");
    expect_refused(edited, FERRY_INVALID_ARG, "out of range (the model has 1 features)");
    assert_non_null(strstr(edited, "\"num_feature\":\"1\""));
    free(edited);
    edited = replace_all(json, "\"size_leaf_vector\":\"0\"", "\"size_leaf_vector\":\"3\"");
    expect_refused(edited, FERRY_UNSUPPORTED, "vector leaves");
    free(edited);
    edited = replace_all(json, "\"left_children\":[", "\"left_children\":[7,");
    expect_refused(edited, FERRY_INVALID_ARG, "tree 0: 'right_children' does not hold");
    free(edited);
    edited = replace_all(json, "\"tree_info\":[0,0,0]", "\"tree_info\":[0,2,0]");
    expect_refused(edited, FERRY_INVALID_ARG, "tree 1: tree_info gives no output below 1");
    free(edited);
    edited = replace_all(json, "\"gbtree\"", "\"gbfancy\"");
    expect_refused(edited, FERRY_UNSUPPORTED, "booster 'gbfancy' is not supported");
    free(edited);
    /* A child pointing back at the root: a cycle the builder catches. */
    edited = replace_all(json, "\"left_children\":[1,", "\"left_children\":[0,");
    expect_refused(edited, FERRY_INVALID_ARG, "tree 0: node 0: node 0 is reached twice");
    free(edited);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_objectives),
        cmocka_unit_test(test_depths_and_missing_values),
        cmocka_unit_test(test_dart),
        cmocka_unit_test(test_multiclass),
        cmocka_unit_test(test_categorical_splits),
        cmocka_unit_test(test_non_finite_tokens_inside_strings),
        cmocka_unit_test(test_info_names_booster_and_objective),
        cmocka_unit_test(test_gblinear_refused_by_name),
        cmocka_unit_test(test_bad_models_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
