/* The XGBoost backend against python3-xgboost's own outputs (../shared/models expected.json),
 * through ferry's tree engine (the default) and through libxgboost (`tree_engine: xgboost`), and on
 * models trained here with libxgboost's C API: multi-class shapes, margins, options, bad files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "backends/xgboost.h"
#include "core/arena.h"
#include "test_support.h"

typedef struct loaded {
    void *model;
    ferry_model_io io;
} loaded;

static ferry_status load_with(const char *path, const ferry_option *options, size_t n_options,
                              loaded *out, ferry_error *err)
{
    ferry_backend_config cfg = {
        .model_name = "m", .version = "1", .n_options = n_options, .options = options};
    ferry_status st = xgboost_backend.load(&cfg, path, &out->model, err);
    if (st == FERRY_OK)
        st = xgboost_backend.describe(out->model, &out->io, err);
    return st;
}

/* Runs the fixture's whole test split through the backend and compares with `key` outputs. */
static void check_fixture(const char *model_file, const char *fixture, const char *expected_key,
                          const ferry_option *options, size_t n_options)
{
    char path[4096], inputs_path[4096], expected_path[4096];
    snprintf(path, sizeof path, "%s", ts_shared(model_file));
    snprintf(inputs_path, sizeof inputs_path, "%s/test_inputs.json", ts_shared(fixture));
    snprintf(expected_path, sizeof expected_path, "%s/expected.json", ts_shared(fixture));
    loaded m;
    ferry_error err;
    assert_int_equal(load_with(path, options, n_options, &m, &err), FERRY_OK);
    const char *engine = "ferry";
    for (size_t i = 0; i < n_options; i++)
        if (strcmp(options[i].key, "tree_engine") == 0)
            engine = options[i].value;
    assert_string_equal(xgboost_backend_engine(m.model), engine);
    json_t *in = ts_load_json(inputs_path), *exp = ts_load_json(expected_path);
    json_t *data = json_object_get(in, "data");
    int64_t rows = json_integer_value(json_array_get(json_object_get(in, "shape"), 0));
    int64_t cols = json_integer_value(json_array_get(json_object_get(in, "shape"), 1));
    assert_int_equal(cols, m.io.inputs[0].shape[1]);
    float *x = malloc((size_t)(rows * cols) * sizeof *x);
    for (int64_t i = 0; i < rows * cols; i++)
        x[i] = (float)json_number_value(json_array_get(data, (size_t)i));
    ferry_tensor input = {.name = "input",
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 2,
                          .shape = {rows, cols},
                          .data = x,
                          .nbytes = (size_t)(rows * cols) * sizeof *x};
    arena a;
    arena_init(&a, 1 << 24);
    ferry_allocator alloc = arena_allocator(&a);
    ferry_tensor out;
    assert_int_equal(xgboost_backend.infer(m.model, &input, 1, &out, 1, &alloc, &err), FERRY_OK);
    assert_int_equal(out.shape[0], rows);
    json_t *want = json_object_get(json_array_get(json_object_get(exp, expected_key), 0), "data");
    assert_int_equal(json_array_size(want), (size_t)rows);
    for (int64_t i = 0; i < rows; i++) {
        double e = json_number_value(json_array_get(want, (size_t)i));
        double got = ((float *)out.data)[i];
        if (!ts_close(got, e))
            fail_msg("%s row %lld: got %.9g, expected %.9g", model_file, (long long)i, got, e);
    }
    arena_free(&a);
    free(x);
    json_decref(in);
    json_decref(exp);
    xgboost_backend.unload(m.model);
}

static void test_bc_json_matches_python(void **state)
{
    (void)state;
    check_fixture("models/bc_xgb/model.json", "models/bc_xgb", "outputs", NULL, 0);
}

static void test_bc_ubj_matches_python(void **state)
{
    (void)state;
    check_fixture("models/bc_xgb/model.ubj", "models/bc_xgb", "outputs", NULL, 0);
}

static void test_bc_margins_match_python(void **state)
{
    (void)state;
    ferry_option margin = {"predict", "margin"};
    check_fixture("models/bc_xgb/model.json", "models/bc_xgb", "margin_outputs", &margin, 1);
}

static void test_diabetes_matches_python(void **state)
{
    (void)state;
    check_fixture("models/diabetes_xgb/model.json", "models/diabetes_xgb", "outputs", NULL, 0);
}

static void test_fixtures_through_libxgboost(void **state)
{
    (void)state;
    ferry_option xgb[] = {{"tree_engine", "xgboost"}, {"predict", "margin"}};
    check_fixture("models/bc_xgb/model.json", "models/bc_xgb", "outputs", xgb, 1);
    check_fixture("models/bc_xgb/model.ubj", "models/bc_xgb", "margin_outputs", xgb, 2);
    check_fixture("models/diabetes_xgb/model.json", "models/diabetes_xgb", "outputs", xgb, 1);
    ferry_option ferry[] = {{"tree_engine", "ferry"}, {"predict", "margin"}};
    check_fixture("models/diabetes_xgb/model.json", "models/diabetes_xgb", "margin_outputs", ferry,
                  2);
}

static void test_describe_reports_names_and_shapes(void **state)
{
    (void)state;
    loaded m;
    ferry_error err;
    ferry_option names[] = {{"input_name", "features"}, {"output_name", "proba"}};
    assert_int_equal(load_with(ts_shared("models/bc_xgb/model.json"), names, 2, &m, &err),
                     FERRY_OK);
    assert_int_equal(m.io.n_inputs, 1);
    assert_string_equal(m.io.inputs[0].name, "features");
    assert_int_equal(m.io.inputs[0].dtype, FERRY_DTYPE_FP32);
    assert_int_equal(m.io.inputs[0].ndim, 2);
    assert_int_equal(m.io.inputs[0].shape[0], -1);
    assert_int_equal(m.io.inputs[0].shape[1], 30);
    assert_true(m.io.inputs[0].accepted & (1u << FERRY_DTYPE_FP64));
    assert_string_equal(m.io.outputs[0].name, "proba");
    assert_int_equal(m.io.outputs[0].ndim, 1);
    assert_int_equal(m.io.outputs[0].shape[0], -1);
    assert_int_equal(m.io.n_features, 30);
    assert_string_equal(m.io.feature_names[0], "mean radius");
    assert_string_equal(m.io.platform, "xgboost_json");
    xgboost_backend.unload(m.model);
}

static void test_unknown_option_refused(void **state)
{
    (void)state;
    loaded m;
    ferry_error err;
    ferry_option bad = {"nthreads", "4"};
    assert_int_equal(load_with(ts_shared("models/bc_xgb/model.json"), &bad, 1, &m, &err),
                     FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "nthreads"));
    ferry_option engine = {"tree_engine", "treelite"};
    assert_int_equal(load_with(ts_shared("models/bc_xgb/model.json"), &engine, 1, &m, &err),
                     FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "'tree_engine: treelite'"));
    assert_non_null(strstr(err.message, "tree_engine: ferry|xgboost"));
}

static void test_corrupt_and_missing_files(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    char path[4096];
    snprintf(path, sizeof path, "%s/model.json", dir);
    ts_write_file(path, "{\"learner\": {\"gradient_booster\": ");
    loaded m;
    ferry_error err;
    assert_int_equal(load_with(path, NULL, 0, &m, &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, path));
    snprintf(path, sizeof path, "%s/absent.json", dir);
    assert_int_not_equal(load_with(path, NULL, 0, &m, &err), FERRY_OK);
    ts_rmtree(dir);
    free(dir);
}

/* Trains a 3-class softprob model with the C API and saves it; returns the booster for reference.
 */
static BoosterHandle train_multiclass(const char *path, float *x, float *y, int rows, int cols)
{
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++)
            x[i * cols + j] = (float)((i * 7 + j * 13) % 17) / 17.0f;
        y[i] = (float)(i % 3);
    }
    DMatrixHandle d;
    assert_int_equal(XGDMatrixCreateFromMat(x, (bst_ulong)rows, (bst_ulong)cols, NAN, &d), 0);
    assert_int_equal(XGDMatrixSetFloatInfo(d, "label", y, (bst_ulong)rows), 0);
    BoosterHandle b;
    assert_int_equal(XGBoosterCreate(&d, 1, &b), 0);
    XGBoosterSetParam(b, "objective", "multi:softprob");
    XGBoosterSetParam(b, "num_class", "3");
    XGBoosterSetParam(b, "max_depth", "3");
    XGBoosterSetParam(b, "nthread", "1");
    for (int it = 0; it < 5; it++)
        assert_int_equal(XGBoosterUpdateOneIter(b, it, d), 0);
    assert_int_equal(XGBoosterSaveModel(b, path), 0);
    XGDMatrixFree(d);
    return b;
}

static void test_multiclass_shape_and_values(void **state)
{
    (void)state;
    enum { ROWS = 60, COLS = 4 };
    char *dir = ts_mkdtemp();
    char path[4096];
    snprintf(path, sizeof path, "%s/model.json", dir);
    float x[ROWS * COLS], y[ROWS];
    BoosterHandle ref = train_multiclass(path, x, y, ROWS, COLS);
    loaded m;
    ferry_error err;
    assert_int_equal(load_with(path, NULL, 0, &m, &err), FERRY_OK);
    assert_int_equal(m.io.outputs[0].ndim, 2);
    assert_int_equal(m.io.outputs[0].shape[1], 3);
    assert_int_equal(m.io.n_features, 0); /* trained without names */
    ferry_tensor input = {.name = "input",
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 2,
                          .shape = {ROWS, COLS},
                          .data = x,
                          .nbytes = sizeof x};
    arena a;
    arena_init(&a, 1 << 20);
    ferry_allocator alloc = arena_allocator(&a);
    ferry_tensor out;
    assert_int_equal(xgboost_backend.infer(m.model, &input, 1, &out, 1, &alloc, &err), FERRY_OK);
    assert_int_equal(out.shape[0], ROWS);
    assert_int_equal(out.shape[1], 3);
    DMatrixHandle d;
    assert_int_equal(XGDMatrixCreateFromMat(x, ROWS, COLS, NAN, &d), 0);
    bst_ulong len;
    const float *want;
    assert_int_equal(XGBoosterPredict(ref, d, 0, 0, 0, &len, &want), 0);
    assert_int_equal(len, ROWS * 3);
    for (int i = 0; i < ROWS * 3; i++)
        assert_true(ts_close(((float *)out.data)[i], want[i]));
    XGDMatrixFree(d);
    XGBoosterFree(ref);
    arena_free(&a);
    xgboost_backend.unload(m.model);
    ts_rmtree(dir);
    free(dir);
}

static void test_zero_rows_and_missing_values(void **state)
{
    (void)state;
    loaded m;
    ferry_error err;
    assert_int_equal(load_with(ts_shared("models/bc_xgb/model.json"), NULL, 0, &m, &err), FERRY_OK);
    arena a;
    arena_init(&a, 1 << 20);
    ferry_allocator alloc = arena_allocator(&a);
    float row[30];
    for (int i = 0; i < 30; i++)
        row[i] = NAN; /* every feature missing: defaults of each split, still a probability */
    ferry_tensor input = {.name = "input",
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 2,
                          .shape = {0, 30},
                          .data = row,
                          .nbytes = 0};
    ferry_tensor out;
    assert_int_equal(xgboost_backend.infer(m.model, &input, 1, &out, 1, &alloc, &err), FERRY_OK);
    assert_int_equal(out.shape[0], 0);
    input.shape[0] = 1;
    input.nbytes = sizeof row;
    assert_int_equal(xgboost_backend.infer(m.model, &input, 1, &out, 1, &alloc, &err), FERRY_OK);
    float p = ((float *)out.data)[0];
    assert_true(p > 0.0f && p < 1.0f);
    arena_free(&a);
    xgboost_backend.unload(m.model);
}

/* Concurrent callers on one model each get their own rows' predictions (the proxy pool). */
typedef struct concurrent_job {
    void *model;
    const float *x;     /* all rows */
    const double *want; /* expected per row */
    int rows, offset;
    int mismatches;
} concurrent_job;

static void *concurrent_worker(void *arg)
{
    concurrent_job *job = arg;
    arena a;
    arena_init(&a, 1 << 20);
    ferry_allocator alloc = arena_allocator(&a);
    for (int it = 0; it < 300; it++) {
        int r = (it * 7 + job->offset) % job->rows;
        ferry_tensor input = {.name = "input",
                              .dtype = FERRY_DTYPE_FP32,
                              .ndim = 2,
                              .shape = {1, 30},
                              .data = (void *)(job->x + r * 30),
                              .nbytes = 30 * sizeof(float)};
        ferry_tensor out;
        ferry_error err;
        if (xgboost_backend.infer(job->model, &input, 1, &out, 1, &alloc, &err) != FERRY_OK ||
            !ts_close(((float *)out.data)[0], job->want[r]))
            job->mismatches++;
        arena_reset(&a);
    }
    arena_free(&a);
    return NULL;
}

static void test_concurrent_calls(void **state)
{
    (void)state;
    loaded m;
    ferry_error err;
    assert_int_equal(load_with(ts_shared("models/bc_xgb/model.json"), NULL, 0, &m, &err), FERRY_OK);
    char path[4096];
    snprintf(path, sizeof path, "%s/test_inputs.json", ts_shared("models/bc_xgb"));
    json_t *in = ts_load_json(path);
    snprintf(path, sizeof path, "%s/expected.json", ts_shared("models/bc_xgb"));
    json_t *exp = ts_load_json(path);
    json_t *data = json_object_get(in, "data");
    json_t *want_json = json_object_get(json_array_get(json_object_get(exp, "outputs"), 0), "data");
    int rows = (int)json_array_size(want_json);
    float *x = malloc((size_t)rows * 30 * sizeof *x);
    double *want = malloc((size_t)rows * sizeof *want);
    for (int i = 0; i < rows * 30; i++)
        x[i] = (float)json_number_value(json_array_get(data, (size_t)i));
    for (int i = 0; i < rows; i++)
        want[i] = json_number_value(json_array_get(want_json, (size_t)i));
    enum { THREADS = 4 };
    pthread_t tids[THREADS];
    concurrent_job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (concurrent_job){
            .model = m.model, .x = x, .want = want, .rows = rows, .offset = t * 13};
        assert_int_equal(pthread_create(&tids[t], NULL, concurrent_worker, &jobs[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(tids[t], NULL);
        assert_int_equal(jobs[t].mismatches, 0);
    }
    free(x);
    free(want);
    json_decref(in);
    json_decref(exp);
    xgboost_backend.unload(m.model);
}

/* The model's predictions for `rows` rows of `cols` features, copied into a malloc'd array the
 * caller frees; *width receives the values per row. */
static float *predict_random(void *model, const float *x, int rows, int cols, size_t *width)
{
    arena a;
    arena_init(&a, 1 << 22);
    ferry_allocator alloc = arena_allocator(&a);
    ferry_tensor input = {.name = "input",
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 2,
                          .shape = {rows, cols},
                          .data = (void *)x,
                          .nbytes = (size_t)rows * (size_t)cols * sizeof(float)};
    ferry_tensor out;
    ferry_error err;
    assert_int_equal(xgboost_backend.infer(model, &input, 1, &out, 1, &alloc, &err), FERRY_OK);
    assert_int_equal(out.shape[0], rows);
    *width = out.nbytes / sizeof(float) / (size_t)(rows > 0 ? rows : 1);
    float *copy = malloc(out.nbytes + 1);
    assert_non_null(copy);
    memcpy(copy, out.data, out.nbytes);
    arena_free(&a);
    return copy;
}

/* n random feature values (10% NaN, the rest on a grid across the fixtures' ranges); the caller
 * frees them. */
static float *random_values(int n, unsigned seed)
{
    float *x = malloc((size_t)n * sizeof *x);
    assert_non_null(x);
    srand(seed);
    for (int i = 0; i < n; i++)
        x[i] = rand() % 10 == 0 ? NAN : (float)(rand() % 4000) / 4.0f - 100.0f;
    return x;
}

/* intra_op_threads splits large calls over threads: every row's output (one value, or one per
 * class) is bit-for-bit what one thread gives, at sizes around the block and split boundaries. */
static void check_threads_identical(const char *path)
{
    const int sizes[] = {1, 63, 64, 65, 200, 511, 1000, 4099};
    loaded one, three;
    ferry_error err;
    ferry_option threads = {"intra_op_threads", "3"};
    assert_int_equal(load_with(path, NULL, 0, &one, &err), FERRY_OK);
    assert_int_equal(load_with(path, &threads, 1, &three, &err), FERRY_OK);
    assert_string_equal(xgboost_backend_engine(three.model), "ferry");
    int cols = (int)one.io.inputs[0].shape[1];
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        float *x = random_values(sizes[i] * cols, (unsigned)(i + 7 * (unsigned)cols));
        size_t w1, w3;
        float *a = predict_random(one.model, x, sizes[i], cols, &w1);
        float *b = predict_random(three.model, x, sizes[i], cols, &w3);
        assert_int_equal(w1, w3);
        assert_memory_equal(a, b, (size_t)sizes[i] * w1 * sizeof(float));
        free(a);
        free(b);
        free(x);
    }
    xgboost_backend.unload(one.model);
    xgboost_backend.unload(three.model);
}

static void test_threads_give_identical_outputs(void **state)
{
    (void)state;
    check_threads_identical(ts_shared("models/bc_xgb/model.json"));
    check_threads_identical(ts_shared("models/diabetes_xgb/model.json"));
    enum { ROWS = 60, COLS = 4 };
    char *dir = ts_mkdtemp();
    char path[4096];
    snprintf(path, sizeof path, "%s/model.json", dir);
    float x[ROWS * COLS], y[ROWS];
    XGBoosterFree(train_multiclass(path, x, y, ROWS, COLS)); /* 3 outputs per row */
    check_threads_identical(path);
    ts_rmtree(dir);
    free(dir);
}

static void test_threads_option_refused(void **state)
{
    (void)state;
    const char *bad[] = {"0", "-1", "two", "2x", "100000", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        loaded m;
        ferry_error err;
        ferry_option o = {"intra_op_threads", bad[i]};
        assert_int_equal(load_with(ts_shared("models/bc_xgb/model.json"), &o, 1, &m, &err),
                         FERRY_INVALID_ARG);
        assert_non_null(strstr(err.message, "intra_op_threads"));
        assert_non_null(strstr(err.message, "'m'"));
    }
}

/* Concurrent large calls on a model with a pool: one splits, the others run alone; every caller
 * gets its own rows' outputs. */
typedef struct split_job {
    void *model;
    const float *x;
    const float *want;
    int rows;
    int mismatches;
} split_job;

static void *split_worker(void *arg)
{
    split_job *job = arg;
    for (int it = 0; it < 40; it++) {
        size_t w;
        float *got = predict_random(job->model, job->x, job->rows, 30, &w);
        if (memcmp(got, job->want, (size_t)job->rows * w * sizeof(float)) != 0)
            job->mismatches++;
        free(got);
    }
    return NULL;
}

static void test_threads_under_concurrent_calls(void **state)
{
    (void)state;
    loaded one, two;
    ferry_error err;
    ferry_option threads = {"intra_op_threads", "2"};
    assert_int_equal(load_with(ts_shared("models/bc_xgb/model.json"), NULL, 0, &one, &err),
                     FERRY_OK);
    assert_int_equal(load_with(ts_shared("models/bc_xgb/model.json"), &threads, 1, &two, &err),
                     FERRY_OK);
    enum { CALLERS = 4, ROWS = 2048 };
    pthread_t tids[CALLERS];
    split_job jobs[CALLERS];
    float *xs[CALLERS], *wants[CALLERS];
    for (int t = 0; t < CALLERS; t++) {
        size_t w;
        xs[t] = random_values(ROWS * 30, 100u + (unsigned)t);
        wants[t] = predict_random(one.model, xs[t], ROWS, 30, &w);
        jobs[t] = (split_job){.model = two.model, .x = xs[t], .want = wants[t], .rows = ROWS};
        assert_int_equal(pthread_create(&tids[t], NULL, split_worker, &jobs[t]), 0);
    }
    for (int t = 0; t < CALLERS; t++) {
        pthread_join(tids[t], NULL);
        assert_int_equal(jobs[t].mismatches, 0);
        free(xs[t]);
        free(wants[t]);
    }
    xgboost_backend.unload(one.model);
    xgboost_backend.unload(two.model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bc_json_matches_python),
        cmocka_unit_test(test_bc_ubj_matches_python),
        cmocka_unit_test(test_bc_margins_match_python),
        cmocka_unit_test(test_diabetes_matches_python),
        cmocka_unit_test(test_fixtures_through_libxgboost),
        cmocka_unit_test(test_describe_reports_names_and_shapes),
        cmocka_unit_test(test_unknown_option_refused),
        cmocka_unit_test(test_corrupt_and_missing_files),
        cmocka_unit_test(test_multiclass_shape_and_values),
        cmocka_unit_test(test_zero_rows_and_missing_values),
        cmocka_unit_test(test_concurrent_calls),
        cmocka_unit_test(test_threads_give_identical_outputs),
        cmocka_unit_test(test_threads_option_refused),
        cmocka_unit_test(test_threads_under_concurrent_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
