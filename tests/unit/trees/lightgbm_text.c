/* Unit tests for the LightGBM text model loader (src/trees/lightgbm_text.c): hand-written models
 * whose predictions are worked out by hand from LightGBM's rules (numeric `<=` splits with the
 * default-left bit and missing types None, Zero and NaN, a double threshold just below a float,
 * categorical bit sets, single-leaf trees, binary with sigmoid:2, multiclass softmax, rf's
 * average_output), and corrupt files refused naming the tree and the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "trees/lightgbm_text.h"
#include "trees/predict.h"

static const char regression_model[] = "tree\n"
                                       "version=v3\n"
                                       "num_class=1\n"
                                       "num_tree_per_iteration=1\n"
                                       "label_index=0\n"
                                       "max_feature_idx=2\n"
                                       "objective=regression\n"
                                       "feature_names=a b c\n"
                                       "tree_sizes=1 1 1\n"
                                       "\n"
                                       "Tree=0\n"
                                       "num_leaves=3\n"
                                       "num_cat=0\n"
                                       "split_feature=0 1\n"
                                       "split_gain=1 1\n"
                                       "threshold=0.5 1.5\n"
                                       "decision_type=2 8\n"
                                       "left_child=1 -1\n"
                                       "right_child=-2 -3\n"
                                       "leaf_value=0.1 0.2 0.3\n"
                                       "leaf_count=1 1 1\n"
                                       "is_linear=0\n"
                                       "shrinkage=1\n"
                                       "\n"
                                       "\n"
                                       "Tree=1\n"
                                       "num_leaves=2\n"
                                       "split_feature=2\n"
                                       "threshold=0\n"
                                       "decision_type=6\n"
                                       "left_child=-1\n"
                                       "right_child=-2\n"
                                       "leaf_value=1 -1\n"
                                       "\n"
                                       "Tree=2\n"
                                       "num_leaves=2\n"
                                       "split_feature=0\n"
                                       "threshold=0.10000000000000001\n"
                                       "decision_type=0\n"
                                       "left_child=-1\n"
                                       "right_child=-2\n"
                                       "leaf_value=10 20\n"
                                       "\n"
                                       "end of trees\n"
                                       "\n"
                                       "feature_importances:\n"
                                       "a=2\n";

static tree_ensemble *load_ok(const char *text, lightgbm_info *info)
{
    tree_ensemble *e = NULL;
    ferry_error err = {0};
    ferry_status st = lightgbm_text_load(text, strlen(text), "model.txt", &e, info, &err);
    if (st != FERRY_OK)
        fail_msg("load failed: %s", err.message);
    return e;
}

static void load_fails(const char *text, ferry_status code, const char *needle1,
                       const char *needle2)
{
    tree_ensemble *e = NULL;
    ferry_error err = {0};
    ferry_status st = lightgbm_text_load(text, strlen(text), "model.txt", &e, NULL, &err);
    assert_int_equal(st, code);
    assert_null(e);
    if (strstr(err.message, needle1) == NULL || strstr(err.message, needle2) == NULL)
        fail_msg("'%s' lacks '%s' or '%s'", err.message, needle1, needle2);
}

static void assert_close(float got, double want)
{
    if (!(fabs(got - want) <= 1e-6 + 1e-5 * fabs(want)))
        fail_msg("got %.9g, want %.9g", got, want);
}

static void test_regression_missing_types(void **state)
{
    (void)state;
    lightgbm_info info;
    tree_ensemble *e = load_ok(regression_model, &info);
    assert_string_equal(info.objective, "regression");
    assert_int_equal(info.n_features, 3);
    assert_int_equal(e->n_trees, 3);
    float x[] = {0.5f, 1.5f, 0.0f,  /* <= holds at the thresholds; 0 takes Zero's default */
                 NAN,  NAN,  NAN,   /* None: NaN reads 0; NaN: default right; Zero: left */
                 0.6f, 0.0f, 2.0f,  /* right, left, right */
                 -1,   2,    -3,    /* left then right; -3 <= 0 */
                 0.1f, 0.0f, 1.0f}; /* 0.1f is above the double 0.1: right in tree 2 */
    double want[] = {0.1 + 1 + 20, 0.3 + 1 + 10, 0.2 - 1 + 20, 0.3 + 1 + 10, 0.1 - 1 + 20};
    float out[5];
    tree_predict(e, x, 5, out, false);
    for (int i = 0; i < 5; i++)
        assert_close(out[i], want[i]);
    tree_ensemble_destroy(e);
}

static const char binary_model[] = "tree\n"
                                   "max_feature_idx=1\n"
                                   "objective=binary sigmoid:2\n"
                                   "\n"
                                   "Tree=0\n"
                                   "num_leaves=2\n"
                                   "num_cat=1\n"
                                   "split_feature=1\n"
                                   "threshold=0\n"
                                   "decision_type=1\n"
                                   "left_child=-1\n"
                                   "right_child=-2\n"
                                   "leaf_value=0.5 -0.25\n"
                                   "cat_boundaries=0 2\n"
                                   "cat_threshold=5 2\n"
                                   "\n"
                                   "end of trees\n";

static void test_bad_category_words(void **state)
{
    (void)state;
    const char *at = strstr(binary_model, "cat_threshold=5 2");
    char s[sizeof binary_model + 8];
    snprintf(s, sizeof s, "%.*scat_threshold=5 -2%s", (int)(at - binary_model), binary_model,
             at + strlen("cat_threshold=5 2"));
    load_fails(s, FERRY_INVALID_ARG, "line 15: tree 0: cat_threshold -2", "32-bit word");
}

static void test_binary_categorical(void **state)
{
    (void)state;
    tree_ensemble *e = load_ok(binary_model, NULL);
    /* categories {0, 2, 33} go left; NaN, negatives and others right */
    float cats[] = {0, 2.7f, 33, 1, -1, NAN, 34, 64};
    double left = 1 / (1 + exp(-2 * 0.5)), right = 1 / (1 + exp(-2 * -0.25));
    double want[] = {left, left, left, right, right, right, right, right};
    for (int i = 0; i < 8; i++) {
        float x[2] = {0, cats[i]}, out;
        tree_predict(e, x, 1, &out, false);
        assert_close(out, want[i]);
    }
    tree_ensemble_destroy(e);
}

static const char multiclass_model[] = "tree\n"
                                       "max_feature_idx=0\n"
                                       "num_class=3\n"
                                       "num_tree_per_iteration=3\n"
                                       "objective=multiclass num_class:3\n"
                                       "\n"
                                       "Tree=0\nnum_leaves=1\nleaf_value=0.1\n\n"
                                       "Tree=1\nnum_leaves=1\nleaf_value=0.2\n\n"
                                       "Tree=2\nnum_leaves=1\nleaf_value=0.3\n\n"
                                       "Tree=3\nnum_leaves=2\nsplit_feature=0\nthreshold=0\n"
                                       "decision_type=2\nleft_child=-1\nright_child=-2\n"
                                       "leaf_value=1 -1\n\n"
                                       "Tree=4\nnum_leaves=1\nleaf_value=0\n\n"
                                       "Tree=5\nnum_leaves=1\nleaf_value=0.5\n\n"
                                       "end of trees\n";

static void test_multiclass_softmax(void **state)
{
    (void)state;
    lightgbm_info info;
    tree_ensemble *e = load_ok(multiclass_model, &info);
    assert_int_equal(info.n_classes, 3);
    float x[2] = {-1, 1}, out[6];
    tree_predict(e, x, 2, out, false);
    double m[2][3] = {{1.1, 0.2, 0.8}, {-0.9, 0.2, 0.8}};
    for (int r = 0; r < 2; r++) {
        double sum = 0;
        for (int k = 0; k < 3; k++)
            sum += exp(m[r][k]);
        for (int k = 0; k < 3; k++)
            assert_close(out[r * 3 + k], exp(m[r][k]) / sum);
    }
    tree_predict(e, x, 2, out, true);
    for (int k = 0; k < 3; k++)
        assert_close(out[k], m[0][k]);
    tree_ensemble_destroy(e);
}

static void test_average_output(void **state)
{
    (void)state;
    const char *text = "tree\nmax_feature_idx=0\nobjective=regression\naverage_output\n\n"
                       "Tree=0\nnum_leaves=1\nleaf_value=3\n\n"
                       "Tree=1\nnum_leaves=1\nleaf_value=5\n\n"
                       "end of trees\n";
    tree_ensemble *e = load_ok(text, NULL);
    float x = 0, out;
    tree_predict(e, &x, 1, &out, false);
    assert_close(out, 4.0);
    tree_ensemble_destroy(e);
}

/* The regression model with `from` replaced by `to`. */
static char *edited(const char *from, const char *to)
{
    const char *at = strstr(regression_model, from);
    assert_non_null(at);
    size_t n = strlen(regression_model) + strlen(to) + 1;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "%.*s%s%s", (int)(at - regression_model), regression_model, to,
             at + strlen(from));
    return s;
}

static void test_corrupt_files(void **state)
{
    (void)state;
    char *s = edited("threshold=0.5 1.5", "threshold=0.5 abc");
    load_fails(s, FERRY_INVALID_ARG, "line 16: tree 0: threshold", "not a number");
    free(s);
    s = edited("right_child=-2 -3", "right_child=-2 -7");
    load_fails(s, FERRY_INVALID_ARG, "line 19: tree 0: right_child -7 out of range", "3 leaves");
    free(s);
    s = edited("left_child=-1\n", "left_child=4\n");
    load_fails(s, FERRY_INVALID_ARG, "tree 1: left_child 4 out of range", "line 31");
    free(s);
    s = edited("leaf_value=1 -1", "leaf_value=1");
    load_fails(s, FERRY_INVALID_ARG, "line 33: tree 1: 1 leaf values", "num_leaves 2");
    free(s);
    s = edited("leaf_value=1 -1", "leaf_value=1 x");
    load_fails(s, FERRY_INVALID_ARG, "line 33: tree 1: leaf_value", "value 2 of 2 is not a number");
    free(s);
    s = edited("num_leaves=2\nsplit_feature=2", "num_leaves=60000000\nsplit_feature=2");
    load_fails(s, FERRY_INVALID_ARG, "tree 1", "num_leaves 60000000");
    free(s);
    s = edited("split_feature=2", "split_feature=3");
    load_fails(s, FERRY_INVALID_ARG, "tree 1: split 0: feature 3 out of range", "line 28");
    free(s);
    s = edited("left_child=1 -1", "left_child=0 -1");
    load_fails(s, FERRY_INVALID_ARG, "tree 0", "line 11");
    free(s);
    /* truncated in the middle of tree 1 */
    size_t cut = (size_t)(strstr(regression_model, "threshold=0\n") - regression_model);
    char *t = strndup(regression_model, cut);
    load_fails(t, FERRY_INVALID_ARG, "tree 1 (line 26)", "truncated");
    free(t);
    load_fails("hello\n", FERRY_INVALID_ARG, "no max_feature_idx", "model.txt");
    s = edited("objective=regression", "objective=cross_entropy_lambda");
    load_fails(s, FERRY_UNSUPPORTED, "objective 'cross_entropy_lambda'", "line 7");
    free(s);
    s = edited("is_linear=0", "is_linear=1");
    load_fails(s, FERRY_UNSUPPORTED, "linear trees", "tree 0");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regression_missing_types), cmocka_unit_test(test_binary_categorical),
        cmocka_unit_test(test_bad_category_words),       cmocka_unit_test(test_multiclass_softmax),
        cmocka_unit_test(test_average_output),           cmocka_unit_test(test_corrupt_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
