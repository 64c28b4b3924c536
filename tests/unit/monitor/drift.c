/* Unit tests for feature and dataset drift (src/monitor/drift.c and the statistics under
 * src/monitor/stats/) against scipy/numpy on the cases of tests/data/drift/cases.json (written by
 * gen.py): every method on every case — KS statistic to 1e-12, p-values and distances to 1e-9
 * relative, the Sturges bin count exactly, the degenerate cases (statistic null, drifted exactly
 * when the current sample holds something new) — plus the `auto` rules, thresholds, method names
 * and the dataset verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/drift.h"
#include "monitor/stats/histogram.h"
#include "test_support.h"

static const char *const all_methods[] = {"ks", "chisquare", "wasserstein", "jensenshannon", "psi"};

/* ---- helpers ---------------------------------------------------------------------------- */

static double *numbers(json_t *array, size_t *n)
{
    *n = json_array_size(array);
    double *x = malloc((*n + 1) * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < *n; i++)
        x[i] = json_number_value(json_array_get(array, i));
    return x;
}

/* The union of both samples' categories and each one's counts. */
typedef struct category_counts {
    const char *names[256];
    double ref[256], cur[256];
    size_t k;
} category_counts;

static void add_categories(category_counts *c, json_t *values, bool reference)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v)
    {
        const char *s = json_string_value(v);
        size_t j = 0;
        while (j < c->k && strcmp(c->names[j], s) != 0)
            j++;
        if (j == c->k) {
            assert_true(c->k < 256);
            c->names[c->k++] = s;
        }
        (reference ? c->ref : c->cur)[j] += 1.0;
    }
}

static void check_close(const char *what, const char *case_name, double got, double want,
                        double rel)
{
    if (!(fabs(got - want) <= fmax(rel * fabs(want), 1e-300)))
        fail_msg("%s %s: %.17g, scipy %.17g (diff %.3g)", case_name, what, got, want,
                 fabs(got - want));
}

static void check_result(const char *name, const char *method, const drift_result *r, json_t *want)
{
    json_t *stat = json_object_get(want, "statistic"), *p = json_object_get(want, "p_value");
    assert_non_null(want);
    if (strcmp(drift_method_name(r->method), method) != 0)
        fail_msg("%s: asked for %s, got %s", name, method, drift_method_name(r->method));
    if (json_is_null(stat) == r->has_statistic)
        fail_msg("%s %s: statistic %s, scipy %s", name, method, r->has_statistic ? "set" : "null",
                 json_is_null(stat) ? "null" : "set");
    if (r->has_statistic)
        check_close(method, name, r->statistic, json_number_value(stat),
                    strcmp(method, "ks") == 0 ? 1e-12 : 1e-9);
    assert_int_equal(r->has_p_value, !json_is_null(p));
    if (r->has_p_value)
        check_close("p-value", name, r->p_value, json_number_value(p), 1e-9);
    if (r->drifted != json_is_true(json_object_get(want, "drifted")))
        fail_msg("%s %s: drifted %d, expected %d", name, method, r->drifted, !r->drifted);
    assert_true(r->threshold == drift_default_threshold(r->method));
}

/* The Sturges bin count numpy chose for the pooled values. */
static void check_bins(const char *name, const double *a, size_t n, const double *b, size_t m,
                       json_t *want)
{
    if (want == NULL)
        return;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n + m; i++) {
        double v = i < n ? a[i] : b[i - n];
        lo = fmin(lo, v);
        hi = fmax(hi, v);
    }
    size_t bins = stats_sturges_bins(lo, hi, n + m);
    if (bins != (size_t)json_integer_value(want))
        fail_msg("%s: %zu Sturges bins, numpy %lld", name, bins, json_integer_value(want));
}

static void run_numeric_case(json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    json_t *expected = json_object_get(c, "expected");
    size_t n = 0, m = 0;
    double *ref = numbers(json_object_get(c, "reference"), &n);
    double *cur = numbers(json_object_get(c, "current"), &m);
    for (size_t i = 0; i < 5; i++) {
        drift_method method;
        assert_true(drift_method_parse(all_methods[i], &method));
        drift_result r;
        ferry_error err = {0};
        assert_int_equal(drift_numeric(ref, n, cur, m, method, n, NAN, &r, &err), FERRY_OK);
        check_result(name, all_methods[i], &r, json_object_get(expected, all_methods[i]));
    }
    check_bins(name, ref, n, cur, m, json_object_get(expected, "bins"));
    free(ref);
    free(cur);
}

static void run_categorical_case(json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    json_t *expected = json_object_get(c, "expected");
    category_counts counts = {0};
    add_categories(&counts, json_object_get(c, "reference"), true);
    add_categories(&counts, json_object_get(c, "current"), false);
    for (size_t i = 1; i < 5; i += 1) {
        if (strcmp(all_methods[i], "wasserstein") == 0)
            continue;
        drift_method method;
        assert_true(drift_method_parse(all_methods[i], &method));
        drift_result r;
        ferry_error err = {0};
        assert_int_equal(
            drift_categorical(counts.ref, counts.cur, counts.k, method, 10, NAN, &r, &err),
            FERRY_OK);
        check_result(name, all_methods[i], &r, json_object_get(expected, all_methods[i]));
    }
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_matches_scipy(void **state)
{
    (void)state;
    json_t *doc = ts_load_json(ts_source("tests/data/drift/cases.json"));
    json_t *cases = json_object_get(doc, "cases");
    size_t i, numeric = 0, categorical = 0;
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "type")), "numerical") == 0) {
            run_numeric_case(c);
            numeric++;
        } else {
            run_categorical_case(c);
            categorical++;
        }
    }
    assert_true(numeric >= 15 && categorical >= 8);
    json_decref(doc);
}

static void test_auto_rules(void **state)
{
    (void)state;
    /* Reference of at most 1,000 rows: tests; above: distances. */
    assert_int_equal(drift_resolve(DRIFT_AUTO, false, 1000, 6), DRIFT_KS);
    assert_int_equal(drift_resolve(DRIFT_AUTO, false, 1000, 5), DRIFT_CHISQUARE);
    assert_int_equal(drift_resolve(DRIFT_AUTO, false, 10, 1), DRIFT_CHISQUARE);
    assert_int_equal(drift_resolve(DRIFT_AUTO, false, 1001, 6), DRIFT_WASSERSTEIN);
    assert_int_equal(drift_resolve(DRIFT_AUTO, false, 1001, 2), DRIFT_WASSERSTEIN);
    assert_int_equal(drift_resolve(DRIFT_AUTO, true, 1000, 0), DRIFT_CHISQUARE);
    assert_int_equal(drift_resolve(DRIFT_AUTO, true, 1001, 0), DRIFT_JENSENSHANNON);
    /* Numerical-only methods on a categorical feature: their categorical counterparts. */
    assert_int_equal(drift_resolve(DRIFT_KS, true, 5000, 0), DRIFT_CHISQUARE);
    assert_int_equal(drift_resolve(DRIFT_WASSERSTEIN, true, 5, 0), DRIFT_JENSENSHANNON);
    assert_int_equal(drift_resolve(DRIFT_PSI, true, 5, 0), DRIFT_PSI);
    assert_int_equal(drift_resolve(DRIFT_PSI, false, 5, 0), DRIFT_PSI);
}

static void test_auto_on_data(void **state)
{
    (void)state;
    double ref[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, cur[3] = {1, 2, 3};
    drift_result r;
    ferry_error err = {0};
    assert_int_equal(drift_numeric(ref, 12, cur, 3, DRIFT_AUTO, 12, NAN, &r, &err), FERRY_OK);
    assert_int_equal(r.method, DRIFT_KS);
    assert_true(r.threshold == 0.05);
    /* Five distinct values: chi-squared over them. */
    double few[12] = {1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 5, 5};
    assert_int_equal(drift_numeric(few, 12, cur, 3, DRIFT_AUTO, 12, NAN, &r, &err), FERRY_OK);
    assert_int_equal(r.method, DRIFT_CHISQUARE);
    assert_true(r.has_p_value);
    /* The row count, not the sample size, picks the family. */
    assert_int_equal(drift_numeric(ref, 12, cur, 3, DRIFT_AUTO, 5000, NAN, &r, &err), FERRY_OK);
    assert_int_equal(r.method, DRIFT_WASSERSTEIN);
    assert_false(r.has_p_value);
    assert_true(r.threshold == 0.1);
    double counts[2][3] = {{5, 5, 0}, {5, 4, 0}};
    assert_int_equal(drift_categorical(counts[0], counts[1], 3, DRIFT_AUTO, 2000, NAN, &r, &err),
                     FERRY_OK);
    assert_int_equal(r.method, DRIFT_JENSENSHANNON);
    assert_true(r.has_statistic && r.statistic > 0.0 && !r.drifted);
}

static void test_threshold_override(void **state)
{
    (void)state;
    double ref[6] = {1, 2, 3, 4, 5, 6}, cur[6] = {2, 3, 4, 5, 6, 7};
    drift_result r;
    ferry_error err = {0};
    assert_int_equal(drift_numeric(ref, 6, cur, 6, DRIFT_WASSERSTEIN, 6, NAN, &r, &err), FERRY_OK);
    /* W1 = 1 (every value moved by one), std of 1..6 = sqrt(35/12). */
    assert_true(fabs(r.statistic - 1.0 / sqrt(35.0 / 12.0)) < 1e-12);
    assert_true(r.drifted);
    assert_int_equal(drift_numeric(ref, 6, cur, 6, DRIFT_WASSERSTEIN, 6, 0.6, &r, &err), FERRY_OK);
    assert_true(r.threshold == 0.6 && !r.drifted);
    /* A test drifts when p < threshold: with threshold 1 everything with p < 1 drifts. */
    assert_int_equal(drift_numeric(ref, 6, cur, 6, DRIFT_KS, 6, 1.0, &r, &err), FERRY_OK);
    assert_true(r.p_value < 1.0 && r.drifted);
    assert_int_equal(drift_numeric(ref, 6, cur, 6, DRIFT_KS, 6, NAN, &r, &err), FERRY_OK);
    assert_true(fabs(r.statistic - 1.0 / 6.0) < 1e-15 && !r.drifted);
}

static void test_nan_refused(void **state)
{
    (void)state;
    double ref[3] = {1, NAN, 3}, cur[2] = {1, 2};
    drift_result r;
    ferry_error err = {0};
    assert_int_equal(drift_numeric(ref, 3, cur, 2, DRIFT_KS, 3, NAN, &r, &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "value 1"));
}

static void test_names(void **state)
{
    (void)state;
    drift_method m;
    for (int i = 0; i < DRIFT_METHOD_COUNT; i++) {
        assert_true(drift_method_parse(drift_method_name((drift_method)i), &m));
        assert_int_equal(m, i);
    }
    assert_false(drift_method_parse("kl", &m));
    assert_false(drift_method_parse("KS", &m));
    assert_string_equal(drift_method_name(DRIFT_METHOD_COUNT), "unknown");
    assert_true(drift_method_is_test(DRIFT_KS) && drift_method_is_test(DRIFT_CHISQUARE));
    assert_false(drift_method_is_test(DRIFT_PSI) || drift_method_is_test(DRIFT_WASSERSTEIN) ||
                 drift_method_is_test(DRIFT_JENSENSHANNON));
}

static void test_summarise(void **state)
{
    (void)state;
    drift_result r[4] = {{.drifted = true}, {.drifted = false}, {.drifted = true}, {0}};
    size_t drifted = 0;
    double share = 0.0;
    bool dataset = false;
    drift_summarise(r, 4, &drifted, &share, &dataset);
    assert_int_equal(drifted, 2);
    assert_true(share == 0.5 && dataset); /* at least half */
    drift_summarise(r, 3, &drifted, &share, &dataset);
    assert_true(dataset);
    r[2].drifted = false;
    drift_summarise(r, 4, &drifted, &share, &dataset);
    assert_true(drifted == 1 && share == 0.25 && !dataset);
    drift_summarise(r, 0, &drifted, &share, &dataset);
    assert_true(drifted == 0 && share == 0.0 && !dataset);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_scipy), cmocka_unit_test(test_auto_rules),
        cmocka_unit_test(test_auto_on_data),  cmocka_unit_test(test_threshold_override),
        cmocka_unit_test(test_nan_refused),   cmocka_unit_test(test_names),
        cmocka_unit_test(test_summarise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
