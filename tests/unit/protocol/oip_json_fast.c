/* Unit tests for the fast JSON request path (src/protocol/oip_json_fast.c): on every request the
 * fast decoder either declines or decodes exactly what the general (jansson) decoder does, and
 * oip_decode_request answers with the general decoder's result or error message. Covers every
 * datatype, nested arrays, booleans, integer ranges (INT8/UINT8 errors name input and element),
 * wrong element types, shape/data count mismatches, malformed and truncated JSON, escaped and
 * duplicate keys, and random byte mutations of valid requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oip_request_compare.h"
#include "protocol/oip_json.h"
#include "protocol/oip_json_fast.h"

enum { FAST = 1, ANY = 0 };

static arena g_general, g_fast;

static int group_setup(void **state)
{
    (void)state;
    arena_init(&g_general, 64u << 20);
    arena_init(&g_fast, 64u << 20);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    arena_free(&g_general);
    arena_free(&g_fast);
    return 0;
}

/* Decodes body with both paths; fails unless the fast one declines or agrees (and takes it when
 * `want_fast`), and unless oip_decode_request gives the general decoder's answer. Returns the
 * general decoder's status; *message receives its error. */
static ferry_status check_len(const char *body, size_t len, int want_fast, char *message)
{
    arena_reset(&g_general);
    arena_reset(&g_fast);
    oip_request general, fast, combined;
    ferry_error gerr = {0}, cerr = {0};
    ferry_status gs = oip_decode_request_general(body, len, &g_general, &general, &gerr);
    ferry_status fs = oip_json_fast_decode(body, len, &g_fast, &fast);
    if (fs != FERRY_OK && fs != FERRY_UNSUPPORTED)
        fail_msg("fast path returned %d on %.*s", (int)fs, (int)len, body);
    if (want_fast && fs != FERRY_OK)
        fail_msg("fast path declined %.*s", (int)len, body);
    if (fs == FERRY_OK) {
        if (gs != FERRY_OK)
            fail_msg("fast path accepted what the general one refuses (%s): %.*s", gerr.message,
                     (int)len, body);
        const char *why = oip_request_difference(&general, &fast);
        if (why != NULL)
            fail_msg("fast and general differ in %s: %.*s", why, (int)len, body);
    }
    arena_reset(&g_fast);
    ferry_status cs = oip_decode_request(body, len, &g_fast, &combined, &cerr);
    if (cs != gs || (gs != FERRY_OK && strcmp(cerr.message, gerr.message) != 0))
        fail_msg("oip_decode_request: %d '%s', general: %d '%s'", (int)cs, cerr.message, (int)gs,
                 gerr.message);
    if (gs == FERRY_OK && oip_request_difference(&general, &combined) != NULL)
        fail_msg("oip_decode_request differs from general on %.*s", (int)len, body);
    if (message != NULL)
        snprintf(message, FERRY_ERROR_MESSAGE_MAX, "%s", gs == FERRY_OK ? "" : gerr.message);
    return gs;
}

static ferry_status check(const char *body, int want_fast, char *message)
{
    return check_len(body, strlen(body), want_fast, message);
}

static void assert_error(const char *body, const char *needle)
{
    char message[FERRY_ERROR_MESSAGE_MAX];
    assert_int_not_equal(check(body, ANY, message), FERRY_OK);
    if (strstr(message, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, message);
}

/* A request of one input with the given datatype, shape and data text. */
static const char *one_input(char *buf, size_t size, const char *dtype, const char *shape,
                             const char *data)
{
    snprintf(buf, size,
             "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"%s\",\"shape\":%s,\"data\":%s}]}", dtype,
             shape, data);
    return buf;
}

static void test_digits_like(void **state)
{
    (void)state;
    char body[8192] = "{\"id\":\"r1\",\"inputs\":[{\"name\":\"input\",\"shape\":[1,64],"
                      "\"datatype\":\"FP32\",\"data\":[";
    for (int i = 0; i < 64; i++)
        snprintf(body + strlen(body), sizeof body - strlen(body), "%s%.9g", i ? "," : "",
                 (double)(i * 0.37f - 3.1f));
    strcat(body, "]}],\"outputs\":[{\"name\":\"probabilities\"}]}");
    assert_int_equal(check(body, FAST, NULL), FERRY_OK);
}

static void test_every_datatype(void **state)
{
    (void)state;
    char b[1024];
    struct {
        const char *dtype, *shape, *data;
    } cases[] = {
        {"BOOL", "[3]", "[true,false,true]"},
        {"UINT8", "[3]", "[0,255,-0]"},
        {"UINT16", "[2]", "[0,65535]"},
        {"UINT32", "[2]", "[0,4294967295]"},
        {"UINT64", "[2]", "[0,9223372036854775807]"},
        {"INT8", "[3]", "[-128,127,0]"},
        {"INT16", "[2]", "[-32768,32767]"},
        {"INT32", "[2]", "[-2147483648,2147483647]"},
        {"INT64", "[2]", "[-9223372036854775808,9223372036854775807]"},
        {"FP32", "[8]", "[1.5,-0.0,-0,1e-45,3.4028235e38,\"NaN\",\"-Infinity\",null]"},
        {"FP32", "[4]", "[16777217,1e-50,0.1,123456789012345678901234567890.0]"},
        {"FP64", "[10]",
         "[1.7976931348623157e308,5e-324,-0.0,-0,\"Infinity\",\"inf\",\"-inf\",\"nan\",null,"
         "9007199254740993]"},
        {"FP64", "[3]", "[0.1e1, 1E-5 ,\t123456789012345678901234567890e-10]"},
        {"FP32", "[0]", "[]"},
        {"INT32", "[]", "[7]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(
            check(one_input(b, sizeof b, cases[i].dtype, cases[i].shape, cases[i].data), FAST,
                  NULL),
            FERRY_OK);
}

static void test_nested_arrays(void **state)
{
    (void)state;
    char b[1024];
    const char *nested[][2] = {
        {"[2,2]", "[[1,2],[3,4]]"},
        {"[2,1,1]", "[[[1]],[[2]]]"},
        {"[2]", "[[],[1,2]]"},
        {"[3]", "[1,[2,[3]]]"},
        {"[2,2]", " [ [ 1 , 2 ] , [ 3 , 4 ] ] "},
        {"[0]", "[[],[[]]]"},
    };
    for (size_t i = 0; i < sizeof nested / sizeof nested[0]; i++)
        assert_int_equal(
            check(one_input(b, sizeof b, "FP32", nested[i][0], nested[i][1]), FAST, NULL),
            FERRY_OK);
    /* Deeper than the fast path follows: the general decoder answers (and refuses past 33). */
    char deep[512] = "", close[128] = "";
    for (int d = 0; d < 40; d++) {
        strcat(deep, "[");
        strcat(close, "]");
    }
    strcat(deep, "1");
    strcat(deep, close);
    assert_error(one_input(b, sizeof b, "FP32", "[1]", deep), "nested too deeply");
}

static void test_many_inputs_and_fields(void **state)
{
    (void)state;
    const char *body =
        "{\n  \"id\" : \"abc\", \"parameters\": {\"timeout\": 500, \"binary_data_output\": true},\n"
        "  \"inputs\": [ {\"name\": \"a\", \"datatype\": \"INT64\", \"shape\": [2], \"data\": [1, "
        "2],"
        " \"parameters\": {\"x\": [1, {\"data\": [9]}]}},\n"
        "   {\"data\": [[true], [false]], \"shape\": [2, 1], \"name\": \"b\", \"datatype\": "
        "\"BOOL\"}],\n"
        "  \"outputs\": [{\"name\": \"y\", \"parameters\": {\"binary_data\": false}}, {\"name\": "
        "\"z\"}]\n}";
    assert_int_equal(check(body, FAST, NULL), FERRY_OK);
    /* data under outputs and at other depths is left to jansson. */
    assert_int_equal(check("{\"data\":[1],\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\","
                           "\"shape\":[1],\"data\":[1]}],\"outputs\":[{\"name\":\"y\",\"data\":[2]}"
                           "]}",
                           FAST, NULL),
                     FERRY_OK);
}

static void test_integer_ranges(void **state)
{
    (void)state;
    char b[512];
    assert_error(one_input(b, sizeof b, "INT8", "[3]", "[1,200,3]"),
                 "input 'x': element 1 (200) is out of range for INT8");
    assert_error(one_input(b, sizeof b, "INT8", "[2]", "[-129,0]"),
                 "input 'x': element 0 (-129) is out of range for INT8");
    assert_error(one_input(b, sizeof b, "UINT8", "[3]", "[0,1,256]"),
                 "input 'x': element 2 (256) is out of range for UINT8");
    assert_error(one_input(b, sizeof b, "UINT8", "[2]", "[-1,0]"), "element 0 (-1)");
    assert_error(one_input(b, sizeof b, "UINT16", "[1]", "[65536]"), "out of range");
    assert_error(one_input(b, sizeof b, "INT32", "[1]", "[2147483648]"), "out of range");
    assert_error(one_input(b, sizeof b, "UINT32", "[1]", "[-1]"), "out of range");
    assert_error(one_input(b, sizeof b, "UINT64", "[1]", "[-1]"), "out of range");
    /* Beyond json_int_t: jansson refuses the whole body. */
    assert_error(one_input(b, sizeof b, "UINT64", "[1]", "[18446744073709551615]"), "too big");
    assert_error(one_input(b, sizeof b, "INT64", "[1]", "[9223372036854775808]"), "too big");
    assert_error(one_input(b, sizeof b, "FP32", "[1]", "[-9223372036854775809]"), "too big");
    assert_error(one_input(b, sizeof b, "FP64", "[1]", "[1e400]"), "overflow");
}

static void test_wrong_element_types(void **state)
{
    (void)state;
    char b[512];
    assert_error(one_input(b, sizeof b, "INT32", "[2]", "[1,1.5]"), "element 1 is not an integer");
    assert_error(one_input(b, sizeof b, "INT32", "[2]", "[1,1e2]"), "element 1 is not an integer");
    assert_error(one_input(b, sizeof b, "INT32", "[2]", "[1,true]"), "element 1 is not a number");
    assert_error(one_input(b, sizeof b, "INT32", "[2]", "[\"1\",1]"), "element 0 is not a number");
    assert_error(one_input(b, sizeof b, "INT8", "[1]", "[null]"), "element 0 is not a number");
    assert_error(one_input(b, sizeof b, "FP32", "[2]", "[1,\"abc\"]"), "element 1 is not a number");
    assert_error(one_input(b, sizeof b, "FP32", "[2]", "[true,1]"), "element 0 is not a number");
    assert_error(one_input(b, sizeof b, "FP64", "[1]", "[\"Nan\"]"), "element 0 is not a number");
    assert_error(one_input(b, sizeof b, "FP64", "[1]", "[{}]"), "element 0 is not a number");
    assert_error(one_input(b, sizeof b, "BOOL", "[2]", "[true,1]"), "element 1 is not a boolean");
    assert_error(one_input(b, sizeof b, "BOOL", "[1]", "[null]"), "element 0 is not a boolean");
    /* Escaped spellings mean the same to jansson; the fast path leaves them to it. */
    assert_int_equal(check(one_input(b, sizeof b, "FP32", "[1]", "[\"N\\u0061N\"]"), ANY, NULL),
                     FERRY_OK);
    /* BYTES, FP16 and a scalar data go to the general decoder. */
    assert_int_equal(check(one_input(b, sizeof b, "BYTES", "[2]", "[\"a\",\"[b]\"]"), ANY, NULL),
                     FERRY_OK);
    assert_error(one_input(b, sizeof b, "FP16", "[1]", "[1]"), "cannot be sent as JSON");
    assert_int_equal(check(one_input(b, sizeof b, "FP32", "[]", "5"), ANY, NULL), FERRY_OK);
    assert_error(one_input(b, sizeof b, "WHAT", "[1]", "[1]"), "unknown datatype");
}

static void test_count_mismatch(void **state)
{
    (void)state;
    char b[512];
    assert_error(one_input(b, sizeof b, "FP32", "[3]", "[1,2]"),
                 "input 'x': shape [3] holds 3 elements but data has 2");
    assert_error(one_input(b, sizeof b, "FP32", "[2,2]", "[[1,2],[3]]"), "holds 4 elements");
    assert_error(one_input(b, sizeof b, "FP32", "[1]", "[1,2]"), "more than the 1 elements");
    assert_error(one_input(b, sizeof b, "INT8", "[1]", "[1,200]"), "more than the 1 elements");
    assert_error(one_input(b, sizeof b, "FP32", "[-1]", "[1]"), "input 'x'");
    assert_error(one_input(b, sizeof b, "FP32", "[4294967296,2]", "[1]"), "input 'x'");
}

static void test_malformed(void **state)
{
    (void)state;
    char b[512];
    const char *bad_data[] = {"[1,]",  "[,1]",    "[1 2]",   "[01]",       "[+1]",    "[.5]",
                              "[1.]",  "[0x1]",   "[NaN]",   "[Infinity]", "[-]",     "[1e]",
                              "[tru]", "[1]]",    "[[1]",    "[1,,2]",     "[truex]", "[1true]",
                              "[nul]", "[\"NaN]", "[1\x01]", "[1\xc3\xa9]"};
    for (size_t i = 0; i < sizeof bad_data / sizeof bad_data[0]; i++) {
        char message[FERRY_ERROR_MESSAGE_MAX];
        one_input(b, sizeof b, "FP32", "[1]", bad_data[i]);
        if (check(b, ANY, message) == FERRY_OK)
            fail_msg("accepted %s", b);
    }
    assert_error("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1],"
                 "\"data\":[2]}]}",
                 "duplicate");
    assert_error("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}],"
                 "\"inputs\":[]}",
                 "duplicate");
    /* An escaped key is the same key to jansson. */
    assert_error("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1],"
                 "\"d\\u0061ta\":[2]}]}",
                 "duplicate");
    assert_int_equal(check("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],"
                           "\"d\\u0061ta\":[2]}]}",
                           ANY, NULL),
                     FERRY_OK);
    assert_error("{\"inputs\":{\"a\":{\"data\":[1]}}}", "'inputs' must be a non-empty array");
    assert_error("[{\"inputs\":[{\"data\":[1]}]}]", "must be a JSON object");
    assert_error("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1],"
                 "\"parameters\":{\"binary_data_size\":4}}]}",
                 "both");
    assert_error(
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]} x",
        "malformed JSON");
    assert_error(
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[\"]\"]}"
        "]}",
        "is not a number");
}

static void test_truncated(void **state)
{
    (void)state;
    const char *body = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,2],"
                       "\"data\":[[1.5,-2e3],[3,\"NaN\"]]},{\"name\":\"y\",\"datatype\":\"INT8\","
                       "\"shape\":[2],\"data\":[1,-2]}],\"id\":\"q\"}";
    size_t len = strlen(body);
    assert_int_equal(check_len(body, len, FAST, NULL), FERRY_OK);
    for (size_t cut = 0; cut < len; cut++)
        assert_int_not_equal(check_len(body, cut, ANY, NULL), FERRY_OK);
}

/* Random byte changes of valid requests: whatever the fast path accepts, the general one decodes
 * the same. */
static void test_mutations(void **state)
{
    (void)state;
    const char *seeds[] = {
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,2],\"data\":[[1.5,-2e3],"
        "[3,\"NaN\"]]},{\"name\":\"y\",\"datatype\":\"INT8\",\"shape\":[2],\"data\":[1,-2]}],"
        "\"id\":\"q\"}",
        "{\"inputs\":[{\"name\":\"b\",\"datatype\":\"BOOL\",\"shape\":[3],\"data\":[true,false,"
        "true]},{\"name\":\"u\",\"datatype\":\"UINT64\",\"shape\":[1],\"data\":[12]}],"
        "\"outputs\":[{\"name\":\"o\"}]}",
        "{\"inputs\":[{\"name\":\"d\",\"datatype\":\"FP64\",\"shape\":[3],\"data\":[0.1,-0,"
        "1e-310]}],\"parameters\":{\"timeout\":9}}",
    };
    const char alphabet[] = "[]{},:\"\\.-+eE0123456789 tfnu";
    uint64_t x = 0x2545f4914f6cdd1du;
    char buf[512];
    for (int i = 0; i < 30000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const char *seed = seeds[x % 3];
        size_t len = strlen(seed);
        memcpy(buf, seed, len + 1);
        for (int m = 0; m <= (int)(x >> 60) % 3; m++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[x % len] = alphabet[(x >> 32) % (sizeof alphabet - 1)];
        }
        (void)check_len(buf, len, ANY, NULL);
    }
}

/* A declined attempt leaves the arena where it was. */
static void test_decline_rewinds(void **state)
{
    (void)state;
    char b[512];
    arena_reset(&g_fast);
    void *before = arena_alloc(&g_fast, 8);
    size_t used = g_fast.used_total;
    oip_request req;
    assert_int_equal(oip_json_fast_decode(one_input(b, sizeof b, "INT8", "[1]", "[300]"), strlen(b),
                                          &g_fast, &req),
                     FERRY_UNSUPPORTED);
    assert_int_equal(g_fast.used_total, used);
    assert_null(req.inputs);
    assert_non_null(before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digits_like),     cmocka_unit_test(test_every_datatype),
        cmocka_unit_test(test_nested_arrays),   cmocka_unit_test(test_many_inputs_and_fields),
        cmocka_unit_test(test_integer_ranges),  cmocka_unit_test(test_wrong_element_types),
        cmocka_unit_test(test_count_mismatch),  cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_truncated),       cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_decline_rewinds),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
