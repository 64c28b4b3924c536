/* The binary tensor data extension over REST on a real `ferry serve`: bodies with
 * Inference-Header-Content-Length (JSON header, then blobs in input order), round trips of FP32,
 * INT64, BOOL and BYTES through Identity models built here, outputs answered binary per output
 * (binary_data) or for the whole request (binary_data_output) next to JSON ones, the raw binary
 * request for one-input models, and the 400s for blobs that do not fit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_model.h"
#include "test_support.h"

static struct {
    char *tmp;
    ts_server srv;
} g;

/* An Identity model with one input per entry (inputs "NAME", outputs "o_NAME", batch dim -1). */
typedef struct io_spec {
    const char *name;
    ferry_dtype dtype;
    int ndim;
} io_spec;

static void write_identity(const char *repo, const char *model, const io_spec *io, size_t n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s/1/model.onnx", repo, model);
    ts_write_file(path, ""); /* creates the folders */
    ts_onnx_model *b = ts_onnx_create(13);
    for (size_t i = 0; i < n; i++) {
        int64_t shape[2] = {-1, 3};
        char out[32];
        snprintf(out, sizeof out, "o_%s", io[i].name);
        ts_onnx_input(b, io[i].name, io[i].dtype, io[i].ndim, shape);
        ts_onnx_output(b, out, io[i].dtype, io[i].ndim, shape);
        ts_onnx_node(b, "Identity", io[i].name, out);
    }
    ts_onnx_write(b, path);
    ts_onnx_destroy(b);
}

static int group_setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    char repo[4096], st[4200];
    snprintf(repo, sizeof repo, "%s/models", g.tmp);
    static const io_spec types[] = {{"f", FERRY_DTYPE_FP32, 2},
                                    {"i", FERRY_DTYPE_INT64, 2},
                                    {"b", FERRY_DTYPE_BOOL, 1},
                                    {"s", FERRY_DTYPE_BYTES, 1}};
    write_identity(repo, "types", types, 4);
    static const io_spec one_f[] = {{"f", FERRY_DTYPE_FP32, 2}};
    write_identity(repo, "one_f", one_f, 1);
    static const io_spec one_s[] = {{"s", FERRY_DTYPE_BYTES, 1}};
    write_identity(repo, "one_s", one_s, 1);
    snprintf(st, sizeof st, "%s/state", g.tmp);
    const char *args[] = {"--repo", repo, "--state", st, NULL};
    bool ok = ts_server_start(&g.srv, args);
    if (!ok)
        fprintf(stderr, "test: server did not start:\n%s\n", g.srv.log ? g.srv.log : "");
    assert_true(ok);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    assert_int_equal(ts_server_stop(&g.srv), 0);
    ts_rmtree(g.tmp);
    free(g.tmp);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct body {
    char data[8192];
    size_t len;
} body;

static void body_add(body *b, const void *p, size_t n)
{
    assert_true(b->len + n <= sizeof b->data);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

/* POSTs json + blobs with Inference-Header-Content-Length (header_len: -1 = strlen(json)). */
static void post_binary(const char *model, const char *json, const body *blobs, long header_len,
                        ts_response *resp)
{
    body b = {.len = 0};
    body_add(&b, json, strlen(json));
    if (blobs != NULL)
        body_add(&b, blobs->data, blobs->len);
    char headers[256], path[256];
    snprintf(headers, sizeof headers,
             "Content-Type: application/octet-stream\r\nInference-Header-Content-Length: %ld\r\n",
             header_len >= 0 ? header_len : (long)strlen(json));
    snprintf(path, sizeof path, "/v2/models/%s/infer", model);
    assert_true(ts_server_http(&g.srv, "POST", path, headers, b.data, b.len, resp));
}

/* The JSON part of a binary response (parsed) and where its blobs start. */
static json_t *split_response(const ts_response *resp, const char **blobs, size_t *blobs_len)
{
    char ihcl[32], ct[64];
    assert_non_null(ts_header(resp, "Inference-Header-Content-Length", ihcl, sizeof ihcl));
    assert_non_null(ts_header(resp, "Content-Type", ct, sizeof ct));
    assert_string_equal(ct, "application/octet-stream");
    size_t json_len = strtoul(ihcl, NULL, 10);
    assert_true(json_len <= resp->body_len);
    json_error_t jerr;
    json_t *doc = json_loadb(resp->body, json_len, JSON_ALLOW_NUL, &jerr);
    if (doc == NULL)
        fail_msg("response JSON: %s: %.*s", jerr.text, (int)json_len, resp->body);
    *blobs = resp->body + json_len;
    *blobs_len = resp->body_len - json_len;
    return doc;
}

static json_t *output_named(json_t *doc, const char *name)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(doc, "outputs"), i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "name")), name) == 0)
            return o;
    }
    fail_msg("no output %s", name);
    return NULL;
}

static json_int_t binary_size(json_t *output)
{
    json_t *size = json_object_get(json_object_get(output, "parameters"), "binary_data_size");
    assert_true(json_is_integer(size));
    return json_integer_value(size);
}

/* ------------------------------------------------------------------------------------------ */
/* Round trips                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static const float f_in[6] = {1.5f, -2.25f, 3e-8f, 0.1f, 1e30f, -0.0f};
static const int64_t i_in[6] = {INT64_MIN, -1, 0, 1, INT64_MAX, 1234567890123};
static const uint8_t b_in[3] = {1, 0, 1};

/* Blobs of the four inputs; the BYTES one holds "", "héllo" and a string with a NUL. */
static void types_blobs(body *blobs, size_t *s_len)
{
    blobs->len = 0;
    body_add(blobs, f_in, sizeof f_in);
    body_add(blobs, i_in, sizeof i_in);
    body_add(blobs, b_in, sizeof b_in);
    size_t start = blobs->len;
    static const char *strs[3] = {"", "h\xc3\xa9llo", "a\0b"};
    static const uint32_t lens[3] = {0, 6, 3};
    for (int k = 0; k < 3; k++) {
        body_add(blobs, &lens[k], 4);
        body_add(blobs, strs[k], lens[k]);
    }
    *s_len = blobs->len - start;
}

/* The JSON part of a request for the "types" model whose four inputs all travel as binary data
 * (types_blobs; s_len: the BYTES blob's size), followed by `rest` (its outputs and parameters). */
static void types_request(char *json, size_t cap, size_t s_len, const char *rest)
{
    snprintf(json, cap,
             "{\"inputs\":[{\"name\":\"f\",\"datatype\":\"FP32\",\"shape\":[2,3],"
             "\"parameters\":{\"binary_data_size\":24}},"
             "{\"name\":\"i\",\"datatype\":\"INT64\",\"shape\":[2,3],"
             "\"parameters\":{\"binary_data_size\":48}},"
             "{\"name\":\"b\",\"datatype\":\"BOOL\",\"shape\":[3],"
             "\"parameters\":{\"binary_data_size\":3}},"
             "{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[3],"
             "\"parameters\":{\"binary_data_size\":%zu}}],"
             "%s}",
             s_len, rest);
}

static void test_round_trip_all_binary(void **state)
{
    (void)state;
    body blobs;
    size_t s_len;
    types_blobs(&blobs, &s_len);
    char json[1024];
    types_request(json, sizeof json, s_len,
                  "\"parameters\":{\"binary_data_output\":true},"
                  "\"outputs\":[{\"name\":\"o_f\"},{\"name\":\"o_i\"},{\"name\":\"o_b\"},"
                  "{\"name\":\"o_s\"}]");
    ts_response resp;
    post_binary("types", json, &blobs, -1, &resp);
    if (resp.status != 200)
        fail_msg("status %d: %s", resp.status, resp.body);
    const char *out;
    size_t out_len;
    json_t *doc = split_response(&resp, &out, &out_len);
    /* Identity: the blobs come back byte for byte, in the order the outputs were asked for. */
    assert_int_equal(out_len, blobs.len);
    assert_memory_equal(out, blobs.data, blobs.len);
    assert_int_equal(binary_size(output_named(doc, "o_f")), 24);
    assert_int_equal(binary_size(output_named(doc, "o_i")), 48);
    assert_int_equal(binary_size(output_named(doc, "o_b")), 3);
    assert_int_equal(binary_size(output_named(doc, "o_s")), (json_int_t)s_len);
    assert_null(json_object_get(output_named(doc, "o_f"), "data"));
    assert_string_equal(json_string_value(json_object_get(output_named(doc, "o_s"), "datatype")),
                        "BYTES");
    json_decref(doc);
    ts_response_free(&resp);
}

/* Binary inputs, outputs mixed: o_b binary (per output), the others JSON. */
static void test_mixed_outputs(void **state)
{
    (void)state;
    body blobs;
    size_t s_len;
    types_blobs(&blobs, &s_len);
    char json[1024];
    types_request(json, sizeof json, s_len,
                  "\"outputs\":[{\"name\":\"o_i\"},{\"name\":\"o_b\",\"parameters\":"
                  "{\"binary_data\":true}},{\"name\":\"o_s\"}]");
    ts_response resp;
    post_binary("types", json, &blobs, -1, &resp);
    assert_int_equal(resp.status, 200);
    const char *out;
    size_t out_len;
    json_t *doc = split_response(&resp, &out, &out_len);
    assert_int_equal(out_len, 3);
    assert_memory_equal(out, b_in, 3);
    json_t *o_i = json_object_get(output_named(doc, "o_i"), "data");
    assert_int_equal(json_array_size(o_i), 6);
    for (size_t k = 0; k < 6; k++)
        assert_true(json_integer_value(json_array_get(o_i, k)) == i_in[k]);
    json_t *o_s = json_object_get(output_named(doc, "o_s"), "data");
    assert_string_equal(json_string_value(json_array_get(o_s, 1)), "h\xc3\xa9llo");
    json_decref(doc);
    ts_response_free(&resp);
}

/* A JSON request asking for one binary output gets a binary response; without it, plain JSON. */
static void test_json_request_binary_output(void **state)
{
    (void)state;
    static const char json[] =
        "{\"inputs\":[{\"name\":\"f\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[1,2,3]}],"
        "\"outputs\":[{\"name\":\"o_f\",\"parameters\":{\"binary_data\":true}}]}";
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "POST", "/v2/models/one_f/infer",
                               "Content-Type: application/json\r\n", json, strlen(json), &resp));
    assert_int_equal(resp.status, 200);
    const char *out;
    size_t out_len;
    json_t *doc = split_response(&resp, &out, &out_len);
    float want[3] = {1, 2, 3};
    assert_int_equal(out_len, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    json_decref(doc);
    ts_response_free(&resp);
    static const char plain[] =
        "{\"inputs\":[{\"name\":\"f\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[1,2,3]}]}";
    assert_true(ts_server_http(&g.srv, "POST", "/v2/models/one_f/infer", NULL, plain, strlen(plain),
                               &resp));
    assert_int_equal(resp.status, 200);
    char buf[64];
    assert_null(ts_header(&resp, "Inference-Header-Content-Length", buf, sizeof buf));
    assert_string_equal(ts_header(&resp, "Content-Type", buf, sizeof buf), "application/json");
    ts_response_free(&resp);
}

/* Inference-Header-Content-Length: 0: the body is the only input; outputs come back binary. */
static void test_raw_binary_request(void **state)
{
    (void)state;
    body raw = {.len = 0};
    body_add(&raw, f_in, sizeof f_in);
    ts_response resp;
    post_binary("one_f", "", &raw, 0, &resp);
    if (resp.status != 200)
        fail_msg("status %d: %s", resp.status, resp.body);
    const char *out;
    size_t out_len;
    json_t *doc = split_response(&resp, &out, &out_len);
    assert_int_equal(out_len, sizeof f_in);
    assert_memory_equal(out, f_in, sizeof f_in);
    json_t *shape = json_object_get(output_named(doc, "o_f"), "shape");
    assert_int_equal(json_integer_value(json_array_get(shape, 0)), 2);
    assert_int_equal(json_integer_value(json_array_get(shape, 1)), 3);
    json_decref(doc);
    ts_response_free(&resp);
    /* A BYTES input takes the body as its one element. */
    body text = {.len = 0};
    body_add(&text, "raw text", 8);
    post_binary("one_s", "", &text, 0, &resp);
    assert_int_equal(resp.status, 200);
    doc = split_response(&resp, &out, &out_len);
    assert_int_equal(out_len, 12);
    assert_memory_equal(out, "\x08\0\0\0raw text", 12);
    json_decref(doc);
    ts_response_free(&resp);
    /* Not a whole number of rows; and a model with several inputs. */
    raw.len = 10;
    post_binary("one_f", "", &raw, 0, &resp);
    assert_int_equal(resp.status, 400);
    assert_non_null(strstr(resp.body, "input 'f'"));
    ts_response_free(&resp);
    post_binary("types", "", &raw, 0, &resp);
    assert_int_equal(resp.status, 400);
    assert_non_null(strstr(resp.body, "4 inputs"));
    ts_response_free(&resp);
}

/* ------------------------------------------------------------------------------------------ */
/* Bad bodies                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static void expect_400(const char *model, const char *json, const body *blobs, long header_len,
                       const char *needle)
{
    ts_response resp;
    post_binary(model, json, blobs, header_len, &resp);
    if (resp.status != 400 || strstr(resp.body, needle) == NULL)
        fail_msg("expected 400 with \"%s\", got %d: %s", needle, resp.status, resp.body);
    ts_response_free(&resp);
}

static void test_bad_binary_bodies(void **state)
{
    (void)state;
    body blobs = {.len = 0};
    body_add(&blobs, f_in, sizeof f_in);
    static const char sized[] =
        "{\"inputs\":[{\"name\":\"f\",\"datatype\":\"FP32\",\"shape\":[1,3],"
        "\"parameters\":{\"binary_data_size\":24}}]}";
    expect_400("one_f", sized, &blobs, -1, "input 'f'"); /* 24 bytes for 3 floats */
    static const char both[] = "{\"inputs\":[{\"name\":\"f\",\"datatype\":\"FP32\",\"shape\":[2,3],"
                               "\"data\":[1,2,3,4,5,6],\"parameters\":{\"binary_data_size\":24}}]}";
    expect_400("one_f", both, &blobs, -1, "both");
    static const char ok[] = "{\"inputs\":[{\"name\":\"f\",\"datatype\":\"FP32\",\"shape\":[2,3],"
                             "\"parameters\":{\"binary_data_size\":24}}]}";
    expect_400("one_f", ok, &blobs, 100000, "Inference-Header-Content-Length");
    expect_400("one_f", ok, &blobs, 5, "malformed JSON");
    body short_blobs = {.len = 0};
    body_add(&short_blobs, f_in, 20);
    expect_400("one_f", ok, &short_blobs, -1, "input 'f'");
    body bad_bytes = {.len = 0};
    body_add(&bad_bytes, "\x09\0\0\0abc", 7);
    static const char strs[] = "{\"inputs\":[{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[1],"
                               "\"parameters\":{\"binary_data_size\":7}}]}";
    expect_400("one_s", strs, &bad_bytes, -1, "input 's'");
    /* binary_data_size in a JSON-only body. */
    ts_response resp;
    assert_true(
        ts_server_http(&g.srv, "POST", "/v2/models/one_f/infer", NULL, ok, strlen(ok), &resp));
    assert_int_equal(resp.status, 400);
    ts_response_free(&resp);
    /* The server still serves. */
    post_binary("one_f", ok, &blobs, -1, &resp);
    assert_int_equal(resp.status, 200);
    ts_response_free(&resp);
}

static void test_server_metadata_extension(void **state)
{
    (void)state;
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "GET", "/v2", NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "\"binary_tensor_data\""));
    ts_response_free(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_all_binary),
        cmocka_unit_test(test_mixed_outputs),
        cmocka_unit_test(test_json_request_binary_output),
        cmocka_unit_test(test_raw_binary_request),
        cmocka_unit_test(test_bad_binary_bodies),
        cmocka_unit_test(test_server_metadata_extension),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
