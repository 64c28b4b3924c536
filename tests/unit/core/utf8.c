/* Unit tests for UTF-8 validation (src/core/utf8.c): ASCII and two- to four-byte characters pass;
 * stray continuation bytes, overlong forms, surrogates, code points above U+10FFFF, bytes C0, C1
 * and F5..FF, and truncated sequences fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/utf8.h"

static bool valid(const char *s)
{
    return utf8_valid(s, strlen(s));
}

static void test_valid(void **state)
{
    (void)state;
    assert_true(valid(""));
    assert_true(valid("plain ascii, \"quoted\"\n"));
    assert_true(valid("caf\xc3\xa9"));      /* é */
    assert_true(valid("\xe2\x82\xac 5"));   /* € */
    assert_true(valid("\xf0\x9f\x98\x80")); /* U+1F600 */
    assert_true(valid("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
    assert_true(valid("\xed\x9f\xbf"));     /* U+D7FF, just below the surrogates */
    assert_true(valid("\xee\x80\x80"));     /* U+E000, just above */
}

static void test_invalid(void **state)
{
    (void)state;
    assert_false(valid("\x80"));             /* a lone continuation byte */
    assert_false(valid("caf\xc3"));          /* truncated */
    assert_false(valid("\xe2\x82"));         /* truncated */
    assert_false(valid("\xc0\xaf"));         /* overlong '/' */
    assert_false(valid("\xc1\xbf"));         /* overlong */
    assert_false(valid("\xe0\x80\xaf"));     /* overlong */
    assert_false(valid("\xf0\x80\x80\xaf")); /* overlong */
    assert_false(valid("\xed\xa0\x80"));     /* U+D800, a surrogate */
    assert_false(valid("\xf4\x90\x80\x80")); /* above U+10FFFF */
    assert_false(valid("\xf5\x80\x80\x80"));
    assert_false(valid("\xff"));
    assert_false(valid("\xc3\x28"));           /* a continuation byte expected */
    assert_false(utf8_valid("ok\xc3\xa9", 3)); /* the length cuts the sequence */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
