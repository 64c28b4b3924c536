/* Unit tests for the Kolmogorov survival function (src/monitor/stats/kolmogorov.c) against
 * scipy.special.kolmogorov at the points of tests/data/drift/special.json (written by gen.py):
 * 1e-9 relative, both sides of the series cut-over, the far tail, x <= 0 and NaN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "monitor/stats/kolmogorov.h"
#include "test_support.h"

/* Relative 1e-9, or absolute 1e-300 where scipy's value is (sub)normal-small. */
static void assert_rel(double got, double want, const char *what, double x)
{
    double tol = fmax(1e-9 * fabs(want), 1e-300);
    if (!(fabs(got - want) <= tol))
        fail_msg("%s(%.17g) = %.17g, scipy %.17g", what, x, got, want);
}

static void test_matches_scipy(void **state)
{
    (void)state;
    json_t *doc = ts_load_json(ts_source("tests/data/drift/special.json"));
    json_t *points = json_object_get(doc, "kolmogorov");
    assert_true(json_array_size(points) > 50);
    size_t i;
    json_t *p;
    json_array_foreach(points, i, p)
    {
        double x = json_number_value(json_array_get(p, 0));
        assert_rel(stats_kolmogorov_sf(x), json_number_value(json_array_get(p, 1)), "kolmogorov",
                   x);
    }
    json_decref(doc);
}

static void test_edges(void **state)
{
    (void)state;
    assert_true(stats_kolmogorov_sf(0.0) == 1.0);
    assert_true(stats_kolmogorov_sf(-3.0) == 1.0);
    assert_true(isnan(stats_kolmogorov_sf(NAN)));
    assert_true(stats_kolmogorov_sf(INFINITY) == 0.0);
    assert_true(stats_kolmogorov_sf(40.0) == 0.0);
    /* Monotone decreasing across the cut-over between the two series. */
    double prev = 1.0;
    for (double x = 0.5; x < 1.2; x += 0.001) {
        double v = stats_kolmogorov_sf(x);
        assert_true(v <= prev);
        prev = v;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_scipy),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
