/* Unit tests for data profiles (src/monitor/profile*.c): type inference (numerical, boolean,
 * categorical, forced categorical, all missing), missing values, statistics and numpy-style
 * quantiles, category counts with the 1,000 limit and "other", the reservoir sample (order, size,
 * seed), the label; a schema for current data (columns found by name, the label optional, values
 * that do not fit named by line and column); every CSV error naming the file and line;
 * profile.json written and read back exactly, and bad profiles refused naming what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/profile.h"
#include "test_support.h"

static char *g_tmp;

static int setup(void **state)
{
    (void)state;
    g_tmp = ts_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(g_tmp);
    free(g_tmp);
    return 0;
}

static const char *tmp_path(const char *name)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s", g_tmp, name);
    return path;
}

/* Writes text as NAME in the temp folder and profiles it; fails the test on an error. */
static profile *build(const char *name, const char *text, const profile_options *o)
{
    char path[4200];
    snprintf(path, sizeof path, "%s", tmp_path(name));
    ts_write_file(path, text);
    profile_options none = {0};
    profile *p = NULL;
    ferry_error err = {0};
    if (profile_build(path, o ? o : &none, &p, &err) != FERRY_OK)
        fail_msg("profile_build %s: %s", name, err.message);
    return p;
}

/* Profiling text must fail with INVALID_ARG and every needle in the message. */
static void build_fails(const char *text, const profile_options *o, const char *const *needles)
{
    ts_write_file(tmp_path("bad.csv"), text);
    profile_options none = {0};
    profile *p = NULL;
    ferry_error err = {0};
    assert_int_equal(profile_build(tmp_path("bad.csv"), o ? o : &none, &p, &err),
                     FERRY_INVALID_ARG);
    assert_null(p);
    for (size_t i = 0; needles[i] != NULL; i++)
        if (strstr(err.message, needles[i]) == NULL)
            fail_msg("expected \"%s\" in \"%s\"", needles[i], err.message);
}

static const profile_column *column(const profile *p, const char *name)
{
    int64_t i = profile_find_column(p, name);
    if (i < 0)
        fail_msg("no column %s", name);
    return &p->columns[i];
}

/* ---- building --------------------------------------------------------------------------- */

static void test_types_and_missing(void **state)
{
    (void)state;
    profile *p =
        build("types.csv",
              "num,flag,city,code,empty,mixed\n"
              "1.5,true,Paris,1,,1\n"
              "NA,False,\"Nice, FR\",2,NA,x\n"
              "-2e1,TRUE,,3,NaN,2\n"
              " 4 ,false,Paris,4,nan,3\n"
              "NaN,,\"say \"\"hi\"\"\",5,,4\n",
              &(profile_options){.categorical = (const char *const[]){"code"}, .n_categorical = 1});
    assert_int_equal(p->rows, 5);
    assert_int_equal(p->n_columns, 6);
    assert_int_equal(column(p, "num")->type, PROFILE_NUMERICAL);
    assert_int_equal(column(p, "flag")->type, PROFILE_BOOLEAN);
    assert_int_equal(column(p, "city")->type, PROFILE_CATEGORICAL);
    assert_int_equal(column(p, "code")->type, PROFILE_CATEGORICAL); /* forced */
    assert_int_equal(column(p, "empty")->type, PROFILE_NUMERICAL);  /* nothing but missing */
    assert_int_equal(column(p, "mixed")->type, PROFILE_CATEGORICAL);
    const profile_column *num = column(p, "num");
    assert_int_equal(num->count, 3);
    assert_int_equal(num->missing, 2);
    assert_true(num->min == -20.0 && num->max == 4.0);
    assert_true(fabs(num->mean - (1.5 - 20.0 + 4.0) / 3.0) < 1e-12);
    assert_true(isnan(num->numbers[1]) && num->numbers[2] == -20.0 && num->numbers[3] == 4.0);
    const profile_column *flag = column(p, "flag");
    assert_int_equal(flag->missing, 1);
    assert_string_equal(flag->strings[0], "true");
    assert_string_equal(flag->strings[1], "false");
    assert_null(flag->strings[4]);
    assert_int_equal(flag->n_categories, 2);
    assert_string_equal(flag->categories[0].value, "false"); /* 2 each: ties by value */
    const profile_column *city = column(p, "city");
    assert_int_equal(city->missing, 1);
    assert_string_equal(city->strings[1], "Nice, FR");
    assert_string_equal(city->strings[4], "say \"hi\"");
    assert_string_equal(city->categories[0].value, "Paris");
    assert_int_equal(city->categories[0].count, 2);
    assert_true(city->complete);
    assert_int_equal(column(p, "empty")->count, 0);
    assert_int_equal(column(p, "empty")->missing, 5);
    assert_int_equal(p->sample_rows, 5);
    assert_int_equal(strlen(p->sha256), 64);
    assert_null(profile_label(p));
    profile_destroy(p);
}

static void test_statistics(void **state)
{
    (void)state;
    char text[4096] = "x\n";
    for (int i = 10; i >= 1; i--) /* 10..1: quantiles work on the sorted sample */
        snprintf(text + strlen(text), sizeof text - strlen(text), "%d\n", i);
    profile *p = build("stats.csv", text, NULL);
    const profile_column *x = column(p, "x");
    assert_true(x->min == 1.0 && x->max == 10.0 && x->mean == 5.5);
    assert_true(fabs(x->std - sqrt(8.25)) < 1e-12); /* numpy.std(1..10) */
    /* numpy.quantile(1..10, [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]) */
    const double want[] = {1.09, 1.45, 3.25, 5.5, 7.75, 9.55, 9.91};
    for (int i = 0; i < PROFILE_QUANTILES; i++)
        if (fabs(x->quantiles[i] - want[i]) > 1e-12)
            fail_msg("quantile %g: %.17g, numpy %.17g", profile_quantile_levels[i], x->quantiles[i],
                     want[i]);
    assert_true(x->numbers[0] == 10.0 && x->numbers[9] == 1.0); /* data order */
    profile_destroy(p);
}

static void test_many_categories(void **state)
{
    (void)state;
    /* 1,200 categories: c0000 twice, the rest once; the first 1,000 listed, 200 values other. */
    size_t cap = 1300 * 8;
    char *text = malloc(cap);
    assert_non_null(text);
    strcpy(text, "c\nc0000\n");
    for (int i = 0; i < 1200; i++)
        snprintf(text + strlen(text), cap - strlen(text), "c%04d\n", i);
    profile *p = build("many.csv", text, NULL);
    const profile_column *c = column(p, "c");
    assert_int_equal(c->type, PROFILE_CATEGORICAL);
    assert_int_equal(c->n_categories, PROFILE_CATEGORIES_MAX);
    assert_string_equal(c->categories[0].value, "c0000");
    assert_int_equal(c->categories[0].count, 2);
    assert_string_equal(c->categories[1].value, "c0001");
    assert_string_equal(c->categories[999].value, "c0999");
    assert_int_equal(c->other, 200);
    assert_false(c->complete);
    profile_destroy(p);
    free(text);
}

static void test_sample(void **state)
{
    (void)state;
    char *text = malloc(200000);
    assert_non_null(text);
    strcpy(text, "i\n");
    for (int i = 0; i < 20000; i++)
        snprintf(text + strlen(text), 200000 - strlen(text), "%d\n", i);
    profile_options o = {.seed = 7, .sample_max = 100};
    profile *a = build("sample.csv", text, &o), *b = build("sample.csv", text, &o);
    o.seed = 8;
    profile *c = build("sample.csv", text, &o);
    assert_int_equal(a->rows, 20000);
    assert_int_equal(a->sample_rows, 100);
    assert_int_equal(a->seed, 7);
    const double *x = column(a, "i")->numbers;
    for (size_t i = 1; i < 100; i++)
        assert_true(x[i] > x[i - 1]); /* in data order, no repeats */
    assert_true(x[99] > 10000.0);     /* the whole stream, not its head */
    assert_memory_equal(x, column(b, "i")->numbers, 100 * sizeof *x);
    assert_true(memcmp(x, column(c, "i")->numbers, 100 * sizeof *x) != 0);
    /* Statistics cover every row, not just the sample. */
    assert_true(column(a, "i")->max == 19999.0 && column(a, "i")->mean == 9999.5);
    profile_destroy(a);
    profile_destroy(b);
    profile_destroy(c);
    /* The default sample is 10,000 rows. */
    profile *d = build("sample.csv", text, NULL);
    assert_int_equal(d->sample_rows, PROFILE_SAMPLE_MAX);
    profile_destroy(d);
    free(text);
}

static void test_label_and_blank_lines(void **state)
{
    (void)state;
    profile *p =
        build("label.csv", "a,y\r\n1,yes\r\n\r\n2,no\r\n", &(profile_options){.label = "y"});
    assert_int_equal(p->rows, 2);
    assert_true(column(p, "y")->label);
    assert_false(column(p, "a")->label);
    assert_string_equal(profile_label(p), "y");
    profile_destroy(p);
}

static void test_header_only(void **state)
{
    (void)state;
    profile *p = build("header.csv", "a,b\n", NULL);
    assert_int_equal(p->rows, 0);
    assert_int_equal(p->sample_rows, 0);
    assert_int_equal(p->n_columns, 2);
    assert_int_equal(column(p, "a")->count, 0);
    profile_destroy(p);
}

static void test_csv_errors(void **state)
{
    (void)state;
    build_fails("a,b\n1,2\n3\n", NULL,
                (const char *const[]){"bad.csv", "line 3", "1 fields", "header has 2", NULL});
    build_fails("a,b\n1,2\n\"3,4\n5,6\n", NULL,
                (const char *const[]){"bad.csv", "line 3", "unterminated", NULL});
    build_fails("a,b\n1,\"2\"x\n", NULL, (const char *const[]){"line 2", "closing quote", NULL});
    build_fails("a,b,a\n1,2,3\n", NULL, (const char *const[]){"'a'", "twice", NULL});
    build_fails("a,,c\n1,2,3\n", NULL, (const char *const[]){"column 2", "no name", NULL});
    build_fails("", NULL, (const char *const[]){"bad.csv", "no header", NULL});
    build_fails("a\nok\n\xff\xfe\n", NULL,
                (const char *const[]){"line 3", "column 'a'", "UTF-8", NULL});
    build_fails("a,b\n1,2\n", &(profile_options){.label = "y"},
                (const char *const[]){"--label", "'y'", NULL});
    build_fails(
        "a,b\n1,2\n",
        &(profile_options){.categorical = (const char *const[]){"b", "zz"}, .n_categorical = 2},
        (const char *const[]){"--categorical", "'zz'", NULL});
    profile *p = NULL;
    ferry_error err = {0};
    assert_int_equal(profile_build(tmp_path("absent.csv"), &(profile_options){0}, &p, &err),
                     FERRY_NOT_FOUND);
    assert_non_null(strstr(err.message, "absent.csv"));
}

static void test_schema(void **state)
{
    (void)state;
    profile *ref = build("ref.csv", "x,flag,city,y\n1,true,a,0\n2,false,b,1\n",
                         &(profile_options){.label = "y"});
    /* Columns by name in any order, extra ones ignored, the label may be absent. */
    profile *cur = build("cur.csv", "extra,city,flag,x\nq,c,TRUE,3.5\nr,,false,NA\n",
                         &(profile_options){.schema = ref});
    assert_int_equal(cur->n_columns, 3);
    assert_string_equal(cur->columns[0].name, "x");
    assert_int_equal(cur->columns[0].type, PROFILE_NUMERICAL);
    assert_true(cur->columns[0].numbers[0] == 3.5 && isnan(cur->columns[0].numbers[1]));
    assert_string_equal(cur->columns[1].strings[0], "true");
    assert_string_equal(cur->columns[2].strings[0], "c");
    assert_int_equal(profile_find_column(cur, "extra"), -1);
    assert_int_equal(profile_find_column(cur, "y"), -1);
    profile_destroy(cur);
    profile_options o = {.schema = ref};
    build_fails("x,flag\n1,true\n", &o, (const char *const[]){"no column 'city'", NULL});
    build_fails("x,flag,city\n1,true,a\n2,maybe,b\n", &o,
                (const char *const[]){"line 3", "column 'flag'", "'maybe'", "true or false", NULL});
    build_fails("x,flag,city\n1,true,a\nabc,true,b\n", &o,
                (const char *const[]){"line 3", "column 'x'", "'abc' is not a number", NULL});
    build_fails("x,flag,city\n0x10,true,a\n", &o, (const char *const[]){"'0x10'", NULL});
    build_fails("x,flag,city\ninf,true,a\n", &o, (const char *const[]){"'inf'", NULL});
    profile_destroy(ref);
}

/* ---- profile.json ----------------------------------------------------------------------- */

static void assert_same_profile(const profile *a, const profile *b)
{
    assert_string_equal(a->source, b->source);
    assert_string_equal(a->sha256, b->sha256);
    assert_true(a->rows == b->rows && a->seed == b->seed && a->sample_rows == b->sample_rows);
    assert_int_equal(a->n_columns, b->n_columns);
    for (size_t i = 0; i < a->n_columns; i++) {
        const profile_column *x = &a->columns[i], *y = &b->columns[i];
        assert_string_equal(x->name, y->name);
        assert_true(x->type == y->type && x->label == y->label);
        assert_true(x->count == y->count && x->missing == y->missing);
        assert_true(x->n_categories == y->n_categories && x->other == y->other &&
                    x->complete == y->complete);
        for (size_t k = 0; k < x->n_categories; k++) {
            assert_string_equal(x->categories[k].value, y->categories[k].value);
            assert_int_equal(x->categories[k].count, y->categories[k].count);
        }
        if (x->type == PROFILE_NUMERICAL && x->count > 0)
            assert_true(x->min == y->min && x->max == y->max && x->mean == y->mean &&
                        x->std == y->std && x->quantiles[3] == y->quantiles[3]);
        for (size_t r = 0; r < a->sample_rows; r++) {
            if (x->numbers) /* bit for bit, missing as missing */
                assert_true(x->numbers[r] == y->numbers[r] ||
                            (isnan(x->numbers[r]) && isnan(y->numbers[r])));
            else if (x->strings[r] == NULL)
                assert_null(y->strings[r]);
            else
                assert_string_equal(x->strings[r], y->strings[r]);
        }
    }
}

static void test_json_round_trip(void **state)
{
    (void)state;
    profile *p = build("round.csv",
                       "x,flag,city,y\n"
                       "0.1,true,\"Nice, FR\",1\n"
                       "1e-300,,\"line\nbreak\",0\n"
                       "NA,false,\"tab\there \"\"q\"\" \\\\ caf\xc3\xa9\",1\n"
                       "123456789.123456789,TRUE,,0\n"
                       "-0.30000000000000004,false,a,1\n",
                       &(profile_options){.label = "y", .seed = 12345});
    ferry_error err = {0};
    assert_int_equal(profile_write(p, tmp_path("round.json"), &err), FERRY_OK);
    profile *q = NULL;
    if (profile_read(tmp_path("round.json"), &q, &err) != FERRY_OK)
        fail_msg("profile_read: %s", err.message);
    assert_same_profile(p, q);
    /* Short numbers stay short; the file is JSON with the documented head. */
    char *text = ts_read_file(tmp_path("round.json"), NULL);
    assert_non_null(strstr(text, "\"sample\": [0.1, 1e-300, null, 123456789.12345679, "
                                 "-0.30000000000000004]"));
    assert_non_null(strstr(text, "[true, null, false, true, false]"));
    free(text);
    json_t *doc = ts_load_json(tmp_path("round.json"));
    assert_int_equal(json_integer_value(json_object_get(doc, "ferry_profile")), 1);
    assert_string_equal(json_string_value(json_object_get(doc, "label")), "y");
    json_t *col = json_array_get(json_object_get(doc, "columns"), 0);
    assert_string_equal(json_string_value(json_object_get(col, "type")), "numerical");
    assert_true(ts_close(json_number_value(json_object_get(col, "missing_share")), 0.2));
    assert_non_null(json_object_get(json_object_get(col, "quantiles"), "0.99"));
    json_decref(doc);
    profile_destroy(p);
    profile_destroy(q);
}

/* Writes a profile.json whose column text is `column` and checks it is refused naming needle. */
static void read_fails(const char *head, const char *column, const char *needle)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{%s\"source\": {\"path\": \"d.csv\", \"sha256\": \"ab\", \"rows\": 2}, \"label\": "
             "null, \"sample\": {\"rows\": 2, \"seed\": 0}, \"columns\": [%s]}",
             head, column);
    ts_write_file(tmp_path("bad.json"), text);
    profile *p = NULL;
    ferry_error err = {0};
    assert_int_equal(profile_read(tmp_path("bad.json"), &p, &err), FERRY_INVALID_ARG);
    assert_null(p);
    if (strstr(err.message, needle) == NULL || strstr(err.message, "bad.json") == NULL)
        fail_msg("expected \"%s\" and the file in \"%s\"", needle, err.message);
}

static void test_bad_profiles(void **state)
{
    (void)state;
    const char *v1 = "\"ferry_profile\": 1, ";
    const char *good = "{\"name\": \"x\", \"type\": \"numerical\", \"role\": \"feature\", "
                       "\"count\": 2, \"missing\": 0, \"min\": 1, \"max\": 2, \"mean\": 1.5, "
                       "\"std\": 0.5, \"quantiles\": {\"0.01\": 1, \"0.05\": 1, \"0.25\": 1, "
                       "\"0.5\": 1, \"0.75\": 2, \"0.95\": 2, \"0.99\": 2}, \"sample\": [1, 2]}";
    read_fails("", good, "ferry_profile");
    read_fails("\"ferry_profile\": 2, ", good, "ferry_profile");
    char column[1024];
    snprintf(column, sizeof column, "%s, %s", good, good);
    read_fails(v1, column, "appears twice");
    read_fails(v1, "{\"name\": \"x\", \"type\": \"text\"}", "column 'x'");
    read_fails(v1, "{\"type\": \"numerical\"}", "columns[0]");
    read_fails(v1,
               "{\"name\": \"c\", \"type\": \"categorical\", \"role\": \"feature\", \"count\": 2, "
               "\"missing\": 0, \"categories\": [], \"other\": 0, \"complete\": true, "
               "\"sample\": [\"a\"]}",
               "list of 2 values");
    read_fails(v1,
               "{\"name\": \"c\", \"type\": \"boolean\", \"role\": \"feature\", \"count\": 2, "
               "\"missing\": 0, \"categories\": [], \"other\": 0, \"complete\": true, "
               "\"sample\": [true, \"yes\"]}",
               "column 'c'");
    read_fails(v1,
               "{\"name\": \"c\", \"type\": \"numerical\", \"role\": \"label\", \"count\": 0, "
               "\"missing\": 2, \"min\": null, \"max\": null, \"mean\": null, \"std\": null, "
               "\"quantiles\": {}, \"sample\": [null, null]}",
               "quantiles");
    ts_write_file(tmp_path("bad.json"), "{\"ferry_profile\": 1,\n  oops}");
    profile *p = NULL;
    ferry_error err = {0};
    assert_int_equal(profile_read(tmp_path("bad.json"), &p, &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "line 2"));
    assert_int_equal(profile_read(tmp_path("none.json"), &p, &err), FERRY_NOT_FOUND);
}

static void test_parsers(void **state)
{
    (void)state;
    double x = 0;
    bool b = false;
    assert_true(profile_parse_number("  -1.5e3 ", &x) && x == -1500.0);
    assert_true(profile_parse_number("7", &x) && x == 7.0);
    assert_false(profile_parse_number("", &x));
    assert_false(profile_parse_number("1e999", &x));
    assert_false(profile_parse_number("1,5", &x));
    assert_false(profile_parse_number("1e", &x));
    assert_false(profile_parse_number(".", &x));
    assert_false(profile_parse_number("nan", &x));
    assert_true(profile_parse_bool("TrUe", &b) && b);
    assert_true(profile_parse_bool("false", &b) && !b);
    assert_false(profile_parse_bool("1", &b));
    assert_true(profile_is_missing("") && profile_is_missing("NA") && profile_is_missing("NaN") &&
                profile_is_missing("nan"));
    assert_false(profile_is_missing("na") || profile_is_missing(" ") || profile_is_missing("None"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_and_missing),
        cmocka_unit_test(test_statistics),
        cmocka_unit_test(test_many_categories),
        cmocka_unit_test(test_sample),
        cmocka_unit_test(test_label_and_blank_lines),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_bad_profiles),
        cmocka_unit_test(test_parsers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
