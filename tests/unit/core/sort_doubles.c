/* sort_doubles: the same order as qsort on random, sorted, reversed, constant, few-valued and
 * median-of-three-hostile inputs of many lengths; NaNs last; doubles_sorted agrees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/sort_doubles.h"

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static uint64_t rng = 88172645463325252u;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

typedef double (*fill_fn)(size_t i, size_t n);

static double random_value(size_t i, size_t n)
{
    (void)i;
    (void)n;
    return (double)(int64_t)next() / 1e6;
}
static double ascending(size_t i, size_t n)
{
    (void)n;
    return (double)i;
}
static double descending(size_t i, size_t n)
{
    return (double)(n - i);
}
static double constant(size_t i, size_t n)
{
    (void)i;
    (void)n;
    return 0.5;
}
static double few_values(size_t i, size_t n)
{
    (void)i;
    (void)n;
    return (double)(next() % 3);
}
static double organ_pipe(size_t i, size_t n)
{
    return (double)(i < n / 2 ? i : n - i);
}
static double signed_zeros(size_t i, size_t n)
{
    (void)n;
    return i % 2 ? -0.0 : 0.0;
}
static double extremes(size_t i, size_t n)
{
    (void)n;
    static const double v[] = {INFINITY, -INFINITY, 1e-310, -1e-310, 1.7e308, -1.7e308, 0.0, 1.0};
    return v[(i * 7 + (size_t)(next() % 3)) % 8];
}

/* Sorts fill's values of each length with both sorts and compares them element by element. */
static void check_against_qsort(fill_fn fill)
{
    static const size_t lengths[] = {0, 1, 2, 3, 15, 16, 17, 33, 100, 1000, 4097, 20000};
    for (size_t l = 0; l < sizeof lengths / sizeof *lengths; l++) {
        size_t n = lengths[l];
        double *x = malloc((n + 1) * sizeof *x), *want = malloc((n + 1) * sizeof *want);
        assert_non_null(x);
        assert_non_null(want);
        for (size_t i = 0; i < n; i++)
            x[i] = want[i] = fill(i, n);
        double *y = malloc((n + 1) * sizeof *y);
        uint64_t *scratch = malloc((2 * n + 1) * sizeof *scratch);
        assert_non_null(y);
        assert_non_null(scratch);
        memcpy(y, x, n * sizeof *y);
        sort_doubles(x, n);
        sort_doubles_with(y, n, scratch);
        qsort(want, n, sizeof *want, compare);
        for (size_t i = 0; i < n; i++)
            if (y[i] != want[i] || signbit(y[i]) != signbit(x[i]))
                fail_msg("radix, length %zu: element %zu is %g, want %g", n, i, y[i], want[i]);
        free(y);
        free(scratch);
        for (size_t i = 0; i < n; i++)
            if (x[i] != want[i])
                fail_msg("length %zu: element %zu is %g, want %g", n, i, x[i], want[i]);
        assert_true(doubles_sorted(x, n));
        free(x);
        free(want);
    }
}

static void test_matches_qsort(void **state)
{
    (void)state;
    fill_fn fills[] = {random_value, ascending,  descending, constant,
                       few_values,   organ_pipe, extremes};
    for (size_t f = 0; f < sizeof fills / sizeof *fills; f++)
        check_against_qsort(fills[f]);
}

/* -0.0 and 0.0 compare equal, so either order is sorted; each sort keeps them as numbers. */
static void test_signed_zeros(void **state)
{
    (void)state;
    size_t n = 1000;
    double x[1000];
    uint64_t scratch[2000];
    for (size_t i = 0; i < n; i++)
        x[i] = signed_zeros(i, n) + (double)(i % 5 == 0);
    sort_doubles_with(x, n, scratch);
    assert_true(doubles_sorted(x, n));
    for (size_t i = 0; i < n; i++)
        assert_true(x[i] == (i >= 800));
}

static void test_nans_go_last(void **state)
{
    (void)state;
    double x[] = {3.0, NAN, -1.0, -NAN, 2.0, NAN, 0.0};
    double y[7];
    memcpy(y, x, sizeof y);
    sort_doubles(x, 7);
    uint64_t scratch[14];
    sort_doubles_with(y, 7, scratch);
    for (size_t i = 0; i < 7; i++)
        assert_true(x[i] == y[i] || (isnan(x[i]) && isnan(y[i])));
    const double want[] = {-1.0, 0.0, 2.0, 3.0};
    for (size_t i = 0; i < 4; i++)
        assert_true(x[i] == want[i]);
    for (size_t i = 4; i < 7; i++)
        assert_true(isnan(x[i]));
    assert_true(doubles_sorted(x, 7));
}

static void test_sorted_check(void **state)
{
    (void)state;
    assert_true(doubles_sorted(NULL, 0));
    assert_true(doubles_sorted((double[]){1, 1, 2}, 3));
    assert_false(doubles_sorted((double[]){1, 0}, 2));
    assert_false(doubles_sorted((double[]){NAN, 1}, 2));
    assert_true(doubles_sorted((double[]){1, NAN}, 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_qsort),
        cmocka_unit_test(test_signed_zeros),
        cmocka_unit_test(test_nans_go_last),
        cmocka_unit_test(test_sorted_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
