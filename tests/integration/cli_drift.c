/* `ferry profile` and `ferry drift` as a user runs them (the real binary, CSV files the test
 * writes into a temporary folder, with quoted fields holding commas, quotes and line breaks):
 * profiles on stdout and with --output; drift reports as a table and as JSON (exact keys), with no
 * drift, with two of four features shifted by one standard deviation (exactly those two drift),
 * from a CSV reference and from its profile.json (the same report); the methods, thresholds,
 * prediction columns and the `auto` rules for small references; and every exit code: 0 for a
 * report, 1 for dataset drift under --fail-on-drift, 2 for usage and for files that cannot be
 * read or parsed (named with their line and column). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_support.h"

static char *g_tmp;

/* ---- data ------------------------------------------------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static double uniform(rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return ((double)(r->s >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(rng *r)
{
    return sqrt(-2.0 * log(uniform(r))) * cos(6.283185307179586 * uniform(r));
}

static const char *const cities[] = {"Paris", "\"Nice, FR\"", "\"say \"\"hi\"\"\"",
                                     "\"two\nlines\""};

/* A CSV of n rows: age ~ N(40 + 10·shift, 10) (5% NA), income ~ lognormal, city (quoted values;
 * shifted weights when shift), member true/false, label y. */
static void write_data(const char *name, size_t n, uint64_t seed, int shift)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", g_tmp, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    rng r = {seed * 2654435761u + 88172645463325252u};
    fprintf(f, "age,income,city,member,y\r\n");
    const double weights[2][4] = {{0.4, 0.3, 0.2, 0.1}, {0.1, 0.2, 0.3, 0.4}};
    for (size_t i = 0; i < n; i++) {
        double u = uniform(&r), acc = 0.0;
        size_t c = 0;
        while (c < 3 && u > (acc += weights[shift][c]))
            c++;
        double age = 40.0 + 10.0 * shift + 10.0 * normal(&r);
        if (uniform(&r) < 0.05)
            fprintf(f, "NA,");
        else
            fprintf(f, "%.3f,", age);
        fprintf(f, "%.2f,%s,%s,%d\r\n", exp(10.0 + normal(&r)), cities[c],
                uniform(&r) < 0.5 ? "true" : "False", uniform(&r) < 0.3);
    }
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    g_tmp = ts_mkdtemp();
    write_data("ref.csv", 2000, 1, 0);
    write_data("same.csv", 1500, 2, 0);
    write_data("drifted.csv", 1500, 3, 1);
    write_data("small.csv", 300, 4, 0);
    write_data("small_drifted.csv", 300, 5, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(g_tmp);
    free(g_tmp);
    return 0;
}

/* ---- running ferry ---------------------------------------------------------------------- */

static ts_cmd_result shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static ts_cmd_result shell(const char *fmt, ...)
{
    char prefix[4300];
    snprintf(prefix, sizeof prefix, "cd '%s' &&", g_tmp);
    va_list ap;
    va_start(ap, fmt);
    ts_cmd_result r = ts_cmd_v(g_tmp, prefix, fmt, ap);
    va_end(ap);
    return r;
}

/* Runs `ferry ARGS` in the temporary folder (so files are named as given). */
static ts_cmd_result ferry(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static ts_cmd_result ferry(const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    return shell("'%s' %s", ts_ferry_bin(), args);
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

/* `ferry ARGS` must exit rc with nothing on stdout and every needle on stderr. */
static void refused(int rc, const char *args, const char *const *needles)
{
    ts_cmd_result r = ferry("%s", args);
    if (r.rc != rc)
        fail_msg("ferry %s exited %d, expected %d; stderr: %s", args, r.rc, rc, r.err);
    assert_string_equal(r.out, "");
    for (size_t i = 0; needles[i] != NULL; i++)
        assert_contains(r.err, needles[i]);
    ts_cmd_free(&r);
}

/* `ferry drift ARGS --json`: exit code rc, the report parsed. */
static json_t *drift_json(int rc, const char *args)
{
    ts_cmd_result r = ferry("drift %s --json", args);
    if (r.rc != rc)
        fail_msg("ferry drift %s exited %d, expected %d; stderr: %s", args, r.rc, rc, r.err);
    json_error_t jerr;
    json_t *doc = json_loads(r.out, 0, &jerr);
    if (doc == NULL)
        fail_msg("not JSON (%s): %s", jerr.text, r.out);
    ts_cmd_free(&r);
    return doc;
}

static json_t *feature(json_t *report, const char *name)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(report, "features"), i, f)
    {
        if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0)
            return f;
    }
    fail_msg("no feature %s", name);
    return NULL;
}

static const char *method_of(json_t *report, const char *name)
{
    return json_string_value(json_object_get(feature(report, name), "method"));
}

static bool drifted(json_t *report, const char *name)
{
    return json_is_true(json_object_get(feature(report, name), "drifted"));
}

static void assert_keys(json_t *o, const char *const *keys)
{
    size_t n = 0;
    while (keys[n] != NULL)
        n++;
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

/* ---- ferry profile ---------------------------------------------------------------------- */

static void test_profile(void **state)
{
    (void)state;
    ts_cmd_result r = ferry("profile ref.csv --label y --categorical member --seed 3");
    assert_int_equal(r.rc, 0);
    json_t *doc = json_loads(r.out, 0, NULL);
    assert_non_null(doc);
    assert_int_equal(json_integer_value(json_object_get(doc, "ferry_profile")), 1);
    assert_string_equal(json_string_value(json_object_get(doc, "label")), "y");
    json_t *source = json_object_get(doc, "source"), *sample = json_object_get(doc, "sample");
    assert_string_equal(json_string_value(json_object_get(source, "path")), "ref.csv");
    assert_int_equal(json_integer_value(json_object_get(source, "rows")), 2000);
    assert_int_equal(json_integer_value(json_object_get(sample, "rows")), 2000);
    assert_int_equal(json_integer_value(json_object_get(sample, "seed")), 3);
    json_t *columns = json_object_get(doc, "columns");
    assert_int_equal(json_array_size(columns), 5);
    const char *types[] = {"numerical", "numerical", "categorical", "categorical", "numerical"};
    for (size_t i = 0; i < 5; i++) {
        json_t *c = json_array_get(columns, i);
        assert_string_equal(json_string_value(json_object_get(c, "type")), types[i]);
        assert_string_equal(json_string_value(json_object_get(c, "role")),
                            i == 4 ? "label" : "feature");
        assert_int_equal(json_array_size(json_object_get(c, "sample")), 2000);
    }
    json_t *age = json_array_get(columns, 0);
    double share = json_number_value(json_object_get(age, "missing_share"));
    assert_true(share > 0.03 && share < 0.07);
    assert_true(fabs(json_number_value(json_object_get(age, "mean")) - 40.0) < 1.0);
    /* The quoted values arrive whole. */
    json_t *categories = json_object_get(json_array_get(columns, 2), "categories");
    assert_int_equal(json_array_size(categories), 4);
    const char *want[] = {"Paris", "Nice, FR", "say \"hi\"", "two\nlines"}; /* by frequency */
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(categories, i), "value")), want[i]);
    json_decref(doc);
    ts_cmd_free(&r);

    r = ferry("profile ref.csv --label=y --output ref.json");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "ref.json: 2000 rows, 5 columns (3 numerical, 1 categorical, "
                               "1 boolean), a sample of 2000 rows\n");
    ts_cmd_free(&r);
    r = ferry("profile --help");
    assert_int_equal(r.rc, 0);
    assert_contains(r.out, "usage: ferry profile DATA.csv");
    ts_cmd_free(&r);
}

static void test_profile_errors(void **state)
{
    (void)state;
    char path[4200];
    snprintf(path, sizeof path, "%s/short_row.csv", g_tmp);
    ts_write_file(path, "a,b\n1,2\n3,4\n5\n");
    snprintf(path, sizeof path, "%s/open_quote.csv", g_tmp);
    ts_write_file(path, "a,b\n1,2\n\"3,4\n5,6\n");
    refused(1, "profile absent.csv", (const char *const[]){"absent.csv", NULL});
    refused(1, "profile short_row.csv",
            (const char *const[]){"short_row.csv: line 4", "1 fields", "header has 2", NULL});
    refused(1, "profile open_quote.csv",
            (const char *const[]){"open_quote.csv: line 3", "unterminated", NULL});
    refused(1, "profile ref.csv --label nope", (const char *const[]){"--label", "'nope'", NULL});
    refused(2, "profile", (const char *const[]){"which CSV", NULL});
    refused(2, "profile ref.csv same.csv", (const char *const[]){"'same.csv'", NULL});
    refused(2, "profile ref.csv --bogus", (const char *const[]){"'--bogus'", NULL});
    refused(2, "profile ref.csv --seed -1", (const char *const[]){"--seed", NULL});
    refused(2, "profile ref.csv --categorical a,,b", (const char *const[]){"empty column", NULL});
    refused(2, "profile ref.csv --label", (const char *const[]){"--label needs a value", NULL});
}

/* ---- ferry drift ------------------------------------------------------------------------ */

static void test_no_drift(void **state)
{
    (void)state;
    json_t *doc = drift_json(0, "--reference ref.csv --label y --current same.csv --fail-on-drift");
    assert_keys(doc, (const char *const[]){"features", "prediction", "drifted_features", "share",
                                           "dataset_drift", NULL});
    json_t *features = json_object_get(doc, "features");
    assert_int_equal(json_array_size(features), 4); /* the label is left out */
    for (size_t i = 0; i < 4; i++)
        assert_keys(json_array_get(features, i),
                    (const char *const[]){"name", "type", "method", "statistic", "p_value",
                                          "threshold", "drifted", NULL});
    /* More than 1,000 reference rows: distances. */
    assert_string_equal(method_of(doc, "age"), "wasserstein");
    assert_string_equal(method_of(doc, "city"), "jensenshannon");
    assert_string_equal(method_of(doc, "member"), "jensenshannon");
    assert_string_equal(json_string_value(json_object_get(feature(doc, "member"), "type")),
                        "boolean");
    assert_true(json_is_null(json_object_get(feature(doc, "age"), "p_value")));
    assert_true(json_number_value(json_object_get(feature(doc, "age"), "statistic")) < 0.1);
    assert_int_equal(json_integer_value(json_object_get(doc, "drifted_features")), 0);
    assert_true(json_is_false(json_object_get(doc, "dataset_drift")));
    assert_int_equal(json_array_size(json_object_get(doc, "prediction")), 0);
    json_decref(doc);
}

static void test_drifted(void **state)
{
    (void)state;
    json_t *doc = drift_json(0, "--reference ref.csv --label y --current drifted.csv");
    /* age (shifted by one standard deviation) and city drift; income and member do not. */
    assert_true(drifted(doc, "age") && drifted(doc, "city"));
    assert_false(drifted(doc, "income") || drifted(doc, "member"));
    assert_true(json_number_value(json_object_get(feature(doc, "age"), "statistic")) > 0.8);
    assert_int_equal(json_integer_value(json_object_get(doc, "drifted_features")), 2);
    assert_true(json_number_value(json_object_get(doc, "share")) == 0.5);
    assert_true(json_is_true(json_object_get(doc, "dataset_drift")));
    json_decref(doc);
    /* --fail-on-drift: exit 1, the report still printed. */
    doc = drift_json(1, "--reference ref.csv --label y --current drifted.csv --fail-on-drift");
    assert_true(json_is_true(json_object_get(doc, "dataset_drift")));
    json_decref(doc);
    /* The table. */
    ts_cmd_result r = ferry("drift --reference ref.csv --label y --current drifted.csv");
    assert_int_equal(r.rc, 0);
    assert_contains(r.out, "FEATURE  TYPE         METHOD         STATISTIC");
    assert_contains(r.out, "P-VALUE  THRESHOLD  DRIFTED\n");
    assert_contains(r.out, "\nage      numerical    wasserstein    ");
    assert_contains(r.out, "\n2 of 4 features drifted (share 0.50): dataset drift\n");
    ts_cmd_free(&r);
}

static void test_profile_reference(void **state)
{
    (void)state;
    ts_cmd_result r = ferry("profile ref.csv --label y --output ref_profile.json");
    assert_int_equal(r.rc, 0);
    ts_cmd_free(&r);
    /* The same sample either way, so the same report. */
    ts_cmd_result a = ferry("drift --reference ref.csv --label y --current drifted.csv --json");
    ts_cmd_result b = ferry("drift --reference ref_profile.json --current drifted.csv --json");
    assert_int_equal(a.rc, 0);
    assert_int_equal(b.rc, 0);
    assert_string_equal(a.out, b.out);
    ts_cmd_free(&a);
    ts_cmd_free(&b);
    refused(2, "drift --reference ref_profile.json --label y --current same.csv",
            (const char *const[]){"--label and --categorical apply to a CSV reference", NULL});
}

static void test_methods(void **state)
{
    (void)state;
    json_t *doc = drift_json(0, "--reference ref.csv --label y --current same.csv --method psi "
                                "--threshold 0.25");
    for (size_t i = 0; i < 4; i++) {
        json_t *f = json_array_get(json_object_get(doc, "features"), i);
        assert_string_equal(json_string_value(json_object_get(f, "method")), "psi");
        assert_true(json_number_value(json_object_get(f, "threshold")) == 0.25);
    }
    json_decref(doc);
    /* KS on a categorical column is chi-squared. */
    doc = drift_json(0, "--reference ref.csv --label y --current same.csv --method=ks");
    assert_string_equal(method_of(doc, "age"), "ks");
    assert_string_equal(method_of(doc, "city"), "chisquare");
    assert_true(json_is_number(json_object_get(feature(doc, "age"), "p_value")));
    json_decref(doc);
    /* At most 1,000 reference rows: the tests. */
    doc = drift_json(0, "--reference small.csv --label y --current small_drifted.csv");
    assert_string_equal(method_of(doc, "age"), "ks");
    assert_string_equal(method_of(doc, "income"), "ks");
    assert_string_equal(method_of(doc, "city"), "chisquare");
    assert_true(json_number_value(json_object_get(feature(doc, "age"), "threshold")) == 0.05);
    assert_true(drifted(doc, "age") && drifted(doc, "city"));
    assert_true(json_number_value(json_object_get(feature(doc, "age"), "p_value")) < 1e-10);
    json_decref(doc);
    /* A prediction column: reported apart, not part of the verdict. */
    doc = drift_json(0, "--reference ref.csv --current drifted.csv --prediction y,income");
    assert_int_equal(json_array_size(json_object_get(doc, "features")), 3);
    json_t *prediction = json_object_get(doc, "prediction");
    assert_int_equal(json_array_size(prediction), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(prediction, 0), "name")),
                        "income");
    assert_true(ts_close(json_number_value(json_object_get(doc, "share")), 2.0 / 3.0));
    json_decref(doc);
}

static void test_drift_errors(void **state)
{
    (void)state;
    char path[4200];
    snprintf(path, sizeof path, "%s/bad_row.csv", g_tmp);
    ts_write_file(path, "age,income,city,member\n1,2,Paris,true\n3,4,Paris\n");
    snprintf(path, sizeof path, "%s/no_city.csv", g_tmp);
    ts_write_file(path, "age,income,member\n1,2,true\n");
    snprintf(path, sizeof path, "%s/text_age.csv", g_tmp);
    ts_write_file(path, "age,income,city,member\n1,2,Paris,true\n\"forty\",3,Lyon,false\n");
    snprintf(path, sizeof path, "%s/broken.json", g_tmp);
    ts_write_file(path, "{\"ferry_profile\": 1, \"columns\": 3}");
    const char *ref = "--reference ref.csv --label y";
    char args[512];
    refused(2, "drift --reference absent.csv --current same.csv",
            (const char *const[]){"absent.csv", NULL});
    snprintf(args, sizeof args, "drift %s --current absent.csv", ref);
    refused(2, args, (const char *const[]){"absent.csv", NULL});
    snprintf(args, sizeof args, "drift %s --current bad_row.csv", ref);
    refused(2, args, (const char *const[]){"bad_row.csv: line 3", "3 fields", NULL});
    snprintf(args, sizeof args, "drift %s --current no_city.csv --fail-on-drift", ref);
    refused(2, args, (const char *const[]){"no_city.csv", "no column 'city'", NULL});
    snprintf(args, sizeof args, "drift %s --current text_age.csv", ref);
    refused(2, args, (const char *const[]){"text_age.csv: line 3, column 'age'", "'forty'", NULL});
    refused(2, "drift --reference broken.json --current same.csv",
            (const char *const[]){"broken.json", "not a ferry profile", NULL});
    snprintf(args, sizeof args, "drift %s --current same.csv --method kl", ref);
    refused(2, args, (const char *const[]){"unknown --method 'kl'", NULL});
    snprintf(args, sizeof args, "drift %s --current same.csv --threshold -1", ref);
    refused(2, args, (const char *const[]){"--threshold", NULL});
    snprintf(args, sizeof args, "drift %s --current same.csv --prediction nope", ref);
    refused(2, args, (const char *const[]){"'nope'", NULL});
    refused(2, "drift --current same.csv", (const char *const[]){"--reference", NULL});
    refused(2, "drift --reference ref.csv --current same.csv extra",
            (const char *const[]){"'extra'", NULL});
    ts_cmd_result r = ferry("drift --help");
    assert_int_equal(r.rc, 0);
    assert_contains(r.out, "--fail-on-drift");
    ts_cmd_free(&r);
}

static void test_register_data(void **state)
{
    (void)state;
    char args[8192];
    snprintf(args, sizeof args,
             "register fraud '%s' --create --repo repo --data ref.csv --label y "
             "--categorical member",
             ts_shared("models/bc_xgb/model.json"));
    ts_cmd_result r = shell("mkdir repo && '%s' %s", ts_ferry_bin(), args);
    if (r.rc != 0)
        fail_msg("register exited %d: %s", r.rc, r.err);
    assert_string_equal(r.out, "1\n");
    ts_cmd_free(&r);
    char path[4200];
    snprintf(path, sizeof path, "%s/repo/fraud/1/profile.json", g_tmp);
    json_t *doc = ts_load_json(path);
    assert_string_equal(json_string_value(json_object_get(doc, "label")), "y");
    json_t *member = json_array_get(json_object_get(doc, "columns"), 3);
    assert_string_equal(json_string_value(json_object_get(member, "type")), "categorical");
    json_decref(doc);
    /* The stored profile is a drift reference. */
    json_t *report = drift_json(1, "--reference repo/fraud/1/profile.json --current drifted.csv "
                                   "--fail-on-drift");
    assert_true(drifted(report, "age") && drifted(report, "city"));
    json_decref(report);
    /* A CSV that cannot be profiled registers nothing. */
    snprintf(path, sizeof path, "%s/short.csv", g_tmp);
    ts_write_file(path, "a,b\n1,2\n3\n");
    snprintf(args, sizeof args, "register fraud '%s' --repo repo --data short.csv",
             ts_shared("models/bc_xgb/model.json"));
    refused(1, args, (const char *const[]){"short.csv: line 3", NULL});
    snprintf(path, sizeof path, "%s/repo/fraud/2", g_tmp);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(args, sizeof args, "register fraud '%s' --repo repo --label y",
             ts_shared("models/bc_xgb/model.json"));
    refused(2, args, (const char *const[]){"--label and --categorical describe --data", NULL});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile),           cmocka_unit_test(test_profile_errors),
        cmocka_unit_test(test_no_drift),          cmocka_unit_test(test_drifted),
        cmocka_unit_test(test_profile_reference), cmocka_unit_test(test_methods),
        cmocka_unit_test(test_drift_errors),      cmocka_unit_test(test_register_data),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
