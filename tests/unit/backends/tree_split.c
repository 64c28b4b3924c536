/* When tree_split splits a call: never below TREE_SPLIT_MIN_WORK tree-row visits per thread or
 * fewer row blocks than threads, at most the pool's threads, never without a pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/tree_split.h"
#include "trees/predict.h"

static void test_threads_for_sizes(void **state)
{
    (void)state;
    tree_split *s;
    ferry_error err;
    assert_int_equal(tree_split_create(4, &s, &err), FERRY_OK);
    tree_ensemble e = {.n_trees = 100, .n_features = 30};
    assert_int_equal(tree_split_threads_for(s, &e, 1), 1);
    assert_int_equal(tree_split_threads_for(s, &e, 300), 1); /* 30,000 visits: under 2 × min */
    assert_int_equal(tree_split_threads_for(s, &e, 400), 2);
    assert_int_equal(tree_split_threads_for(s, &e, 700), 4);
    assert_int_equal(tree_split_threads_for(s, &e, 100000), 4);
    tree_ensemble big = {.n_trees = 100000, .n_features = 30};
    assert_int_equal(tree_split_threads_for(s, &big, 64), 1);  /* one block: nothing to split */
    assert_int_equal(tree_split_threads_for(s, &big, 129), 3); /* three blocks */
    tree_ensemble none = {.n_trees = 0};
    assert_int_equal(tree_split_threads_for(s, &none, 100000), 1);
    assert_int_equal(tree_split_threads_for(NULL, &e, 100000), 1);
    tree_split_destroy(s);
}

static void test_bad_thread_counts(void **state)
{
    (void)state;
    tree_split *s = (tree_split *)&s;
    ferry_error err;
    assert_int_equal(tree_split_create(1, &s, &err), FERRY_INVALID_ARG);
    assert_null(s);
    assert_int_equal(tree_split_create(100000, &s, &err), FERRY_INVALID_ARG);
    tree_split_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_for_sizes),
        cmocka_unit_test(test_bad_thread_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
