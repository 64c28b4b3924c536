/* Unit tests for the ai.onnx.ml operators (src/onnx/ops/: linear_classifier.c,
 * linear_regressor.c, scaler.c, normalizer.c, binarizer.c, label_encoder.c, one_hot_encoder.c,
 * array_feature_extractor.c, imputer.c, svm_classifier.c, svm_regressor.c, zipmap.c; and their
 * helpers ml_common.c, keymap.c, svm.c), most of which ONNX's node tests do not reach. The models
 * and expected outputs under tests/data/onnx/ml/ come from scikit-learn or from the ONNX specs as
 * ONNX Runtime implements them (tests/data/onnx/make_ml_models.py); the tree_* cases
 * (TreeEnsembleClassifier and TreeEnsembleRegressor) hold ONNX Runtime 1.30's own outputs
 * (tests/data/onnx/make_tree_models.py and make_tree_outputs.js); every case runs twice (the
 * second run reuses its plan). tests/data/onnx/ml_invalid/
 * holds models that must be refused, each with the error it must give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "onnx/keymap.h"
#include "onnx/model.h"
#include "onnx/session.h"
#include "onnx/tensor_proto.h"
#include "test_support.h"

#define MAX_TENSORS 8

/* Reads prefix_0.pb, prefix_1.pb, ... of a data set folder. */
static size_t read_tensors(const char *dir, const char *prefix, ferry_tensor *out)
{
    size_t n = 0;
    for (; n < MAX_TENSORS; n++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/test_data_set_0/%s_%zu.pb", dir, prefix, n);
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            break;
        fclose(f);
        ferry_error err;
        if (onnx_tensor_read_file(path, &out[n], &err) != FERRY_OK)
            fail_msg("%s", err.message);
    }
    return n;
}

/* |a - e| <= 1e-5 + 1e-3 |e|, NaN equal to NaN; other dtypes byte for byte. */
static void check_output(const char *name, size_t k, const ferry_tensor *got,
                         const ferry_tensor *want)
{
    if (got->dtype != want->dtype || got->ndim != want->ndim)
        fail_msg("%s output %zu: got %s of rank %d, expected %s of rank %d", name, k,
                 ferry_dtype_name(got->dtype), got->ndim, ferry_dtype_name(want->dtype),
                 want->ndim);
    for (int d = 0; d < want->ndim; d++)
        if (got->shape[d] != want->shape[d])
            fail_msg("%s output %zu: dimension %d is %lld, expected %lld", name, k, d,
                     (long long)got->shape[d], (long long)want->shape[d]);
    if (want->dtype != FERRY_DTYPE_FP32) {
        if (got->nbytes != want->nbytes || memcmp(got->data, want->data, want->nbytes) != 0)
            fail_msg("%s output %zu: data differs", name, k);
        return;
    }
    const float *a = got->data, *e = want->data;
    for (size_t i = 0; i < want->nbytes / sizeof *e; i++)
        if (isnan(e[i]) ? !isnan(a[i]) : fabs(a[i] - e[i]) > 1e-5 + 1e-3 * fabs(e[i]))
            fail_msg("%s output %zu element %zu: got %.9g, expected %.9g", name, k, i, a[i], e[i]);
}

static void run_case(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    onnx_model *m = NULL;
    onnx_session *s = NULL;
    ferry_error err;
    if (onnx_model_load_file(path, &m, &err) != FERRY_OK)
        fail_msg("%s: %s", name, err.message);
    assert_int_equal(onnx_session_create(m, &s, &err), FERRY_OK);
    ferry_tensor in[MAX_TENSORS], want[MAX_TENSORS], got[MAX_TENSORS];
    size_t n_in = read_tensors(dir, "input", in), n_want = read_tensors(dir, "output", want);
    assert_int_equal(n_want, m->n_outputs);
    arena a;
    arena_init(&a, 1 << 24);
    ferry_allocator alloc = arena_allocator(&a);
    for (int pass = 0; pass < 2; pass++) {
        if (onnx_session_run(s, in, n_in, got, &alloc, &err) != FERRY_OK)
            fail_msg("%s: %s", name, err.message);
        for (size_t k = 0; k < n_want; k++)
            check_output(name, k, &got[k], &want[k]);
        arena_reset(&a);
    }
    assert_int_equal(onnx_session_plan_count(s), 1);
    arena_free(&a);
    for (size_t i = 0; i < n_in; i++)
        ferry_tensor_release(&in[i]);
    for (size_t i = 0; i < n_want; i++)
        ferry_tensor_release(&want[i]);
    onnx_session_destroy(s);
    onnx_model_destroy(m);
}

static int only_cases(const struct dirent *e)
{
    return e->d_name[0] != '.' && strchr(e->d_name, '.') == NULL;
}

/* Runs every case under tests/data/onnx/<sub>; returns how many. */
static int run_all(const char *sub)
{
    char root[4200];
    snprintf(root, sizeof root, "%s", ts_source(sub));
    struct dirent **entries = NULL;
    int n = scandir(root, &entries, only_cases, alphasort);
    assert_true(n > 0);
    for (int i = 0; i < n; i++) {
        char dir[4400];
        snprintf(dir, sizeof dir, "%s/%s", root, entries[i]->d_name);
        run_case(dir, entries[i]->d_name);
        free(entries[i]);
    }
    free(entries);
    return n;
}

static void test_models_match_references(void **state)
{
    (void)state;
    assert_true(run_all("tests/data/onnx/ml") >= 43);
}

/* ------------------------------------------------------------------------------------------ */
/* Models to refuse                                                                             */
/* ------------------------------------------------------------------------------------------ */

static void test_invalid_models_fail_cleanly(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        ferry_status code;
        bool at_run; /* loads, and its data set's request fails */
        const char *message;
    } cases[] = {
        {"array_feature_extractor_index", FERRY_INVALID_ARG, true, "Y[1] = 3 is out of range"},
        {"imputer_both_lists", FERRY_INVALID_ARG, false, "exactly one of imputed_value_floats"},
        {"label_encoder_input_dtype", FERRY_INVALID_ARG, false, "X holds FP32 but the keys are"},
        {"label_encoder_lengths", FERRY_INVALID_ARG, false, "3 keys for 2 values"},
        {"linear_classifier_coefficients", FERRY_INVALID_ARG, false, "do not fit 4 features"},
        {"linear_classifier_post_transform", FERRY_INVALID_ARG, false, "post_transform 'SIGMOID'"},
        {"normalizer_norm", FERRY_INVALID_ARG, false, "norm 'L3'"},
        {"one_hot_encoder_unknown", FERRY_INVALID_ARG, true, "element 1 is not a known category"},
        {"svm_classifier_probit_binary", FERRY_UNSUPPORTED, false, "PROBIT on a two-class"},
        {"svm_regressor_features", FERRY_INVALID_ARG, false, "X has 4 features; the model takes 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[4200], path[4300];
        snprintf(dir, sizeof dir, "%s/%s", ts_source("tests/data/onnx/ml_invalid"), cases[i].name);
        snprintf(path, sizeof path, "%s/model.onnx", dir);
        onnx_model *m = NULL;
        ferry_error err = {0};
        ferry_status st = onnx_model_load_file(path, &m, &err);
        if (cases[i].at_run) {
            if (st != FERRY_OK)
                fail_msg("%s: %s", cases[i].name, err.message);
            onnx_session *s = NULL;
            assert_int_equal(onnx_session_create(m, &s, &err), FERRY_OK);
            ferry_tensor in[MAX_TENSORS], out[MAX_TENSORS];
            size_t n_in = read_tensors(dir, "input", in);
            arena a;
            arena_init(&a, 1 << 20);
            ferry_allocator alloc = arena_allocator(&a);
            st = onnx_session_run(s, in, n_in, out, &alloc, &err);
            arena_free(&a);
            for (size_t k = 0; k < n_in; k++)
                ferry_tensor_release(&in[k]);
            onnx_session_destroy(s);
        }
        onnx_model_destroy(m);
        if (st != cases[i].code || strstr(err.message, cases[i].message) == NULL ||
            strstr(err.message, "node #0") == NULL)
            fail_msg("%s: got %s: %s", cases[i].name, ferry_status_name(st), err.message);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Key tables                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static void test_keymap_floats_ints_strings(void **state)
{
    (void)state;
    onnx_graph *g = onnx_graph_create();
    assert_non_null(g);
    ferry_error err;
    onnx_keymap m;
    static const double floats[] = {1.5, NAN, -0.0, 1.5};
    assert_int_equal(onnx_keymap_build(g, &m, ONNX_KEY_FLOAT, floats, 4, false, &err), FERRY_OK);
    assert_int_equal(onnx_keymap_find_float(&m, 1.5), 0); /* the first of repeated keys */
    assert_int_equal(onnx_keymap_find_float(&m, -NAN), 1);
    assert_int_equal(onnx_keymap_find_float(&m, 0.0), 2);
    assert_int_equal(onnx_keymap_find_float(&m, 2.5), -1);
    static const int64_t ints[] = {7, -7, 7, INT64_MIN};
    assert_int_equal(onnx_keymap_build(g, &m, ONNX_KEY_INT, ints, 4, true, &err), FERRY_OK);
    assert_int_equal(onnx_keymap_find_int(&m, 7), 2); /* the last, when asked */
    assert_int_equal(onnx_keymap_find_int(&m, INT64_MIN), 3);
    assert_int_equal(onnx_keymap_find_int(&m, 0), -1);
    /* Many keys: the table grows past its first size and every key is found. */
    enum { N = 1000 };
    onnx_string *strs = onnx_graph_alloc(g, N * sizeof *strs);
    char *text = onnx_graph_alloc(g, N * 8);
    assert_true(strs != NULL && text != NULL);
    for (int i = 0; i < N; i++) {
        int len = snprintf(text + i * 8, 8, "k%d", i);
        strs[i] = (onnx_string){.data = text + i * 8, .len = (size_t)len};
    }
    assert_int_equal(onnx_keymap_build(g, &m, ONNX_KEY_STRING, strs, N, false, &err), FERRY_OK);
    for (int i = 0; i < N; i++)
        assert_int_equal(onnx_keymap_find_string(&m, strs[i]), i);
    assert_int_equal(onnx_keymap_find_string(&m, (onnx_string){.data = "k", .len = 1}), -1);
    assert_int_equal(onnx_keymap_find_string(&m, (onnx_string){.data = "k1\0", .len = 3}), -1);
    onnx_graph_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_models_match_references),
        cmocka_unit_test(test_invalid_models_fail_cleanly),
        cmocka_unit_test(test_keymap_floats_ints_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
