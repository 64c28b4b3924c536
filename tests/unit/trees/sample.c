/* Unit tests for the sample rows (src/trees/sample.c): the all-NaN and all-zero rows, every
 * threshold and its neighbours, categories in and out of a set, the same rows for the same seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trees/builder.h"
#include "trees/sample.h"

enum { ROWS = 64, FEATURES = 3 };

/* Feature 0: splits at 0.5 and -2; feature 1: categories {1, 5}; feature 2: no split. */
static tree_ensemble *make(void)
{
    uint32_t cats[] = {1, 5};
    tree_src_node src[] = {
        {.yes = 1, .no = 2, .feature = 0, .value = 0.5f},
        {.yes = 3, .no = 4, .feature = 1, .cmp = TREE_CMP_IN_CATS, .categories = cats, .n_set = 2},
        {.yes = 5, .no = 6, .feature = 0, .value = -2.0f},
        {.yes = -1, .no = -1, .value = 1.0f},
        {.yes = -1, .no = -1, .value = 2.0f},
        {.yes = -1, .no = -1, .value = 3.0f},
        {.yes = -1, .no = -1, .value = 4.0f},
    };
    tree_params p = {.n_features = FEATURES, .n_outputs = 1};
    tree_builder *b = NULL;
    ferry_error err;
    assert_int_equal(tree_builder_create(&p, &b, &err), FERRY_OK);
    assert_int_equal(tree_builder_add_tree(b, src, 7, 0, 0, &err), FERRY_OK);
    tree_ensemble *e = NULL;
    assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
    tree_builder_destroy(b);
    return e;
}

static bool column_has(const float *x, size_t f, float v)
{
    for (size_t r = 0; r < ROWS; r++)
        if (memcmp(&x[r * FEATURES + f], &v, sizeof v) == 0)
            return true;
    return false;
}

static void test_rows_cover_the_splits(void **state)
{
    (void)state;
    tree_ensemble *e = make();
    float x[ROWS * FEATURES], y[ROWS * FEATURES];
    ferry_error err;
    assert_int_equal(tree_sample_rows(e, 42, ROWS, x, &err), FERRY_OK);
    for (size_t f = 0; f < FEATURES; f++) {
        assert_true(isnan(x[f]));             /* row 0: all missing */
        assert_true(x[FEATURES + f] == 0.0f); /* row 1: all zeros */
    }
    const float on_splits[] = {0.5f,  nextafterf(0.5f, 0.0f),   nextafterf(0.5f, 1.0f),
                               -2.0f, nextafterf(-2.0f, -3.0f), nextafterf(-2.0f, 0.0f)};
    for (size_t i = 0; i < sizeof on_splits / sizeof on_splits[0]; i++)
        if (!column_has(x, 0, on_splits[i]))
            fail_msg("feature 0 never takes %.9g", on_splits[i]);
    const float categories[] = {1.0f, 5.0f, 32.0f, -1.0f}; /* in the set, past it, none */
    for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++)
        if (!column_has(x, 1, categories[i]))
            fail_msg("feature 1 never takes %g", categories[i]);
    size_t nan = 0, other = 0;
    for (size_t r = 2; r < ROWS; r++) {
        float v = x[r * FEATURES + 2];
        nan += isnan(v);
        other += !isnan(v) && v != 0.0f;
    }
    assert_true(nan > 0);
    assert_int_equal(other, 0); /* a feature without splits: only 0 and NaN */
    assert_int_equal(tree_sample_rows(e, 42, ROWS, y, &err), FERRY_OK);
    assert_memory_equal(x, y, sizeof x);
    assert_int_equal(tree_sample_rows(e, 43, ROWS, y, &err), FERRY_OK);
    assert_memory_not_equal(x, y, sizeof x);
    tree_ensemble_destroy(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_cover_the_splits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
