/* Unit tests for the numbering string set (src/core/strmap.c): numbers in insertion order, lookups
 * of present and absent keys, keys copied, empty and long keys, and growth through many keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/strmap.h"

static void test_insertion_order(void **state)
{
    (void)state;
    strmap *m = strmap_create();
    assert_non_null(m);
    const char *keys[] = {"b", "a", "", "c"};
    for (size_t i = 0; i < 4; i++) {
        size_t index = 99;
        bool inserted = false;
        assert_int_equal(strmap_intern(m, keys[i], &index, &inserted), FERRY_OK);
        assert_true(inserted);
        assert_int_equal(index, i);
    }
    size_t index = 99;
    bool inserted = true;
    assert_int_equal(strmap_intern(m, "a", &index, &inserted), FERRY_OK);
    assert_false(inserted);
    assert_int_equal(index, 1);
    assert_int_equal(strmap_size(m), 4);
    assert_string_equal(strmap_key(m, 0), "b");
    assert_string_equal(strmap_key(m, 2), "");
    assert_int_equal(strmap_find(m, "c"), 3);
    assert_int_equal(strmap_find(m, ""), 2);
    assert_int_equal(strmap_find(m, "d"), -1);
    assert_int_equal(strmap_find(m, "a "), -1);
    strmap_destroy(m);
    strmap_destroy(NULL);
}

static void test_keys_are_copied(void **state)
{
    (void)state;
    strmap *m = strmap_create();
    char key[16] = "volatile";
    size_t index = 0;
    assert_int_equal(strmap_intern(m, key, &index, NULL), FERRY_OK);
    strcpy(key, "changed");
    assert_string_equal(strmap_key(m, 0), "volatile");
    assert_int_equal(strmap_find(m, "volatile"), 0);
    assert_int_equal(strmap_find(m, "changed"), -1);
    strmap_destroy(m);
}

static void test_growth(void **state)
{
    (void)state;
    strmap *m = strmap_create();
    char key[32];
    for (size_t i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "key-%zu", i * 7919);
        size_t index = 0;
        assert_int_equal(strmap_intern(m, key, &index, NULL), FERRY_OK);
        assert_int_equal(index, i);
    }
    assert_int_equal(strmap_size(m), 20000);
    for (size_t i = 0; i < 20000; i += 37) {
        snprintf(key, sizeof key, "key-%zu", i * 7919);
        assert_int_equal(strmap_find(m, key), (int64_t)i);
        assert_string_equal(strmap_key(m, i), key);
    }
    assert_int_equal(strmap_find(m, "key-1"), -1);
    strmap_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insertion_order),
        cmocka_unit_test(test_keys_are_copied),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
