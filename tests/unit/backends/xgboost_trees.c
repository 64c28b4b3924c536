/* ferry's tree engine inside the XGBoost backend (src/backends/xgboost_trees.c): which engine
 * serves and why. A model the engine cannot evaluate (gblinear) and a model whose built ensemble
 * disagrees with libxgboost (corrupted through the test hook) both still load, serve libxgboost's
 * answers and log a warning naming the model and the reason; models trained here serve through
 * ferry's engine with libxgboost's outputs and shapes; verification itself names the row that
 * differs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/xgboost.h"
#include "backends/xgboost_trees.h"
#include "core/arena.h"
#include "test_support.h"
#include "trees/predict.h"
#include "xgb_train.h"

enum { ROWS = 300, COLS = 5 };

/* ---------------------------------------------------------------- helpers */

typedef struct captured {
    int saved_fd;
    char path[64];
} captured;

/* Sends stderr (where the log goes) to a temporary file until capture_end. */
static void capture_begin(captured *c)
{
    snprintf(c->path, sizeof c->path, "/tmp/ferry-xgb-trees-XXXXXX");
    int fd = mkstemp(c->path);
    assert_true(fd >= 0);
    fflush(stderr);
    c->saved_fd = dup(2);
    assert_true(dup2(fd, 2) == 2);
    close(fd);
}

/* Restores stderr; returns what was written meanwhile (malloc'ed). */
static char *capture_end(captured *c)
{
    fflush(stderr);
    dup2(c->saved_fd, 2);
    close(c->saved_fd);
    char *text = ts_read_file(c->path, NULL);
    assert_non_null(text);
    unlink(c->path);
    return text;
}

static void *load(const char *path, const ferry_option *options, size_t n_options, char **log)
{
    ferry_backend_config cfg = {
        .model_name = "fraud", .version = "3", .n_options = n_options, .options = options};
    void *model = NULL;
    ferry_error err;
    captured c;
    capture_begin(&c);
    ferry_status st = xgboost_backend.load(&cfg, path, &model, &err);
    *log = capture_end(&c);
    if (st != FERRY_OK)
        fail_msg("load: %s", err.message);
    return model;
}

/* Runs rows through the backend; returns a malloc'ed copy of the output and its shape. */
static float *infer(void *model, const float *x, int rows, int cols, int64_t *shape, int *ndim)
{
    ferry_tensor input = {.name = "input",
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 2,
                          .shape = {rows, cols},
                          .data = (void *)x,
                          .nbytes = (size_t)rows * (size_t)cols * sizeof(float)};
    arena a;
    arena_init(&a, 1 << 24);
    ferry_allocator alloc = arena_allocator(&a);
    ferry_tensor out;
    ferry_error err;
    if (xgboost_backend.infer(model, &input, 1, &out, 1, &alloc, &err) != FERRY_OK)
        fail_msg("infer: %s", err.message);
    float *copy = malloc(out.nbytes);
    assert_non_null(copy);
    memcpy(copy, out.data, out.nbytes);
    *ndim = out.ndim;
    memcpy(shape, out.shape, sizeof out.shape);
    arena_free(&a);
    return copy;
}

static float *make_rows(unsigned long long *seed, int rows, double nan)
{
    float *x = malloc((size_t)rows * COLS * sizeof *x);
    assert_non_null(x);
    for (int i = 0; i < rows * COLS; i++)
        x[i] = ts_xgb_uniform(seed) < nan ? NAN : 3.0f * ts_xgb_uniform(seed);
    return x;
}

/* Trains a model with params on labels of `classes` classes (0: a real target) and saves it as
 * dir/name; returns the booster, the reference. */
static BoosterHandle train_saved(const char *dir, const char *name, const char *const *params,
                                 int classes, const float *x)
{
    float y[ROWS];
    for (int i = 0; i < ROWS; i++) {
        const float *r = x + i * COLS;
        float s = (isnan(r[0]) ? 1.0f : r[0]) + (isnan(r[1]) || isnan(r[2]) ? 0.0f : r[1] * r[2]);
        y[i] = classes ? (float)((int)s % classes) : s;
    }
    DMatrixHandle d = ts_xgb_dmatrix(x, y, ROWS, COLS, NULL);
    BoosterHandle b = ts_xgb_train(d, params, 10);
    XGDMatrixFree(d);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(XGBoosterSaveModel(b, path), 0);
    return b;
}

/* Loads dir/name through the backend and checks the engine, the shape and every value against
 * libxgboost. */
static void check_served(const char *dir, const char *name, BoosterHandle ref, const float *x,
                         const ferry_option *options, size_t n_options, const char *engine,
                         bool margin)
{
    char path[4096], *log = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    void *model = load(path, options, n_options, &log);
    if (strcmp(xgboost_backend_engine(model), engine) != 0)
        fail_msg("%s: served by %s, want %s; log: %s", name, xgboost_backend_engine(model), engine,
                 log);
    int64_t shape[FERRY_MAX_DIMS];
    int ndim = 0;
    float *got = infer(model, x, ROWS, COLS, shape, &ndim);
    size_t per_row = 0;
    float *want = ts_xgb_predict(ref, x, ROWS, COLS, margin, &per_row);
    assert_int_equal(shape[0], ROWS);
    assert_int_equal(ndim, per_row == 1 ? 1 : 2);
    for (size_t i = 0; i < ROWS * per_row; i++)
        if (!ts_close(got[i], want[i]))
            fail_msg("%s row %zu: got %.9g, libxgboost %.9g", name, i / per_row, got[i], want[i]);
    free(got);
    free(want);
    free(log);
    xgboost_backend.unload(model);
}

/* ---------------------------------------------------------------- tests */

static void test_trained_models_served_by_ferry(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    unsigned long long seed = 3;
    float *x = make_rows(&seed, ROWS, 0.1);
    const char *softmax[] = {"objective", "multi:softmax", "num_class", "3", NULL};
    const char *dart[] = {"booster",    "dart", "objective", "reg:squarederror", "rate_drop", "0.3",
                          "base_score", "4",    NULL};
    const char *poisson[] = {"objective", "count:poisson", "max_depth", "5", NULL};
    BoosterHandle b = train_saved(dir, "softmax.json", softmax, 3, x);
    check_served(dir, "softmax.json", b, x, NULL, 0, "ferry", false);
    ferry_option margin = {"predict", "margin"};
    check_served(dir, "softmax.json", b, x, &margin, 1, "ferry", true); /* [N, 3] margins */
    XGBoosterFree(b);
    b = train_saved(dir, "dart.ubj", dart, 0, x);
    check_served(dir, "dart.ubj", b, x, NULL, 0, "ferry", false);
    XGBoosterFree(b);
    b = train_saved(dir, "poisson.json", poisson, 0, x);
    check_served(dir, "poisson.json", b, x, NULL, 0, "ferry", false);
    ferry_option xgb = {"tree_engine", "xgboost"};
    check_served(dir, "poisson.json", b, x, &xgb, 1, "xgboost", false);
    XGBoosterFree(b);
    free(x);
    ts_rmtree(dir);
    free(dir);
}

static void test_gblinear_falls_back_to_libxgboost(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    unsigned long long seed = 4;
    float *x = make_rows(&seed, ROWS, 0.0);
    const char *params[] = {"booster", "gblinear", NULL};
    BoosterHandle b = train_saved(dir, "linear.json", params, 0, x);
    char path[4096], *log = NULL;
    snprintf(path, sizeof path, "%s/linear.json", dir);
    void *model = load(path, NULL, 0, &log);
    assert_string_equal(xgboost_backend_engine(model), "xgboost");
    if (strstr(log, "\"level\":\"warn\"") == NULL ||
        strstr(log, "booster 'gblinear' is not supported by ferry's tree engine; serving through "
                    "libxgboost") == NULL ||
        strstr(log, "\"model\":\"fraud\"") == NULL || strstr(log, "\"version\":\"3\"") == NULL)
        fail_msg("log: %s", log);
    free(log);
    xgboost_backend.unload(model);
    check_served(dir, "linear.json", b, x, NULL, 0, "xgboost", false);
    XGBoosterFree(b);
    free(x);
    ts_rmtree(dir);
    free(dir);
}

/* Adds 0.25 to every leaf of the first tree: a model ferry now gets wrong. */
static void corrupt_first_tree(tree_ensemble *e)
{
    uint32_t end = e->n_trees > 1 ? e->trees[1].node : (uint32_t)e->n_nodes;
    for (uint32_t i = e->trees[0].node; i < end; i++)
        if (tree_node_is_leaf(&e->nodes[i]))
            e->nodes[i].leaf += 0.25f;
}

static void test_mismatch_falls_back_to_libxgboost(void **state)
{
    (void)state;
    char *log = NULL;
    xgb_trees_set_test_hook(corrupt_first_tree);
    void *model = load(ts_shared("models/bc_xgb/model.json"), NULL, 0, &log);
    xgb_trees_set_test_hook(NULL);
    assert_string_equal(xgboost_backend_engine(model), "xgboost");
    if (strstr(log, "\"level\":\"warn\"") == NULL ||
        strstr(log, "ferry's tree engine differs from libxgboost on sample row 0 output 0") ==
            NULL ||
        strstr(log, "serving through libxgboost") == NULL ||
        strstr(log, "\"model\":\"fraud\"") == NULL)
        fail_msg("log: %s", log);
    free(log);
    /* libxgboost's answers: python-xgboost's expected outputs. */
    char path[4096];
    snprintf(path, sizeof path, "%s/test_inputs.json", ts_shared("models/bc_xgb"));
    json_t *in = ts_load_json(path);
    snprintf(path, sizeof path, "%s/expected.json", ts_shared("models/bc_xgb"));
    json_t *exp = ts_load_json(path);
    json_t *data = json_object_get(in, "data");
    json_t *want = json_object_get(json_array_get(json_object_get(exp, "outputs"), 0), "data");
    int rows = (int)json_array_size(want);
    float *x = malloc((size_t)rows * 30 * sizeof *x);
    for (int i = 0; i < rows * 30; i++)
        x[i] = (float)json_number_value(json_array_get(data, (size_t)i));
    int64_t shape[FERRY_MAX_DIMS];
    int ndim;
    float *got = infer(model, x, rows, 30, shape, &ndim);
    for (int i = 0; i < rows; i++)
        assert_true(ts_close(got[i], json_number_value(json_array_get(want, (size_t)i))));
    free(got);
    free(x);
    json_decref(in);
    json_decref(exp);
    xgboost_backend.unload(model);
    /* Without the hook the same model is served by ferry again, and says so. */
    model = load(ts_shared("models/bc_xgb/model.json"), NULL, 0, &log);
    assert_string_equal(xgboost_backend_engine(model), "ferry");
    assert_non_null(strstr(log, "served by ferry's tree engine (gbtree, binary:logistic, 100 "
                                "trees of depth up to 4), verified against libxgboost on 512"));
    free(log);
    xgboost_backend.unload(model);
}

/* xgb_trees_verify names the first row and output that differ, with both values. */
static void test_verify_names_the_row(void **state)
{
    (void)state;
    unsigned long long seed = 5;
    float *x = make_rows(&seed, ROWS, 0.1);
    char *dir = ts_mkdtemp();
    const char *params[] = {"objective", "multi:softprob", "num_class", "3", NULL};
    BoosterHandle b = train_saved(dir, "m.json", params, 3, x);
    xgb_trees_predict predict = {
        .config = "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
                  "\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}",
        .margin = false};
    tree_ensemble *e = NULL;
    xgboost_json_info info;
    ferry_error err;
    assert_int_equal(xgb_trees_build(b, &predict, &e, &info, &err), FERRY_OK);
    assert_int_equal(xgb_trees_verify(e, b, &predict, x, ROWS, &err), FERRY_OK);
    /* Every split on feature 0 sends every row right in ferry's copy only. */
    for (uint32_t i = 0; i < e->n_nodes; i++)
        if (!tree_node_is_leaf(&e->nodes[i]) && tree_node_feature(&e->nodes[i]) == 0)
            e->nodes[i].value = -1e30f;
    ferry_status st = xgb_trees_verify(e, b, &predict, x, ROWS, &err);
    assert_int_equal(st, FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "differs from libxgboost on sample row "));
    assert_non_null(strstr(err.message, "output "));
    assert_non_null(strstr(err.message, ", libxgboost "));
    tree_ensemble_destroy(e);
    XGBoosterFree(b);
    free(x);
    ts_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trained_models_served_by_ferry),
        cmocka_unit_test(test_gblinear_falls_back_to_libxgboost),
        cmocka_unit_test(test_mismatch_falls_back_to_libxgboost),
        cmocka_unit_test(test_verify_names_the_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
