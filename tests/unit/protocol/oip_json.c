/* Unit tests for the OIP v2 JSON codec (src/protocol/oip_json.c). Decoding: flat and nested data,
 * every datatype JSON can carry with its range and type errors, BYTES layout, non-finite floats,
 * shape/data mismatches, malformed and truncated JSON, missing and duplicated fields, binary data
 * and the outputs list. Encoding: response fields, the id, shortest round-tripping floats, NaN and
 * infinities, escaping, the error body and the buffer limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/oip_json.h"

static arena g_arena;

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static int group_setup(void **state)
{
    (void)state;
    arena_init(&g_arena, 64u << 20);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    arena_free(&g_arena);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    arena_reset(&g_arena);
    return 0;
}

/* A request with one input "x" (datatype, shape and data given as JSON text); static buffer. */
static const char *one_input(const char *datatype, const char *shape, const char *data)
{
    static char body[8192];
    snprintf(body, sizeof body,
             "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"%s\",\"shape\":%s,\"data\":%s}]}",
             datatype, shape, data);
    return body;
}

static oip_request decode_ok(const char *body)
{
    oip_request req;
    ferry_error err = {0};
    ferry_status st = oip_decode_request(body, strlen(body), &g_arena, &req, &err);
    if (st != FERRY_OK)
        fail_msg("decoding %s: %s", body, err.message);
    return req;
}

static void decode_fails(const char *body, ferry_status code, ferry_error *err)
{
    oip_request req;
    ferry_status st = oip_decode_request(body, strlen(body), &g_arena, &req, err);
    if (st != code)
        fail_msg("decoding %s: expected %s, got %s (%s)", body, ferry_status_name(code),
                 ferry_status_name(st), st == FERRY_OK ? "" : err->message);
    assert_int_equal(err->code, code);
}

/* ========================================================================================== */
/* Decoding                                                                                     */
/* ========================================================================================== */

static void test_decode_flat(void **state)
{
    (void)state;
    oip_request req = decode_ok("{\"id\":\"req-7\",\"inputs\":[{\"name\":\"input\",\"datatype\":"
                                "\"FP32\",\"shape\":[2,3],\"data\":[1,2.5,-3,4e2,0,1e-3]}]}");
    assert_string_equal(req.id, "req-7");
    assert_int_equal(req.n_inputs, 1);
    assert_int_equal(req.n_outputs, 0);
    const ferry_tensor *t = &req.inputs[0];
    assert_string_equal(t->name, "input");
    assert_int_equal(t->dtype, FERRY_DTYPE_FP32);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], 2);
    assert_int_equal(t->shape[1], 3);
    assert_int_equal(t->nbytes, 6 * sizeof(float));
    assert_false(t->owned);
    const float want[] = {1, 2.5f, -3, 400, 0, 1e-3f};
    assert_memory_equal(t->data, want, sizeof want);
    oip_request_free(&req);
    oip_request_free(NULL);
}

static void test_decode_nested(void **state)
{
    (void)state;
    oip_request req = decode_ok(one_input("INT32", "[2,2,2]", "[[[1,2],[3,4]],[[5,6],[7,8]]]"));
    const int32_t want[] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(req.inputs[0].nbytes, sizeof want);
    assert_memory_equal(req.inputs[0].data, want, sizeof want);
    assert_null(req.id);
    /* Nested and flat give the same bytes. */
    oip_request flat = decode_ok(one_input("INT32", "[2,2,2]", "[1,2,3,4,5,6,7,8]"));
    assert_memory_equal(flat.inputs[0].data, want, sizeof want);
}

static void test_decode_several_inputs(void **state)
{
    (void)state;
    oip_request req = decode_ok(
        "{\"inputs\":[{\"name\":\"a\",\"datatype\":\"FP64\",\"shape\":[1],\"data\":[0.1]},"
        "{\"name\":\"b\",\"datatype\":\"BOOL\",\"shape\":[2],\"data\":[true,false],"
        "\"parameters\":{\"content_type\":\"x\"}}],\"parameters\":{}}");
    assert_int_equal(req.n_inputs, 2);
    assert_string_equal(req.inputs[0].name, "a");
    assert_true(((double *)req.inputs[0].data)[0] == 0.1);
    assert_string_equal(req.inputs[1].name, "b");
    assert_int_equal(((uint8_t *)req.inputs[1].data)[0], 1);
    assert_int_equal(((uint8_t *)req.inputs[1].data)[1], 0);
}

static void test_decode_every_integer_dtype(void **state)
{
    (void)state;
    oip_request r;
    r = decode_ok(one_input("UINT8", "[3]", "[0,128,255]"));
    assert_memory_equal(r.inputs[0].data, ((uint8_t[]){0, 128, 255}), 3);
    assert_int_equal(r.inputs[0].nbytes, 3);
    r = decode_ok(one_input("UINT16", "[2]", "[0,65535]"));
    assert_memory_equal(r.inputs[0].data, ((uint16_t[]){0, 65535}), 4);
    r = decode_ok(one_input("UINT32", "[2]", "[0,4294967295]"));
    assert_memory_equal(r.inputs[0].data, ((uint32_t[]){0, UINT32_MAX}), 8);
    r = decode_ok(one_input("UINT64", "[2]", "[0,9223372036854775807]"));
    assert_memory_equal(r.inputs[0].data, ((uint64_t[]){0, INT64_MAX}), 16);
    r = decode_ok(one_input("INT8", "[3]", "[-128,0,127]"));
    assert_memory_equal(r.inputs[0].data, ((int8_t[]){-128, 0, 127}), 3);
    r = decode_ok(one_input("INT16", "[2]", "[-32768,32767]"));
    assert_memory_equal(r.inputs[0].data, ((int16_t[]){INT16_MIN, INT16_MAX}), 4);
    r = decode_ok(one_input("INT32", "[2]", "[-2147483648,2147483647]"));
    assert_memory_equal(r.inputs[0].data, ((int32_t[]){INT32_MIN, INT32_MAX}), 8);
    r = decode_ok(one_input("INT64", "[2]", "[-9223372036854775808,9223372036854775807]"));
    assert_memory_equal(r.inputs[0].data, ((int64_t[]){INT64_MIN, INT64_MAX}), 16);
    assert_int_equal(r.inputs[0].dtype, FERRY_DTYPE_INT64);
}

static void test_decode_floats(void **state)
{
    (void)state;
    oip_request r = decode_ok(one_input("FP32", "[4]", "[0.1,-1.5e-7,3.4028234e38,1]"));
    const float *f = r.inputs[0].data;
    assert_true(f[0] == 0.1f && f[1] == -1.5e-7f && f[2] == 3.4028234e38f && f[3] == 1.0f);
    r = decode_ok(one_input("FP64", "[3]", "[0.1,1e300,-5]"));
    const double *d = r.inputs[0].data;
    assert_true(d[0] == 0.1 && d[1] == 1e300 && d[2] == -5.0);
    assert_int_equal(r.inputs[0].nbytes, 24);
}

static void test_decode_non_finite_floats(void **state)
{
    (void)state;
    const char *data = "[null,\"NaN\",\"Infinity\",\"-Infinity\",\"nan\",\"inf\",\"-inf\"]";
    oip_request r = decode_ok(one_input("FP32", "[7]", data));
    const float *f = r.inputs[0].data;
    assert_true(isnan(f[0]) && isnan(f[1]) && isnan(f[4]));
    assert_true(isinf(f[2]) && f[2] > 0 && isinf(f[5]) && f[5] > 0);
    assert_true(isinf(f[3]) && f[3] < 0 && isinf(f[6]) && f[6] < 0);
    r = decode_ok(one_input("FP64", "[4]", "[null,\"NaN\",\"Infinity\",\"-Infinity\"]"));
    const double *d = r.inputs[0].data;
    assert_true(isnan(d[0]) && isnan(d[1]) && d[2] == INFINITY && d[3] == -INFINITY);
    /* Other strings are not numbers. */
    ferry_error err;
    const char *bad[] = {"[\"1.5\"]", "[\"infinity\"]", "[\"\"]", "[true]", "[{}]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        decode_fails(one_input("FP32", "[1]", bad[i]), FERRY_INVALID_ARG, &err);
        assert_contains(err.message, "input 'x': element 0 is not a number");
    }
}

/* Expects an integer datatype to refuse `data` (shape [2], the fault at element 1). */
static void expect_int_refused(const char *datatype, const char *data, const char *why)
{
    ferry_error err;
    decode_fails(one_input(datatype, "[2]", data), FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "input 'x'");
    assert_contains(err.message, "element 1");
    assert_contains(err.message, why);
}

static void test_decode_integer_range_errors(void **state)
{
    (void)state;
    expect_int_refused("UINT8", "[0,300]", "(300) is out of range for UINT8");
    expect_int_refused("UINT8", "[0,256]", "(256) is out of range for UINT8");
    expect_int_refused("UINT8", "[0,-1]", "(-1) is out of range for UINT8");
    expect_int_refused("INT8", "[0,-129]", "(-129) is out of range for INT8");
    expect_int_refused("INT8", "[0,128]", "(128) is out of range for INT8");
    expect_int_refused("UINT16", "[0,65536]", "out of range for UINT16");
    expect_int_refused("INT16", "[0,-32769]", "out of range for INT16");
    expect_int_refused("INT16", "[0,32768]", "out of range for INT16");
    expect_int_refused("UINT32", "[0,4294967296]", "out of range for UINT32");
    expect_int_refused("UINT32", "[0,-1]", "out of range for UINT32");
    expect_int_refused("INT32", "[0,2147483648]", "out of range for INT32");
    expect_int_refused("INT32", "[0,-2147483649]", "out of range for INT32");
    expect_int_refused("UINT64", "[0,-1]", "out of range for UINT64");
}

static void test_decode_non_integers_for_ints(void **state)
{
    (void)state;
    expect_int_refused("INT32", "[1,1.5]", "is not an integer");
    expect_int_refused("INT32", "[1,1.0]", "is not an integer");
    expect_int_refused("UINT8", "[1,2e0]", "is not an integer");
    expect_int_refused("INT64", "[1,\"3\"]", "is not a number");
    expect_int_refused("INT8", "[1,true]", "is not a number");
    expect_int_refused("INT16", "[1,null]", "is not a number");
    expect_int_refused("UINT16", "[1,\"NaN\"]", "is not a number");
}

static void test_decode_bool(void **state)
{
    (void)state;
    oip_request r = decode_ok(one_input("BOOL", "[2,2]", "[[true,false],[false,true]]"));
    assert_memory_equal(r.inputs[0].data, ((uint8_t[]){1, 0, 0, 1}), 4);
    assert_int_equal(r.inputs[0].nbytes, 4);
    expect_int_refused("BOOL", "[true,1]", "is not a boolean");
    expect_int_refused("BOOL", "[true,\"true\"]", "is not a boolean");
    expect_int_refused("BOOL", "[true,null]", "is not a boolean");
}

static void test_decode_bytes(void **state)
{
    (void)state;
    oip_request r = decode_ok(one_input("BYTES", "[3]", "[\"ab\",\"\",\"caf\\u00e9\"]"));
    const ferry_tensor *t = &r.inputs[0];
    assert_int_equal(t->dtype, FERRY_DTYPE_BYTES);
    /* Each element: a 4-byte little-endian length, then its bytes (UTF-8 here). */
    const unsigned char want[] = {2, 0, 0, 0, 'a', 'b', 0,   0,    0,   0,
                                  5, 0, 0, 0, 'c', 'a', 'f', 0xc3, 0xa9};
    assert_int_equal(t->nbytes, sizeof want);
    assert_memory_equal(t->data, want, sizeof want);
    /* Nested. */
    r = decode_ok(one_input("BYTES", "[2,1]", "[[\"x\"],[\"yz\"]]"));
    const unsigned char want2[] = {1, 0, 0, 0, 'x', 2, 0, 0, 0, 'y', 'z'};
    assert_int_equal(r.inputs[0].nbytes, sizeof want2);
    assert_memory_equal(r.inputs[0].data, want2, sizeof want2);
    /* A longer string gets its full length in the prefix. */
    char data[700] = "[\"";
    memset(data + 2, 'q', 600);
    strcpy(data + 602, "\"]");
    r = decode_ok(one_input("BYTES", "[1]", data));
    uint32_t len;
    memcpy(&len, r.inputs[0].data, 4);
    assert_int_equal(len, 600);
    assert_int_equal(r.inputs[0].nbytes, 604);
    /* Non-strings are refused, wherever they are. */
    ferry_error err;
    decode_fails(one_input("BYTES", "[2]", "[\"a\",5]"), FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "input 'x': element 1 is not a string");
    decode_fails(one_input("BYTES", "[2]", "[null,\"a\"]"), FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "element 0");
    /* Count mismatches are caught for BYTES as for the rest. */
    decode_fails(one_input("BYTES", "[2]", "[\"a\",\"b\",\"c\"]"), FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "more than the 2 elements");
    decode_fails(one_input("BYTES", "[3]", "[\"a\",\"b\"]"), FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "data has 2");
}

static void test_decode_fp16_bf16_refused(void **state)
{
    (void)state;
    ferry_error err;
    decode_fails(one_input("FP16", "[2]", "[1,2]"), FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "input 'x'");
    assert_contains(err.message, "FP16");
    assert_contains(err.message, "binary");
    decode_fails(one_input("BF16", "[2]", "[1,2]"), FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "BF16");
}

static void test_decode_shape_data_mismatch(void **state)
{
    (void)state;
    ferry_error err;
    decode_fails(one_input("FP32", "[1,3]", "[1,2]"), FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "input 'x'");
    assert_contains(err.message, "[1,3]");
    assert_contains(err.message, "holds 3 elements but data has 2");
    decode_fails(one_input("FP32", "[2]", "[1,2,3]"), FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "input 'x'");
    assert_contains(err.message, "more than the 2 elements");
    decode_fails(one_input("FP32", "[2,2]", "[[1,2],[3,4],[5,6]]"), FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "more than the 4 elements");
    decode_fails(one_input("INT32", "[0]", "[1]"), FERRY_INVALID_ARG, &err);
    decode_fails(one_input("INT32", "[1]", "[]"), FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "data has 0");
    /* Empty tensors and scalars are fine. */
    oip_request r = decode_ok(one_input("FP32", "[0,30]", "[]"));
    assert_int_equal(r.inputs[0].nbytes, 0);
    assert_int_equal(r.inputs[0].shape[1], 30);
    r = decode_ok(one_input("FP32", "[]", "[7]"));
    assert_int_equal(r.inputs[0].ndim, 0);
    assert_true(((float *)r.inputs[0].data)[0] == 7.0f);
    r = decode_ok(one_input("INT64", "[]", "42"));
    assert_int_equal(((int64_t *)r.inputs[0].data)[0], 42);
}

static void test_decode_bad_shapes(void **state)
{
    (void)state;
    ferry_error err;
    const char *bad[] = {"[-1,30]", "[1.5]", "[\"2\"]", "[null]", "[2.0]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        decode_fails(one_input("FP32", bad[i], "[1,2]"), FERRY_INVALID_ARG, &err);
        assert_contains(err.message, "input 'x'");
        assert_contains(err.message, "shape dimension 0");
    }
    decode_fails(one_input("FP32", "30", "[1]"), FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "'shape' must be an array");
    decode_fails(one_input("FP32", "[1,1,1,1,1,1,1,1,1]", "[1]"), FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "9 dimensions");
    /* More elements than anything sensible: refused before any allocation. */
    decode_fails(one_input("FP32", "[4294967296,4294967296]", "[1]"), FERRY_TOO_LARGE, &err);
    assert_contains(err.message, "input 'x'");
    decode_fails(one_input("FP32", "[9223372036854775807,9223372036854775807]", "[1]"),
                 FERRY_TOO_LARGE, &err);
}

static void test_decode_data_beyond_arena(void **state)
{
    (void)state;
    arena small;
    arena_init(&small, 1 << 20);
    const char *body = one_input("FP64", "[100000000]", "[1]");
    oip_request req;
    ferry_error err;
    assert_int_equal(oip_decode_request(body, strlen(body), &small, &req, &err), FERRY_TOO_LARGE);
    assert_contains(err.message, "input 'x'");
    assert_contains(err.message, "request limit");
    arena_free(&small);
}

static void test_decode_document_beyond_arena(void **state)
{
    (void)state;
    /* The parsed document itself does not fit: too large, not "malformed". */
    size_t n = 20000;
    char *body = malloc(n * 2 + 200);
    assert_non_null(body);
    strcpy(body, "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[20000],\"data\":[");
    size_t len = strlen(body);
    for (size_t i = 0; i < n; i++) {
        body[len++] = i ? ',' : ' ';
        body[len++] = '1';
    }
    strcpy(body + len, "]}]}");
    arena small;
    arena_init(&small, 64 * 1024);
    oip_request req;
    ferry_error err;
    assert_int_equal(oip_decode_request(body, strlen(body), &small, &req, &err), FERRY_TOO_LARGE);
    /* The same request fits a larger arena. */
    arena_free(&small);
    arena_init(&small, 16u << 20);
    assert_int_equal(oip_decode_request(body, strlen(body), &small, &req, &err), FERRY_OK);
    assert_int_equal(req.inputs[0].nbytes, n * sizeof(float));
    arena_free(&small);
    free(body);
}

static void test_decode_malformed_json(void **state)
{
    (void)state;
    ferry_error err;
    decode_fails("{\"inputs\": [", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "malformed JSON at line 1 column");
    decode_fails("{\n  \"inputs\": [1,,]\n}", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "line 2 column");
    decode_fails("", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "malformed JSON");
    decode_fails("not json", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "line 1");
    decode_fails("{\"inputs\":[]} trailing", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "malformed JSON");
    /* A good body cut short at every length is refused, never crashes. */
    const char *good = one_input("FP32", "[1,2]", "[1.5,2.5]");
    char copy[512];
    snprintf(copy, sizeof copy, "%s", good);
    size_t full = strlen(copy);
    for (size_t cut = 0; cut < full; cut++) {
        oip_request req;
        arena_reset(&g_arena);
        ferry_status st = oip_decode_request(copy, cut, &g_arena, &req, &err);
        if (st != FERRY_INVALID_ARG)
            fail_msg("truncated at %zu: got %s", cut, ferry_status_name(st));
        assert_contains(err.message, "malformed JSON at line 1 column");
    }
    /* The length is what counts, not a terminator: bytes after it are never read. */
    strcat(copy, "garbage");
    oip_request req;
    assert_int_equal(oip_decode_request(copy, full, &g_arena, &req, &err), FERRY_OK);
}

static void test_decode_not_an_object(void **state)
{
    (void)state;
    ferry_error err;
    decode_fails("[]", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "must be a JSON object");
    decode_fails("{}", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "'inputs' must be a non-empty array");
    decode_fails("{\"inputs\":[]}", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "'inputs'");
    decode_fails("{\"inputs\":{}}", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "'inputs'");
    decode_fails("{\"inputs\":[5]}", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "inputs[0] must be an object");
    decode_fails("{\"id\":5,\"inputs\":[]}", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "'id' must be a string");
    decode_fails("{\"parameters\":[],\"inputs\":[]}", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "'parameters' must be an object");
}

static void test_decode_missing_fields(void **state)
{
    (void)state;
    ferry_error err;
    decode_fails("{\"inputs\":[{\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]}",
                 FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "inputs[0]: 'name' must be a string");
    decode_fails("{\"inputs\":[{\"name\":7,\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]}",
                 FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "'name'");
    decode_fails("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"data\":[1]}]}", FERRY_INVALID_ARG,
                 &err);
    assert_contains(err.message, "input 'x': 'datatype' must be a string");
    decode_fails("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"data\":[1]}]}",
                 FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "input 'x': 'shape' must be an array");
    decode_fails("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1]}]}",
                 FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "input 'x' has no 'data'");
    /* The second input's fault names the second input. */
    decode_fails("{\"inputs\":[{\"name\":\"a\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]},"
                 "{\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]}",
                 FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "inputs[1]");
}

static void test_decode_unknown_datatype(void **state)
{
    (void)state;
    ferry_error err;
    const char *bad[] = {"FLOAT32", "fp32", "", "STRING"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        decode_fails(one_input(bad[i], "[1]", "[1]"), FERRY_INVALID_ARG, &err);
        assert_contains(err.message, "input 'x'");
        char quoted[64];
        snprintf(quoted, sizeof quoted, "unknown datatype '%s'", bad[i]);
        assert_contains(err.message, quoted);
    }
    decode_fails("{\"inputs\":[{\"name\":\"x\",\"datatype\":5,\"shape\":[1],\"data\":[1]}]}",
                 FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "'datatype' must be a string");
}

static void test_decode_duplicate_keys(void **state)
{
    (void)state;
    ferry_error err;
    decode_fails("{\"inputs\":[],\"inputs\":[]}", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "duplicate");
    decode_fails("{\"inputs\":[{\"name\":\"x\",\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[1],"
                 "\"data\":[1]}]}",
                 FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "duplicate");
    assert_contains(err.message, "line 1 column");
}

/* Decodes json followed by n bytes of blobs. */
static ferry_status decode_binary(const char *json, const void *blobs, size_t n, oip_request *req,
                                  ferry_error *err)
{
    static char body[4096];
    size_t json_len = strlen(json);
    memcpy(body, json, json_len);
    memcpy(body + json_len, blobs, n);
    return oip_decode_request_binary(body, json_len, json_len + n, &g_arena, req, err);
}

static void test_decode_binary_data(void **state)
{
    (void)state;
    ferry_error err;
    oip_request req;
    float f[2] = {1.5f, -2.0f};
    unsigned char blobs[8 + 4 + 2 + 4 + 1];
    memcpy(blobs, f, 8);
    memcpy(blobs + 8, &(uint32_t){2}, 4);
    memcpy(blobs + 12, "hi", 2);
    memcpy(blobs + 14, &(uint32_t){1}, 4);
    blobs[18] = 'x';
    const char *json = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2],"
                       "\"parameters\":{\"binary_data_size\":8}},"
                       "{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[2],"
                       "\"parameters\":{\"binary_data_size\":11}}],"
                       "\"parameters\":{\"binary_data_output\":true},"
                       "\"outputs\":[{\"name\":\"a\"},{\"name\":\"b\",\"parameters\":"
                       "{\"binary_data\":false}}]}";
    assert_int_equal(decode_binary(json, blobs, sizeof blobs, &req, &err), FERRY_OK);
    assert_int_equal(req.n_inputs, 2);
    assert_int_equal(req.inputs[0].nbytes, 8);
    assert_memory_equal(req.inputs[0].data, f, 8);
    assert_int_equal(req.inputs[1].nbytes, 11);
    assert_memory_equal(req.inputs[1].data, blobs + 8, 11);
    assert_true(req.binary_default);
    assert_true(req.output_binary[0]);
    assert_false(req.output_binary[1]);
    oip_request_free(&req);
    /* The blob must match the shape; the input is named. */
    assert_int_equal(decode_binary(json, blobs, 7, &req, &err), FERRY_INVALID_ARG);
    assert_contains(err.message, "input 'x'");
    const char *both = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2],"
                       "\"data\":[1,2],\"parameters\":{\"binary_data_size\":8}}]}";
    assert_int_equal(decode_binary(both, f, 8, &req, &err), FERRY_INVALID_ARG);
    assert_contains(err.message, "both");
    const char *one = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2],"
                      "\"parameters\":{\"binary_data_size\":8}}]}";
    assert_int_equal(decode_binary(one, blobs, 12, &req, &err), FERRY_INVALID_ARG);
    assert_contains(err.message, "4 bytes of binary data");
    /* BYTES elements must add up to the shape. */
    const char *strs = "{\"inputs\":[{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[3],"
                       "\"parameters\":{\"binary_data_size\":11}}]}";
    assert_int_equal(decode_binary(strs, blobs + 8, 11, &req, &err), FERRY_INVALID_ARG);
    assert_contains(err.message, "input 's'");
    /* A JSON-only body cannot carry blobs. */
    decode_fails(one, FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "Inference-Header-Content-Length");
    char small[8] = "{}";
    assert_int_equal(oip_decode_request_binary(small, 5, 2, &g_arena, &req, &err),
                     FERRY_INVALID_ARG);
}

static void test_decode_parameters_object(void **state)
{
    (void)state;
    ferry_error err;
    decode_fails("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2],"
                 "\"parameters\":5,\"data\":[1,2]}]}",
                 FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "'parameters' must be an object");
}

static void test_decode_too_deep_and_too_many(void **state)
{
    (void)state;
    ferry_error err;
    char data[256] = "";
    for (int i = 0; i < 40; i++)
        strcat(data, "[");
    strcat(data, "1");
    for (int i = 0; i < 40; i++)
        strcat(data, "]");
    decode_fails(one_input("FP32", "[1]", data), FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "nested too deeply");
    decode_fails(one_input("BYTES", "[1]", data), FERRY_INVALID_ARG, &err);

    /* More inputs than a request may carry. */
    size_t cap = (OIP_MAX_TENSORS + 1) * 80 + 64;
    char *body = malloc(cap);
    assert_non_null(body);
    strcpy(body, "{\"inputs\":[");
    for (int i = 0; i <= OIP_MAX_TENSORS; i++)
        snprintf(body + strlen(body), cap - strlen(body),
                 "%s{\"name\":\"i%d\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}",
                 i ? "," : "", i);
    strcat(body, "]}");
    decode_fails(body, FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "more than 256 inputs");
    free(body);
}

static void test_decode_outputs(void **state)
{
    (void)state;
    oip_request r = decode_ok("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],"
                              "\"data\":[1]}],\"outputs\":[{\"name\":\"prob\"},{\"name\":\"label\","
                              "\"parameters\":{\"binary_data\":false}}]}");
    assert_int_equal(r.n_outputs, 2);
    assert_string_equal(r.outputs[0], "prob");
    assert_string_equal(r.outputs[1], "label");
    r = decode_ok("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],"
                  "\"data\":[1]}],\"outputs\":[]}");
    assert_int_equal(r.n_outputs, 0);
    ferry_error err;
    const char *prefix = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],"
                         "\"data\":[1]}],\"outputs\":";
    char body[512];
    snprintf(body, sizeof body, "%s{\"name\":\"a\"}}", prefix);
    decode_fails(body, FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "'outputs' must be an array");
    snprintf(body, sizeof body, "%s[{\"name\":\"a\"},{}]}", prefix);
    decode_fails(body, FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "outputs[1]");
    snprintf(body, sizeof body, "%s[\"a\"]}", prefix);
    decode_fails(body, FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "outputs[0]");
    snprintf(body, sizeof body, "%s[{\"name\":\"a\",\"parameters\":1}]}", prefix);
    decode_fails(body, FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "output 'a'");
}

static void test_decode_reuses_arena(void **state)
{
    (void)state;
    /* Requests decoded one after another in a reset arena stop allocating. */
    const char *body = one_input("FP32", "[2,2]", "[[1,2],[3,4]]");
    oip_request req = decode_ok(body);
    arena_reset(&g_arena);
    req = decode_ok(body);
    arena_chunk *head = g_arena.head;
    for (int i = 0; i < 100; i++) {
        arena_reset(&g_arena);
        req = decode_ok(body);
        assert_ptr_equal(g_arena.head, head);
        assert_true(((float *)req.inputs[0].data)[3] == 4.0f);
        oip_request_free(&req);
    }
}

/* ========================================================================================== */
/* Encoding                                                                                     */
/* ========================================================================================== */

static ferry_tensor out_tensor(const char *name, ferry_dtype dtype, void *data, size_t nbytes,
                               int64_t n)
{
    return (ferry_tensor){
        .name = name, .dtype = dtype, .ndim = 1, .shape = {n}, .data = data, .nbytes = nbytes};
}

/* Encodes one output and returns the text of its "data" array's contents (static buffer). */
static const char *encoded_data(const ferry_tensor *t)
{
    static char text[65536];
    buffer b;
    buffer_init(&b, 1 << 20);
    const ferry_tensor *outs[1] = {t};
    assert_int_equal(oip_encode_response(&b, "m", "1", NULL, outs, 1), FERRY_OK);
    const char *start = strstr(b.data, "\"data\":[");
    assert_non_null(start);
    start += 8;
    const char *end = strrchr(b.data, ']');
    end = end - 1; /* "]}]}": the data array closes two characters before the last ']' */
    while (end > start && *end != ']')
        end--;
    snprintf(text, sizeof text, "%.*s", (int)(end - start), start);
    buffer_free(&b);
    return text;
}

static void test_encode_response_fields(void **state)
{
    (void)state;
    float p[2] = {0.25f, 0.75f};
    ferry_tensor t = {.name = "predict",
                      .dtype = FERRY_DTYPE_FP32,
                      .ndim = 2,
                      .shape = {1, 2},
                      .data = p,
                      .nbytes = sizeof p};
    int64_t labels[1] = {1};
    ferry_tensor l = out_tensor("label", FERRY_DTYPE_INT64, labels, sizeof labels, 1);
    const ferry_tensor *outs[2] = {&t, &l};
    buffer b;
    buffer_init(&b, 1 << 16);
    assert_int_equal(oip_encode_response(&b, "bc", "3", "req-1", outs, 2), FERRY_OK);
    assert_string_equal(b.data, "{\"model_name\":\"bc\",\"model_version\":\"3\",\"id\":\"req-1\","
                                "\"outputs\":[{\"name\":\"predict\",\"datatype\":\"FP32\","
                                "\"shape\":[1,2],\"data\":[0.25,0.75]},{\"name\":\"label\","
                                "\"datatype\":\"INT64\",\"shape\":[1],\"data\":[1]}]}");
    json_error_t jerr;
    json_t *doc = json_loads(b.data, 0, &jerr);
    assert_non_null(doc);
    json_decref(doc);
    buffer_free(&b);
}

static void test_encode_id_and_version_absent(void **state)
{
    (void)state;
    float p[1] = {1};
    ferry_tensor t = out_tensor("y", FERRY_DTYPE_FP32, p, sizeof p, 1);
    const ferry_tensor *outs[1] = {&t};
    buffer b;
    buffer_init(&b, 1 << 16);
    assert_int_equal(oip_encode_response(&b, "bc", NULL, NULL, outs, 1), FERRY_OK);
    assert_string_equal(b.data, "{\"model_name\":\"bc\",\"outputs\":[{\"name\":\"y\",\"datatype\":"
                                "\"FP32\",\"shape\":[1],\"data\":[1]}]}");
    buffer_reset(&b);
    assert_int_equal(oip_encode_response(&b, "bc", "", "", outs, 1), FERRY_OK);
    assert_null(strstr(b.data, "model_version"));
    assert_non_null(strstr(b.data, "\"id\":\"\""));
    buffer_reset(&b);
    assert_int_equal(oip_encode_response(&b, "bc", "1", NULL, NULL, 0), FERRY_OK);
    assert_string_equal(b.data, "{\"model_name\":\"bc\",\"model_version\":\"1\",\"outputs\":[]}");
    buffer_free(&b);
}

static void test_encode_shortest_floats(void **state)
{
    (void)state;
    const struct {
        float v;
        const char *text;
    } cases[] = {
        {0.1f, "0.1"},
        {1.0f, "1"},
        {-2.5f, "-2.5"},
        {0.0f, "0"},
        {-0.0f, "-0"},
        {100.0f, "100"},
        {1e-7f, "1e-07"},
        {16777216.0f, "16777216"},
        {123456792.0f, "1.2345679e+08"}, /* 8 digits are enough */
        {1e-45f, "1e-45"},               /* the smallest subnormal */
        {1.0f / 3.0f, "0.33333334"},
        {0.016324209f, "0.016324209"},
        {FLT_MAX, "3.4028235e+38"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        float v = cases[i].v;
        ferry_tensor t = out_tensor("y", FERRY_DTYPE_FP32, &v, sizeof v, 1);
        const char *text = encoded_data(&t);
        assert_string_equal(text, cases[i].text);
        assert_true(strtof(text, NULL) == v);
    }
}

/* For many float bit patterns: the text reads back as the same float, and one digit fewer would
 * not. */
static void test_encode_floats_round_trip(void **state)
{
    (void)state;
    enum { N = 4000 };
    static float values[N];
    uint32_t x = 12345;
    size_t n = 0;
    while (n < N) {
        x = x * 1664525u + 1013904223u;
        float f;
        memcpy(&f, &x, sizeof f);
        if (isfinite(f))
            values[n++] = f;
    }
    values[0] = FLT_MIN;
    values[1] = 1e-45f; /* the smallest subnormal */
    values[2] = -FLT_MAX;
    ferry_tensor t = out_tensor("y", FERRY_DTYPE_FP32, values, sizeof values, N);
    buffer b;
    buffer_init(&b, 1 << 20);
    const ferry_tensor *outs[1] = {&t};
    assert_int_equal(oip_encode_response(&b, "m", "1", NULL, outs, 1), FERRY_OK);
    const char *p = strstr(b.data, "\"data\":[") + 8;
    for (size_t i = 0; i < N; i++) {
        char *end;
        float back = strtof(p, &end);
        assert_true(end > p);
        if (back != values[i])
            fail_msg("element %zu: %.*s reads back as %.9g, not %.9g", i, (int)(end - p), p,
                     (double)back, (double)values[i]);
        /* Count significant digits (no leading or trailing zeros) and check that one fewer
         * would not round trip. */
        int digits = 0, zeros = 0;
        for (const char *c = p; c < end && *c != 'e'; c++) {
            if (*c < '0' || *c > '9' || (*c == '0' && digits == 0))
                continue;
            zeros = *c == '0' ? zeros + 1 : 0;
            digits++;
        }
        digits -= zeros;
        if (digits > 1 && digits <= 9) {
            char shorter[64];
            snprintf(shorter, sizeof shorter, "%.*g", digits - 1, (double)values[i]);
            if (strtof(shorter, NULL) == values[i])
                fail_msg("element %zu: %.*s is not the shortest (%s)", i, (int)(end - p), p,
                         shorter);
        }
        assert_true(*end == ',' || *end == ']');
        p = end + 1;
    }
    json_error_t jerr;
    json_t *doc = json_loads(b.data, 0, &jerr);
    if (doc == NULL)
        fail_msg("not JSON: %s", jerr.text);
    json_decref(doc);
    buffer_free(&b);
}

/* The printf loop the encoder's fast path stands in for: %.{6..9}g, the first that reads back. */
static void printf_shortest(char *buf, float v)
{
    for (int precision = 6; precision < 9; precision++) {
        sprintf(buf, "%.*g", precision, (double)v);
        if (strtof(buf, NULL) == v)
            return;
    }
    sprintf(buf, "%.9g", (double)v);
}

/* The fast path writes exactly what the printf loop writes, over the magnitudes it covers (and
 * the edges beyond): random bit patterns, decimal-looking values, integers and powers of ten. */
static void test_encode_floats_as_printf(void **state)
{
    (void)state;
    enum { N = 20000 };
    static float values[N];
    uint32_t x = 777;
    for (size_t i = 0; i < N; i++) {
        x = x * 1664525u + 1013904223u;
        int exponent = (int)(x % 36) - 18;
        double mantissa = (double)(x >> 8) / (double)(1u << 24);
        switch (i % 4) {
        case 0:
            values[i] = (float)(mantissa * pow(10, exponent)); /* 1e-18 to 1e17 */
            break;
        case 1:
            values[i] = (float)((double)(x % 100000) / 100.0); /* 123.45 */
            break;
        case 2:
            values[i] = (float)(int32_t)x; /* large integers */
            break;
        default:
            values[i] = (float)(pow(10, exponent) * ((x & 1) ? -1 : 1));
            break;
        }
    }
    ferry_tensor t = out_tensor("y", FERRY_DTYPE_FP32, values, sizeof values, N);
    buffer b;
    buffer_init(&b, 1 << 22);
    const ferry_tensor *outs[1] = {&t};
    assert_int_equal(oip_encode_response(&b, "m", "1", NULL, outs, 1), FERRY_OK);
    const char *p = strstr(b.data, "\"data\":[") + 8;
    for (size_t i = 0; i < N; i++) {
        char want[64];
        printf_shortest(want, values[i]);
        size_t len = strcspn(p, ",]");
        if (len != strlen(want) || strncmp(p, want, len) != 0)
            fail_msg("element %zu (%.9g): wrote %.*s, printf %s", i, (double)values[i], (int)len, p,
                     want);
        p += len + 1;
    }
    buffer_free(&b);
}

static void test_encode_doubles_round_trip(void **state)
{
    (void)state;
    double v[5] = {0.1, 1.0 / 3.0, 1e300, -5e-324, 2.0};
    ferry_tensor t = out_tensor("y", FERRY_DTYPE_FP64, v, sizeof v, 5);
    const char *text = encoded_data(&t);
    assert_string_equal(text, "0.1,0.3333333333333333,1e+300,-5e-324,2");
    const char *p = text;
    for (int i = 0; i < 5; i++) {
        char *end;
        double back = strtod(p, &end);
        assert_true(back == v[i]);
        p = end + 1;
    }
}

static void test_encode_non_finite(void **state)
{
    (void)state;
    float f[4] = {NAN, INFINITY, -INFINITY, 1.5f};
    ferry_tensor t = out_tensor("y", FERRY_DTYPE_FP32, f, sizeof f, 4);
    assert_string_equal(encoded_data(&t), "\"NaN\",\"Infinity\",\"-Infinity\",1.5");
    double d[3] = {-NAN, INFINITY, -INFINITY};
    t = out_tensor("y", FERRY_DTYPE_FP64, d, sizeof d, 3);
    assert_string_equal(encoded_data(&t), "\"NaN\",\"Infinity\",\"-Infinity\"");
}

static void test_encode_integers_and_bool(void **state)
{
    (void)state;
    int64_t i64[2] = {INT64_MIN, INT64_MAX};
    ferry_tensor t = out_tensor("y", FERRY_DTYPE_INT64, i64, sizeof i64, 2);
    assert_string_equal(encoded_data(&t), "-9223372036854775808,9223372036854775807");
    uint64_t u64[1] = {UINT64_MAX};
    t = out_tensor("y", FERRY_DTYPE_UINT64, u64, sizeof u64, 1);
    assert_string_equal(encoded_data(&t), "18446744073709551615");
    int8_t i8[2] = {-128, 127};
    t = out_tensor("y", FERRY_DTYPE_INT8, i8, sizeof i8, 2);
    assert_string_equal(encoded_data(&t), "-128,127");
    uint8_t u8[2] = {0, 255};
    t = out_tensor("y", FERRY_DTYPE_UINT8, u8, sizeof u8, 2);
    assert_string_equal(encoded_data(&t), "0,255");
    uint16_t u16[1] = {65535};
    t = out_tensor("y", FERRY_DTYPE_UINT16, u16, sizeof u16, 1);
    assert_string_equal(encoded_data(&t), "65535");
    int16_t i16[1] = {-32768};
    t = out_tensor("y", FERRY_DTYPE_INT16, i16, sizeof i16, 1);
    assert_string_equal(encoded_data(&t), "-32768");
    uint32_t u32[1] = {UINT32_MAX};
    t = out_tensor("y", FERRY_DTYPE_UINT32, u32, sizeof u32, 1);
    assert_string_equal(encoded_data(&t), "4294967295");
    int32_t i32[1] = {INT32_MIN};
    t = out_tensor("y", FERRY_DTYPE_INT32, i32, sizeof i32, 1);
    assert_string_equal(encoded_data(&t), "-2147483648");
    uint8_t b[3] = {1, 0, 7};
    t = out_tensor("y", FERRY_DTYPE_BOOL, b, sizeof b, 3);
    assert_string_equal(encoded_data(&t), "true,false,true");
}

static void test_encode_bytes(void **state)
{
    (void)state;
    const unsigned char data[] = {3, 0, 0, 0, 'a', '"', 'b', 0, 0, 0, 0, 1, 0, 0, 0, '\n'};
    ferry_tensor t = out_tensor("s", FERRY_DTYPE_BYTES, (void *)data, sizeof data, 3);
    assert_string_equal(encoded_data(&t), "\"a\\\"b\",\"\",\"\\n\"");
    /* A length running past the data is an internal error, not an over-read. */
    const unsigned char bad[] = {9, 0, 0, 0, 'a'};
    t = out_tensor("s", FERRY_DTYPE_BYTES, (void *)bad, sizeof bad, 1);
    buffer buf;
    buffer_init(&buf, 1 << 16);
    const ferry_tensor *outs[1] = {&t};
    assert_int_equal(oip_encode_response(&buf, "m", "1", NULL, outs, 1), FERRY_INTERNAL);
    buffer_free(&buf);
}

static void test_encode_escapes_names(void **state)
{
    (void)state;
    float v[1] = {1};
    ferry_tensor t = out_tensor("out\\put\"1\"", FERRY_DTYPE_FP32, v, sizeof v, 1);
    const ferry_tensor *outs[1] = {&t};
    buffer b;
    buffer_init(&b, 1 << 16);
    const char *model = "my \"model\"\n";
    const char *id = "id\twith\x01control";
    assert_int_equal(oip_encode_response(&b, model, "1", id, outs, 1), FERRY_OK);
    json_error_t jerr;
    json_t *doc = json_loads(b.data, 0, &jerr);
    if (doc == NULL)
        fail_msg("not JSON (%s): %s", jerr.text, b.data);
    assert_string_equal(json_string_value(json_object_get(doc, "model_name")), model);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), id);
    json_t *o = json_array_get(json_object_get(doc, "outputs"), 0);
    assert_string_equal(json_string_value(json_object_get(o, "name")), "out\\put\"1\"");
    json_decref(doc);
    buffer_reset(&b);
    assert_int_equal(oip_append_string(&b, "a\"b\\c\n"), FERRY_OK);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\"");
    buffer_free(&b);
}

static void test_encode_error_body(void **state)
{
    (void)state;
    buffer b;
    buffer_init(&b, 1 << 16);
    const char *msg = "input 'x': element 1 (300) is out of range for UINT8\n\"quoted\"";
    assert_int_equal(oip_encode_error(&b, msg), FERRY_OK);
    json_error_t jerr;
    json_t *doc = json_loads(b.data, 0, &jerr);
    assert_non_null(doc);
    assert_int_equal(json_object_size(doc), 1);
    assert_string_equal(json_string_value(json_object_get(doc, "error")), msg);
    json_decref(doc);
    buffer_reset(&b);
    assert_int_equal(oip_encode_error(&b, ""), FERRY_OK);
    assert_string_equal(b.data, "{\"error\":\"\"}");
    buffer_free(&b);
}

static void test_encode_respects_buffer_limit(void **state)
{
    (void)state;
    static double v[1000];
    for (int i = 0; i < 1000; i++)
        v[i] = 1.0 / (i + 3);
    ferry_tensor t = out_tensor("y", FERRY_DTYPE_FP64, v, sizeof v, 1000);
    const ferry_tensor *outs[1] = {&t};
    buffer b;
    buffer_init(&b, 4096);
    assert_int_equal(oip_encode_response(&b, "m", "1", NULL, outs, 1), FERRY_TOO_LARGE);
    assert_true(b.len <= 4096);
    buffer_free(&b);
    buffer_init(&b, 16);
    assert_int_equal(oip_encode_error(&b, "a message longer than sixteen bytes"), FERRY_TOO_LARGE);
    assert_true(b.len <= 16);
    buffer_free(&b);
}

#define CODEC_TEST(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        CODEC_TEST(test_decode_flat),
        CODEC_TEST(test_decode_nested),
        CODEC_TEST(test_decode_several_inputs),
        CODEC_TEST(test_decode_every_integer_dtype),
        CODEC_TEST(test_decode_floats),
        CODEC_TEST(test_decode_non_finite_floats),
        CODEC_TEST(test_decode_integer_range_errors),
        CODEC_TEST(test_decode_non_integers_for_ints),
        CODEC_TEST(test_decode_bool),
        CODEC_TEST(test_decode_bytes),
        CODEC_TEST(test_decode_fp16_bf16_refused),
        CODEC_TEST(test_decode_shape_data_mismatch),
        CODEC_TEST(test_decode_bad_shapes),
        CODEC_TEST(test_decode_data_beyond_arena),
        CODEC_TEST(test_decode_document_beyond_arena),
        CODEC_TEST(test_decode_malformed_json),
        CODEC_TEST(test_decode_not_an_object),
        CODEC_TEST(test_decode_missing_fields),
        CODEC_TEST(test_decode_unknown_datatype),
        CODEC_TEST(test_decode_duplicate_keys),
        CODEC_TEST(test_decode_binary_data),
        CODEC_TEST(test_decode_parameters_object),
        CODEC_TEST(test_decode_too_deep_and_too_many),
        CODEC_TEST(test_decode_outputs),
        CODEC_TEST(test_decode_reuses_arena),
        CODEC_TEST(test_encode_response_fields),
        CODEC_TEST(test_encode_id_and_version_absent),
        CODEC_TEST(test_encode_shortest_floats),
        CODEC_TEST(test_encode_floats_round_trip),
        CODEC_TEST(test_encode_floats_as_printf),
        CODEC_TEST(test_encode_doubles_round_trip),
        CODEC_TEST(test_encode_non_finite),
        CODEC_TEST(test_encode_integers_and_bool),
        CODEC_TEST(test_encode_bytes),
        CODEC_TEST(test_encode_escapes_names),
        CODEC_TEST(test_encode_error_body),
        CODEC_TEST(test_encode_respects_buffer_limit),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
