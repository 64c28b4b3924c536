/* Unit tests for JSON string escaping (src/core/json_escape.c): quotes, backslashes and control
 * characters escaped, UTF-8 passed through, the output cap never splitting an escape, the length
 * function agreeing with the writer, and jansson reading every escaped byte back unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_escape.h"

/* Escapes src[0..len) into a fresh NUL-terminated string (freed by the caller) and checks that
 * json_escaped_length agrees. */
static char *escape(const char *src, size_t len)
{
    size_t need = json_escaped_length(src, len);
    char *out = malloc(need + 1);
    assert_non_null(out);
    size_t n = json_escape(out, need, src, len);
    assert_int_equal(n, need);
    out[n] = '\0';
    return out;
}

static void expect_escape(const char *src, size_t len, const char *expected)
{
    char *got = escape(src, len);
    assert_string_equal(got, expected);
    free(got);
}

static void test_plain_text_unchanged(void **state)
{
    (void)state;
    expect_escape("", 0, "");
    expect_escape("hello world", 11, "hello world");
    expect_escape("a/b{c}[d]:'e'", 13, "a/b{c}[d]:'e'");
    expect_escape("\x7f", 1, "\x7f"); /* DEL is not a control character in JSON */
}

static void test_quotes_and_backslash(void **state)
{
    (void)state;
    expect_escape("say \"hi\"", 8, "say \\\"hi\\\"");
    expect_escape("C:\\path\\", 8, "C:\\\\path\\\\");
    expect_escape("\\\"", 2, "\\\\\\\"");
}

static void test_control_characters(void **state)
{
    (void)state;
    expect_escape("a\nb\rc\td", 7, "a\\nb\\rc\\td");
    expect_escape("\x01", 1, "\\u0001");
    expect_escape("\x1f", 1, "\\u001f");
    expect_escape("\b\f", 2, "\\u0008\\u000c");
    expect_escape("x\0y", 3, "x\\u0000y"); /* an embedded NUL within len */
}

static void test_utf8_passes_through(void **state)
{
    (void)state;
    const char *s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    expect_escape(s, strlen(s), s);
    /* Bytes >= 0x80 pass as they are, even when they are not valid UTF-8. */
    expect_escape("\xff\x80", 2, "\xff\x80");
}

static void test_cap_never_splits_an_escape(void **state)
{
    (void)state;
    char out[16];
    memset(out, '#', sizeof out);
    assert_int_equal(json_escape(out, 2, "a\"b", 3), 1); /* "a" fits, \" would not */
    assert_int_equal(out[0], 'a');
    assert_int_equal(out[1], '#');
    memset(out, '#', sizeof out);
    assert_int_equal(json_escape(out, 3, "a\"b", 3), 3);
    assert_memory_equal(out, "a\\\"", 3);
    assert_int_equal(out[3], '#');
    memset(out, '#', sizeof out);
    assert_int_equal(json_escape(out, 5, "\x01", 1), 0); /* \u0001 needs 6 */
    assert_int_equal(out[0], '#');
    assert_int_equal(json_escape(out, 6, "\x01", 1), 6);
    assert_memory_equal(out, "\\u0001", 6);
    memset(out, '#', sizeof out);
    assert_int_equal(json_escape(out, 0, "abc", 3), 0);
    assert_int_equal(out[0], '#');
    /* Stops at the first escape that does not fit, even if later characters would. */
    assert_int_equal(json_escape(out, 2, "a\nbc", 4), 1);
}

static void test_length_matches(void **state)
{
    (void)state;
    assert_int_equal(json_escaped_length("", 0), 0);
    assert_int_equal(json_escaped_length("abc", 3), 3);
    assert_int_equal(json_escaped_length("\"", 1), 2);
    assert_int_equal(json_escaped_length("\n", 1), 2);
    assert_int_equal(json_escaped_length("\x02", 1), 6);
    assert_int_equal(json_escaped_length("a\0b", 3), 8);
}

/* Every byte 0x00..0x7f, escaped and quoted, reads back through jansson as itself. */
static void test_jansson_round_trip(void **state)
{
    (void)state;
    char all[128];
    for (int i = 0; i < 128; i++)
        all[i] = (char)i;
    char *escaped = escape(all, sizeof all);
    size_t n = strlen(escaped);
    char *quoted = malloc(n + 3);
    assert_non_null(quoted);
    quoted[0] = '"';
    memcpy(quoted + 1, escaped, n);
    quoted[n + 1] = '"';
    quoted[n + 2] = '\0';
    json_error_t jerr;
    json_t *v = json_loads(quoted, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (v == NULL)
        fail_msg("jansson refused the escaped text: %s", jerr.text);
    assert_true(json_is_string(v));
    assert_int_equal(json_string_length(v), sizeof all);
    assert_memory_equal(json_string_value(v), all, sizeof all);
    json_decref(v);
    free(quoted);
    free(escaped);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_unchanged),
        cmocka_unit_test(test_quotes_and_backslash),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_utf8_passes_through),
        cmocka_unit_test(test_cap_never_splits_an_escape),
        cmocka_unit_test(test_length_matches),
        cmocka_unit_test(test_jansson_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
