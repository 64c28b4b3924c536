/* Unit tests for the growable byte buffer (src/core/buffer.c): growth keeps the content and the
 * terminator, the maximum size is enforced without touching what is already there, printf of short
 * and long text, reset, and handing the data over with buffer_take. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/buffer.h"

#if defined(__SANITIZE_ADDRESS__)
/* The huge-reservation test expects malloc to fail, not ASan to abort the process. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}
#endif

static void test_init_is_empty(void **state)
{
    (void)state;
    buffer b;
    buffer_init(&b, 100);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.max, 100);
    buffer_free(&b);
    buffer_free(NULL);
}

static void test_growth_keeps_content(void **state)
{
    (void)state;
    buffer b;
    buffer_init(&b, 1 << 20);
    char expected[100000];
    for (size_t i = 0; i < sizeof expected; i++) {
        char c = (char)('a' + i % 26);
        expected[i] = c;
        assert_int_equal(buffer_append(&b, &c, 1), FERRY_OK);
        assert_int_equal(b.len, i + 1);
        assert_true(b.cap > b.len); /* room for the terminator */
        assert_int_equal(b.data[b.len], '\0');
    }
    assert_memory_equal(b.data, expected, sizeof expected);
    /* Growth is geometric, not one allocation per byte. */
    assert_true(b.cap < 2 * sizeof expected + 256);
    buffer_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void test_append_str_and_empty(void **state)
{
    (void)state;
    buffer b;
    buffer_init(&b, 64);
    assert_int_equal(buffer_append_str(&b, ""), FERRY_OK);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    assert_int_equal(buffer_append(&b, NULL, 0), FERRY_OK);
    assert_int_equal(buffer_append_str(&b, "hello"), FERRY_OK);
    assert_int_equal(buffer_append_str(&b, ", world"), FERRY_OK);
    assert_string_equal(b.data, "hello, world");
    assert_int_equal(b.len, 12);
    buffer_free(&b);
}

static void test_max_limit_leaves_content_intact(void **state)
{
    (void)state;
    buffer b;
    buffer_init(&b, 10);
    assert_int_equal(buffer_append_str(&b, "hello"), FERRY_OK);
    assert_int_equal(buffer_append_str(&b, "world!"), FERRY_TOO_LARGE);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "hello");
    /* Exactly up to the maximum is allowed; one byte more is not. */
    assert_int_equal(buffer_append_str(&b, "world"), FERRY_OK);
    assert_string_equal(b.data, "helloworld");
    assert_int_equal(buffer_append(&b, "x", 1), FERRY_TOO_LARGE);
    assert_int_equal(buffer_printf(&b, "%d", 7), FERRY_TOO_LARGE);
    assert_int_equal(buffer_reserve(&b, 1), FERRY_TOO_LARGE);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "helloworld");
    /* The buffer never allocates more than max plus the terminator. */
    assert_true(b.cap <= 11);
    /* A request for more than max (or an overflowing one) fails the same way. */
    assert_int_equal(buffer_append(&b, "", SIZE_MAX), FERRY_TOO_LARGE);
    assert_int_equal(buffer_reserve(&b, SIZE_MAX), FERRY_TOO_LARGE);
    assert_string_equal(b.data, "helloworld");
    buffer_free(&b);
}

static void test_zero_max(void **state)
{
    (void)state;
    buffer b;
    buffer_init(&b, 0);
    assert_int_equal(buffer_append_str(&b, ""), FERRY_OK);
    assert_string_equal(b.data, "");
    assert_int_equal(buffer_append_str(&b, "x"), FERRY_TOO_LARGE);
    assert_string_equal(b.data, "");
    buffer_free(&b);
}

static void test_unlimited_max(void **state)
{
    (void)state;
    /* SIZE_MAX means "no limit of our own": growth must still allocate real memory. */
    buffer b;
    buffer_init(&b, SIZE_MAX);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(buffer_printf(&b, "%04d,", i), FERRY_OK);
    assert_int_equal(b.len, 5000);
    assert_true(b.cap > b.len);
    assert_memory_equal(b.data, "0000,0001,", 10);
    assert_memory_equal(b.data + 4995, "0999,", 6);
    /* A reservation that cannot be satisfied fails instead of wrapping around. */
    assert_int_equal(buffer_reserve(&b, SIZE_MAX / 2 + 10), FERRY_NO_MEMORY);
    assert_int_equal(buffer_reserve(&b, SIZE_MAX - b.len), FERRY_NO_MEMORY);
    assert_int_equal(b.len, 5000);
    assert_memory_equal(b.data + 4995, "0999,", 6);
    buffer_free(&b);
}

static void test_printf_short_and_long(void **state)
{
    (void)state;
    buffer b;
    buffer_init(&b, 1 << 16);
    assert_int_equal(buffer_printf(&b, "%s=%d;", "a", 1), FERRY_OK);
    assert_string_equal(b.data, "a=1;");
    /* Longer than printf's 256-byte stack buffer: formatted straight into the buffer. */
    char long_arg[1000];
    memset(long_arg, 'z', sizeof long_arg - 1);
    long_arg[sizeof long_arg - 1] = '\0';
    assert_int_equal(buffer_printf(&b, "[%s]%d", long_arg, 42), FERRY_OK);
    assert_int_equal(b.len, 4 + 1 + 999 + 1 + 2);
    assert_memory_equal(b.data, "a=1;[zzz", 8);
    assert_string_equal(b.data + b.len - 4, "z]42");
    assert_int_equal(strlen(b.data), b.len);
    /* Exactly 256 characters: the boundary between the two paths. */
    buffer_reset(&b);
    assert_int_equal(buffer_printf(&b, "%.256s", long_arg), FERRY_OK);
    assert_int_equal(b.len, 256);
    assert_int_equal(strlen(b.data), 256);
    buffer_free(&b);
}

static void test_printf_past_max(void **state)
{
    (void)state;
    buffer b;
    buffer_init(&b, 300);
    assert_int_equal(buffer_printf(&b, "%s", "keep"), FERRY_OK);
    char long_arg[400];
    memset(long_arg, 'q', sizeof long_arg - 1);
    long_arg[sizeof long_arg - 1] = '\0';
    assert_int_equal(buffer_printf(&b, "%s", long_arg), FERRY_TOO_LARGE);
    assert_int_equal(buffer_printf(&b, "%.297s", long_arg), FERRY_TOO_LARGE);
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "keep");
    /* Exactly up to the maximum through the long path. */
    assert_int_equal(buffer_printf(&b, "%.296s", long_arg), FERRY_OK);
    assert_int_equal(b.len, 300);
    assert_memory_equal(b.data, "keepqqq", 7);
    assert_int_equal(strlen(b.data), 300);
    buffer_free(&b);
}

static void test_reset_keeps_memory(void **state)
{
    (void)state;
    buffer b;
    buffer_init(&b, 4096);
    assert_int_equal(buffer_append_str(&b, "some text that takes room"), FERRY_OK);
    char *data = b.data;
    size_t cap = b.cap;
    buffer_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.cap, cap);
    assert_int_equal(buffer_append_str(&b, "again"), FERRY_OK);
    assert_ptr_equal(b.data, data);
    assert_string_equal(b.data, "again");
    buffer_free(&b);
    /* Resetting a buffer that never allocated is fine too. */
    buffer_init(&b, 10);
    buffer_reset(&b);
    assert_int_equal(b.len, 0);
}

static void test_take_hands_over(void **state)
{
    (void)state;
    buffer b;
    buffer_init(&b, 1024);
    assert_int_equal(buffer_printf(&b, "%s %d", "answer", 42), FERRY_OK);
    size_t len = 0;
    char *taken = buffer_take(&b, &len);
    assert_non_null(taken);
    assert_int_equal(len, 9);
    assert_string_equal(taken, "answer 42");
    /* The buffer is empty and independent of the taken data. */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.max, 1024);
    assert_int_equal(buffer_append_str(&b, "fresh"), FERRY_OK);
    assert_ptr_not_equal(b.data, taken);
    assert_string_equal(taken, "answer 42");
    assert_string_equal(b.data, "fresh");
    free(taken);
    taken = buffer_take(&b, NULL);
    assert_string_equal(taken, "fresh");
    free(taken);
    /* Taking from an empty buffer gives NULL and a zero length. */
    len = 99;
    assert_null(buffer_take(&b, &len));
    assert_int_equal(len, 0);
    buffer_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_is_empty),
        cmocka_unit_test(test_growth_keeps_content),
        cmocka_unit_test(test_append_str_and_empty),
        cmocka_unit_test(test_max_limit_leaves_content_intact),
        cmocka_unit_test(test_zero_max),
        cmocka_unit_test(test_unlimited_max),
        cmocka_unit_test(test_printf_short_and_long),
        cmocka_unit_test(test_printf_past_max),
        cmocka_unit_test(test_reset_keeps_memory),
        cmocka_unit_test(test_take_hands_over),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
