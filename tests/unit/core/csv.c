/* Unit tests for the RFC 4180 CSV reader (src/core/csv.c): plain records, quoted fields with
 * embedded commas, line breaks and "" escapes, CRLF record ends, empty fields, a last record
 * without a line break, line numbers, and errors (unterminated quote, text after a closing quote,
 * missing file) that name the file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
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

/* Writes text to a file in the temp folder and opens it. */
static csv_reader *open_text(const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", g_tmp, name);
    ts_write_file(path, text);
    csv_reader *r = NULL;
    ferry_error err = {0};
    if (csv_open(path, &r, &err) != FERRY_OK)
        fail_msg("csv_open %s: %s", path, err.message);
    return r;
}

/* Reads the next record and checks it equals the n expected fields. */
static void expect_record(csv_reader *r, size_t n, const char *const *want)
{
    char **fields = NULL;
    size_t got = 0;
    ferry_error err = {0};
    if (csv_next(r, &fields, &got, &err) != FERRY_OK)
        fail_msg("csv_next: %s", err.message);
    assert_int_equal(got, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(fields[i], want[i]);
}

static void expect_end(csv_reader *r)
{
    char **fields = NULL;
    size_t n = 99;
    ferry_error err = {0};
    assert_int_equal(csv_next(r, &fields, &n, &err), FERRY_OK);
    assert_int_equal(n, 0);
}

/* Reads until the reader fails; returns the message. */
static void expect_error(csv_reader *r, ferry_error *err)
{
    char **fields = NULL;
    size_t n = 0;
    ferry_status st;
    while ((st = csv_next(r, &fields, &n, err)) == FERRY_OK && n > 0)
        ;
    assert_int_equal(st, FERRY_INVALID_ARG);
}

static void test_plain_records(void **state)
{
    (void)state;
    csv_reader *r = open_text("plain.csv", "a,b,c\n1,2,3\n4,5,6\n");
    expect_record(r, 3, (const char *const[]){"a", "b", "c"});
    assert_int_equal(csv_line(r), 1);
    expect_record(r, 3, (const char *const[]){"1", "2", "3"});
    expect_record(r, 3, (const char *const[]){"4", "5", "6"});
    assert_int_equal(csv_line(r), 3);
    expect_end(r);
    expect_end(r); /* stays at the end */
    csv_close(r);
}

static void test_quoted_fields(void **state)
{
    (void)state;
    csv_reader *r = open_text("quoted.csv", "name,notes\n"
                                            "\"Smith, J\",\"said \"\"hi\"\"\"\n"
                                            "\"two\nlines\",\"\"\n"
                                            "x,\"a,\"\"b\"\",\nc\"\n"
                                            "after,multiline\n");
    expect_record(r, 2, (const char *const[]){"name", "notes"});
    expect_record(r, 2, (const char *const[]){"Smith, J", "said \"hi\""});
    expect_record(r, 2, (const char *const[]){"two\nlines", ""});
    assert_int_equal(csv_line(r), 3);
    expect_record(r, 2, (const char *const[]){"x", "a,\"b\",\nc"});
    assert_int_equal(csv_line(r), 5);
    expect_record(r, 2, (const char *const[]){"after", "multiline"});
    assert_int_equal(csv_line(r), 7); /* line numbers count the breaks inside quotes */
    expect_end(r);
    csv_close(r);
}

static void test_crlf_and_empty_fields(void **state)
{
    (void)state;
    csv_reader *r = open_text("crlf.csv", "a,b,c\r\n,,\r\n1,,3\r\n\"q\"\r\n,x,\r\n");
    expect_record(r, 3, (const char *const[]){"a", "b", "c"});
    expect_record(r, 3, (const char *const[]){"", "", ""});
    expect_record(r, 3, (const char *const[]){"1", "", "3"});
    expect_record(r, 1, (const char *const[]){"q"});
    expect_record(r, 3, (const char *const[]){"", "x", ""});
    expect_end(r);
    csv_close(r);
}

static void test_quoted_line_break_kept_in_crlf(void **state)
{
    (void)state;
    csv_reader *r = open_text("crlf-quoted.csv", "\"a\r\nb\",c\r\n");
    expect_record(r, 2, (const char *const[]){"a\r\nb", "c"});
    expect_end(r);
    csv_close(r);
}

static void test_last_record_without_line_break(void **state)
{
    (void)state;
    csv_reader *r = open_text("nolf.csv", "a,b\n1,\"2\"");
    expect_record(r, 2, (const char *const[]){"a", "b"});
    expect_record(r, 2, (const char *const[]){"1", "2"});
    expect_end(r);
    csv_close(r);
    r = open_text("nolf-empty.csv", "a,b\n1,");
    expect_record(r, 2, (const char *const[]){"a", "b"});
    expect_record(r, 2, (const char *const[]){"1", ""});
    expect_end(r);
    csv_close(r);
}

static void test_empty_file(void **state)
{
    (void)state;
    csv_reader *r = open_text("empty.csv", "");
    expect_end(r);
    csv_close(r);
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    csv_reader *r = open_text("unterminated.csv", "a,b\n1,2\n3,\"never\nclosed\n\n");
    ferry_error err = {0};
    expect_error(r, &err);
    /* named by the file and the line the quote opened on */
    if (strstr(err.message, "unterminated.csv: line 3:") == NULL ||
        strstr(err.message, "unterminated") == NULL)
        fail_msg("unexpected message: %s", err.message);
    csv_close(r);
}

static void test_text_after_closing_quote(void **state)
{
    (void)state;
    csv_reader *r = open_text("after-quote.csv", "a,b\n\"x\"y,2\n");
    ferry_error err = {0};
    expect_error(r, &err);
    if (strstr(err.message, "after-quote.csv: line 2:") == NULL ||
        strstr(err.message, "after a closing quote") == NULL)
        fail_msg("unexpected message: %s", err.message);
    csv_close(r);
}

static void test_missing_file(void **state)
{
    (void)state;
    char path[4200];
    snprintf(path, sizeof path, "%s/none.csv", g_tmp);
    csv_reader *r = NULL;
    ferry_error err = {0};
    assert_int_equal(csv_open(path, &r, &err), FERRY_NOT_FOUND);
    assert_null(r);
    assert_non_null(strstr(err.message, "none.csv"));
    csv_close(NULL);
}

static void test_wide_record(void **state)
{
    (void)state;
    /* More fields and longer text than the reader's first allocation. */
    char *text = malloc(200000);
    assert_non_null(text);
    size_t used = 0;
    for (int i = 0; i < 500; i++)
        used += (size_t)sprintf(text + used, "%sfield_%d_%0200d", i ? "," : "", i, i);
    sprintf(text + used, "\n");
    csv_reader *r = open_text("wide.csv", text);
    free(text);
    char **fields = NULL;
    size_t n = 0;
    ferry_error err = {0};
    assert_int_equal(csv_next(r, &fields, &n, &err), FERRY_OK);
    assert_int_equal(n, 500);
    assert_int_equal(strncmp(fields[499], "field_499_", 10), 0);
    assert_int_equal(strlen(fields[499]), strlen("field_499_") + 200);
    expect_end(r);
    csv_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_records),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_crlf_and_empty_fields),
        cmocka_unit_test(test_quoted_line_break_kept_in_crlf),
        cmocka_unit_test(test_last_record_without_line_break),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_text_after_closing_quote),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_wide_record),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
