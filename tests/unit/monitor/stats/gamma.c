/* Unit tests for the regularised upper incomplete gamma function and the chi-squared survival
 * function (src/monitor/stats/gamma.c) against scipy.special.gammaincc on the (a, x) grid of
 * tests/data/drift/special.json (written by gen.py): 1e-9 relative from a = 0.5 to 500, both sides
 * of the series/continued-fraction switch, tails, and the invalid arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "monitor/stats/gamma.h"
#include "test_support.h"

static void test_matches_scipy(void **state)
{
    (void)state;
    json_t *doc = ts_load_json(ts_source("tests/data/drift/special.json"));
    json_t *points = json_object_get(doc, "gammaincc");
    assert_true(json_array_size(points) > 100);
    size_t i;
    json_t *p;
    json_array_foreach(points, i, p)
    {
        double a = json_number_value(json_array_get(p, 0));
        double x = json_number_value(json_array_get(p, 1));
        double want = json_number_value(json_array_get(p, 2));
        double got = stats_gammaincc(a, x);
        if (!(fabs(got - want) <= fmax(1e-9 * fabs(want), 1e-300)))
            fail_msg("gammaincc(%.17g, %.17g) = %.17g, scipy %.17g", a, x, got, want);
    }
    json_decref(doc);
}

static void test_chi2_sf(void **state)
{
    (void)state;
    /* chi2.sf(x, 2) = exp(-x/2) exactly; chi2.sf(3.84145882069412, 1) = 0.05. */
    for (double x = 0.5; x < 60.0; x += 2.5) {
        double want = exp(-x / 2.0);
        assert_true(fabs(stats_chi2_sf(x, 2.0) - want) <= 1e-12 * want);
    }
    assert_true(fabs(stats_chi2_sf(3.8414588206941236, 1.0) - 0.05) < 1e-12);
    assert_true(stats_chi2_sf(0.0, 3.0) == 1.0);
    assert_true(stats_chi2_sf(-1.0, 3.0) == 1.0);
    assert_true(isnan(stats_chi2_sf(1.0, 0.0)));
}

static void test_invalid(void **state)
{
    (void)state;
    assert_true(isnan(stats_gammaincc(0.0, 1.0)));
    assert_true(isnan(stats_gammaincc(-1.0, 1.0)));
    assert_true(isnan(stats_gammaincc(1.0, -1.0)));
    assert_true(isnan(stats_gammaincc(NAN, 1.0)));
    assert_true(stats_gammaincc(2.0, 0.0) == 1.0);
    assert_true(stats_gammaincc(2.0, INFINITY) == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_scipy),
        cmocka_unit_test(test_chi2_sf),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
