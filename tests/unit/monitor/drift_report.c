/* Unit tests for drift reports over two profiles (src/monitor/drift_report.c): features in the
 * reference's order with the label left out, missing values dropped before the statistics,
 * categories counted over both samples, prediction columns reported apart and kept out of the
 * dataset verdict, the method and threshold options, errors naming the column, and the JSON shape
 * (exact keys, null statistic and p-value). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/drift_report.h"
#include "test_support.h"

static char *g_tmp;
static profile *g_ref, *g_cur;

static profile *build(const char *name, const char *text, const profile_options *o)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", g_tmp, name);
    ts_write_file(path, text);
    profile *p = NULL;
    ferry_error err = {0};
    if (profile_build(path, o, &p, &err) != FERRY_OK)
        fail_msg("profile_build %s: %s", name, err.message);
    return p;
}

static int setup(void **state)
{
    (void)state;
    g_tmp = ts_mkdtemp();
    g_ref = build("ref.csv",
                  "x,city,y,score\n"
                  "1,a,0,0.1\n2,b,1,0.2\n3,a,0,0.3\nNA,b,1,0.4\n5,a,0,0.5\n6,,1,0.6\n7,b,0,0.7\n",
                  &(profile_options){.label = "y"});
    g_cur = build("cur.csv", "score,x,city\n0.2,2,a\n0.3,,c\n0.9,9,a\n0.8,8,b\n",
                  &(profile_options){.schema = g_ref});
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    profile_destroy(g_ref);
    profile_destroy(g_cur);
    ts_rmtree(g_tmp);
    free(g_tmp);
    return 0;
}

static drift_report make(const drift_report_options *o)
{
    drift_report r;
    ferry_error err = {0};
    if (drift_report_profiles(g_ref, g_cur, o, &r, &err) != FERRY_OK)
        fail_msg("drift_report_profiles: %s", err.message);
    return r;
}

static void test_features(void **state)
{
    (void)state;
    drift_report r = make(&(drift_report_options){.method = DRIFT_AUTO, .threshold = NAN});
    assert_int_equal(r.n_features, 3); /* x, city, score: the label y is left out */
    assert_string_equal(r.features[0].name, "x");
    assert_string_equal(r.features[1].name, "city");
    assert_string_equal(r.features[2].name, "score");
    assert_int_equal(r.n_prediction, 0);
    /* x: KS on {1,2,3,5,6,7} against {2,9,8}, the missing values dropped. */
    double ref[] = {1, 2, 3, 5, 6, 7}, cur[] = {2, 9, 8};
    drift_result want;
    ferry_error err = {0};
    assert_int_equal(drift_numeric(ref, 6, cur, 3, DRIFT_AUTO, 7, NAN, &want, &err), FERRY_OK);
    const drift_result *x = &r.features[0].result;
    assert_int_equal(x->method, DRIFT_KS);
    assert_true(x->statistic == want.statistic && x->p_value == want.p_value);
    assert_true(fabs(x->statistic - 2.0 / 3.0) < 1e-15);
    /* city: "c" never appeared in the reference: no statistic, drifted. */
    const drift_result *city = &r.features[1].result;
    assert_int_equal(r.features[1].type, PROFILE_CATEGORICAL);
    assert_int_equal(city->method, DRIFT_CHISQUARE);
    assert_false(city->has_statistic || city->has_p_value);
    assert_true(city->drifted);
    assert_int_equal(r.drifted_features,
                     (size_t)x->drifted + 1 + (size_t)r.features[2].result.drifted);
    assert_true(r.share == (double)r.drifted_features / 3.0);
    assert_true(r.dataset_drift == (r.share >= 0.5));
    drift_report_free(&r);
    drift_report_free(&r); /* zeroed: harmless */
}

static void test_prediction_and_options(void **state)
{
    (void)state;
    const char *const prediction[] = {"score"};
    drift_report r = make(&(drift_report_options){
        .method = DRIFT_KS, .threshold = 0.5, .prediction = prediction, .n_prediction = 1});
    assert_int_equal(r.n_features, 2);
    assert_int_equal(r.n_prediction, 1);
    assert_string_equal(r.prediction[0].name, "score");
    assert_int_equal(r.prediction[0].result.method, DRIFT_KS);
    assert_true(r.prediction[0].result.threshold == 0.5);
    /* KS asked for a categorical column: chi-squared. */
    assert_int_equal(r.features[1].result.method, DRIFT_CHISQUARE);
    /* The verdict counts features only: x and city. */
    assert_int_equal(r.drifted_features, (size_t)r.features[0].result.drifted + 1);
    drift_report_free(&r);
    r = make(&(drift_report_options){.method = DRIFT_PSI, .threshold = NAN});
    for (size_t i = 0; i < r.n_features; i++)
        assert_int_equal(r.features[i].result.method, DRIFT_PSI);
    assert_true(r.features[0].result.threshold == 0.1);
    drift_report_free(&r);
}

static void test_errors(void **state)
{
    (void)state;
    drift_report r;
    ferry_error err = {0};
    const char *const prediction[] = {"nope"};
    assert_int_equal(
        drift_report_profiles(
            g_ref, g_cur,
            &(drift_report_options){.threshold = NAN, .prediction = prediction, .n_prediction = 1},
            &r, &err),
        FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "'nope'"));
    /* A current profile built on its own, where x holds text: the types differ. */
    profile *other = build("other.csv", "x,city,score\nfoo,a,1\n", &(profile_options){0});
    assert_int_equal(
        drift_report_profiles(g_ref, other, &(drift_report_options){.threshold = NAN}, &r, &err),
        FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "column 'x' is categorical"));
    assert_non_null(strstr(err.message, "other.csv"));
    profile_destroy(other);
}

static void assert_keys(json_t *o, const char *const *keys, size_t n)
{
    assert_int_equal(json_object_size(o), n);
    const char *key;
    json_t *value;
    size_t i = 0;
    json_object_foreach(o, key, value)
    {
        (void)value;
        assert_string_equal(key, keys[i++]);
    }
}

static void test_json(void **state)
{
    (void)state;
    drift_report r = make(&(drift_report_options){.method = DRIFT_AUTO, .threshold = NAN});
    json_t *doc = drift_report_json(&r);
    assert_non_null(doc);
    assert_keys(doc,
                (const char *const[]){"features", "prediction", "drifted_features", "share",
                                      "dataset_drift"},
                5);
    json_t *features = json_object_get(doc, "features");
    assert_int_equal(json_array_size(features), 3);
    assert_int_equal(json_array_size(json_object_get(doc, "prediction")), 0);
    static const char *const keys[] = {"name",    "type",      "method", "statistic",
                                       "p_value", "threshold", "drifted"};
    json_t *x = json_array_get(features, 0), *city = json_array_get(features, 1);
    assert_keys(x, keys, 7);
    assert_string_equal(json_string_value(json_object_get(x, "type")), "numerical");
    assert_string_equal(json_string_value(json_object_get(x, "method")), "ks");
    assert_true(json_real_value(json_object_get(x, "statistic")) == r.features[0].result.statistic);
    assert_true(json_real_value(json_object_get(x, "threshold")) == 0.05);
    assert_true(json_is_null(json_object_get(city, "statistic")));
    assert_true(json_is_null(json_object_get(city, "p_value")));
    assert_true(json_is_true(json_object_get(city, "drifted")));
    assert_int_equal(json_integer_value(json_object_get(doc, "drifted_features")),
                     r.drifted_features);
    assert_true(json_is_boolean(json_object_get(doc, "dataset_drift")));
    json_decref(doc);
    drift_report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_prediction_and_options),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
