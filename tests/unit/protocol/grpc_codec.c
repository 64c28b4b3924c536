/* Unit tests for the gRPC ModelInfer codec (src/protocol/grpc_codec.c) on protobuf-c messages:
 * typed contents for every datatype with narrow integers widened (and range-checked), BOOL and
 * BYTES converted to ferry's layouts, FP16 raw only; raw contents checked against the shape (and
 * BYTES' 4-byte length prefixes); raw and typed mixed, data in the wrong field, bad datatypes and
 * shapes refused naming the input; outputs encoded as raw contents; and a request packed, unpacked
 * into the arena and decoded. Also the ferry_status -> gRPC status table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/grpc_codec.h"
#include "protocol/grpc_codes.h"

typedef Inference__ModelInferRequest__InferInputTensor input_tensor;

static arena g_arena;

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

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

/* ------------------------------------------------------------------------------------------ */
/* Building requests                                                                            */
/* ------------------------------------------------------------------------------------------ */

/* One request with one input "x" of `datatype` and shape [n], and its contents, all static: a
 * test builds one at a time. */
typedef struct one_input {
    Inference__ModelInferRequest req;
    input_tensor in;
    input_tensor *list[1];
    Inference__InferTensorContents contents;
    int64_t shape[FERRY_MAX_DIMS + 1];
    ProtobufCBinaryData raw[2];
} one_input;

static one_input *request(const char *datatype, int64_t n)
{
    static one_input r;
    memset(&r, 0, sizeof r);
    r.req = (Inference__ModelInferRequest)INFERENCE__MODEL_INFER_REQUEST__INIT;
    r.req.model_name = "m";
    r.in = (input_tensor)INFERENCE__MODEL_INFER_REQUEST__INFER_INPUT_TENSOR__INIT;
    r.in.name = "x";
    r.in.datatype = (char *)datatype;
    r.shape[0] = n;
    r.in.shape = r.shape;
    r.in.n_shape = 1;
    r.contents = (Inference__InferTensorContents)INFERENCE__INFER_TENSOR_CONTENTS__INIT;
    r.in.contents = &r.contents;
    r.list[0] = &r.in;
    r.req.inputs = r.list;
    r.req.n_inputs = 1;
    return &r;
}

static void set_raw(one_input *r, const void *data, size_t len)
{
    r->raw[0] = (ProtobufCBinaryData){.len = len, .data = (uint8_t *)data};
    r->req.raw_input_contents = r->raw;
    r->req.n_raw_input_contents = 1;
}

static ferry_tensor decode_ok(one_input *r)
{
    ferry_tensor *t = NULL;
    ferry_error err;
    if (grpc_codec_decode_inputs(&r->req, &g_arena, &t, &err) != FERRY_OK)
        fail_msg("decode failed: %s", err.message);
    assert_string_equal(t[0].name, "x");
    return t[0];
}

static void decode_fails(one_input *r, const char *needle1, const char *needle2)
{
    ferry_tensor *t = NULL;
    ferry_error err;
    assert_int_equal(grpc_codec_decode_inputs(&r->req, &g_arena, &t, &err), FERRY_INVALID_ARG);
    assert_contains(err.message, "model 'm'");
    assert_contains(err.message, needle1);
    if (needle2 != NULL)
        assert_contains(err.message, needle2);
}

/* ------------------------------------------------------------------------------------------ */
/* Typed contents                                                                               */
/* ------------------------------------------------------------------------------------------ */

static void test_typed_int8_widened(void **state)
{
    (void)state;
    one_input *r = request("INT8", 3);
    int32_t v[] = {-128, 5, 127};
    r->contents.int_contents = v;
    r->contents.n_int_contents = 3;
    ferry_tensor t = decode_ok(r);
    assert_int_equal(t.dtype, FERRY_DTYPE_INT8);
    assert_int_equal(t.nbytes, 3);
    const int8_t want[] = {-128, 5, 127};
    assert_memory_equal(t.data, want, 3);

    v[1] = 128;
    decode_fails(r, "input 'x': element 1 (128)", "INT8");
    v[1] = -129;
    decode_fails(r, "element 1 (-129)", NULL);
}

static void test_typed_int16_uint8_uint16(void **state)
{
    (void)state;
    one_input *r = request("INT16", 2);
    int32_t s[] = {-32768, 32767};
    r->contents.int_contents = s;
    r->contents.n_int_contents = 2;
    ferry_tensor t = decode_ok(r);
    const int16_t want16[] = {-32768, 32767};
    assert_int_equal(t.nbytes, 4);
    assert_memory_equal(t.data, want16, 4);
    s[0] = 40000;
    decode_fails(r, "element 0 (40000)", "INT16");

    r = request("UINT8", 2);
    uint32_t u[] = {0, 255};
    r->contents.uint_contents = u;
    r->contents.n_uint_contents = 2;
    t = decode_ok(r);
    assert_int_equal(t.nbytes, 2);
    assert_int_equal(((uint8_t *)t.data)[1], 255);
    u[1] = 256;
    decode_fails(r, "element 1 (256)", "UINT8");

    r = request("UINT16", 2);
    uint32_t w[] = {65535, 1};
    r->contents.uint_contents = w;
    r->contents.n_uint_contents = 2;
    t = decode_ok(r);
    assert_int_equal(((uint16_t *)t.data)[0], 65535);
    w[0] = 65536;
    decode_fails(r, "element 0 (65536)", "UINT16");
}

/* Types whose typed field has the tensor's own layout are used where they are, not copied. */
static void test_typed_wide_types_borrowed(void **state)
{
    (void)state;
    one_input *r = request("INT64", 2);
    int64_t i64[] = {INT64_MIN, 42};
    r->contents.int64_contents = i64;
    r->contents.n_int64_contents = 2;
    ferry_tensor t = decode_ok(r);
    assert_ptr_equal(t.data, i64);
    assert_int_equal(t.nbytes, 16);

    r = request("FP32", 2);
    float f[] = {1.5f, -2.0f};
    r->contents.fp32_contents = f;
    r->contents.n_fp32_contents = 2;
    t = decode_ok(r);
    assert_ptr_equal(t.data, f);
    assert_int_equal(t.nbytes, 8);

    r = request("UINT64", 1);
    uint64_t u64[] = {UINT64_MAX};
    r->contents.uint64_contents = u64;
    r->contents.n_uint64_contents = 1;
    assert_int_equal(decode_ok(r).nbytes, 8);

    r = request("FP64", 1);
    double d[] = {0.25};
    r->contents.fp64_contents = d;
    r->contents.n_fp64_contents = 1;
    assert_int_equal(decode_ok(r).nbytes, 8);

    r = request("INT32", 1);
    int32_t i32[] = {-7};
    r->contents.int_contents = i32;
    r->contents.n_int_contents = 1;
    assert_ptr_equal(decode_ok(r).data, i32);

    r = request("UINT32", 1);
    uint32_t u32[] = {7};
    r->contents.uint_contents = u32;
    r->contents.n_uint_contents = 1;
    assert_ptr_equal(decode_ok(r).data, u32);
}

static void test_typed_bool_and_bytes(void **state)
{
    (void)state;
    one_input *r = request("BOOL", 3);
    protobuf_c_boolean b[] = {1, 0, 7};
    r->contents.bool_contents = b;
    r->contents.n_bool_contents = 3;
    ferry_tensor t = decode_ok(r);
    const uint8_t want_b[] = {1, 0, 1};
    assert_int_equal(t.nbytes, 3);
    assert_memory_equal(t.data, want_b, 3);

    r = request("BYTES", 2);
    ProtobufCBinaryData s[] = {{.len = 2, .data = (uint8_t *)"hi"}, {.len = 0, .data = NULL}};
    r->contents.bytes_contents = s;
    r->contents.n_bytes_contents = 2;
    t = decode_ok(r);
    const uint8_t want_s[] = {2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0};
    assert_int_equal(t.nbytes, sizeof want_s);
    assert_memory_equal(t.data, want_s, sizeof want_s);
}

static void test_typed_errors(void **state)
{
    (void)state;
    one_input *r = request("FP32", 3);
    float f[] = {1, 2};
    r->contents.fp32_contents = f;
    r->contents.n_fp32_contents = 2;
    decode_fails(r, "input 'x' has 2 elements in contents.fp32_contents", "needs 3");

    r = request("FP32", 2);
    double d[] = {1, 2};
    r->contents.fp64_contents = d;
    r->contents.n_fp64_contents = 2;
    decode_fails(r, "input 'x' is FP32 but has data in contents.fp64_contents",
                 "go in contents.fp32_contents");

    r = request("FP32", 2);
    decode_fails(r, "input 'x' has no data", "fp32_contents");
    r->in.contents = NULL;
    decode_fails(r, "input 'x' has no data", NULL);

    r = request("FP16", 2);
    r->contents.fp32_contents = (float[]){1, 2};
    r->contents.n_fp32_contents = 2;
    decode_fails(r, "input 'x' is FP16", "raw_input_contents");
    r = request("BF16", 1);
    decode_fails(r, "input 'x' is BF16", "raw_input_contents");

    /* Zero elements need no data, whatever the datatype. */
    r = request("FP16", 0);
    assert_int_equal(decode_ok(r).nbytes, 0);
}

static void test_header_errors(void **state)
{
    (void)state;
    one_input *r = request("FLOAT", 1);
    decode_fails(r, "input 'x' has unknown datatype 'FLOAT'", NULL);

    r = request("FP32", -1);
    decode_fails(r, "input 'x' has shape [-1]", "negative");

    r = request("FP32", 1);
    r->in.n_shape = FERRY_MAX_DIMS + 1;
    decode_fails(r, "input 'x' has 9 dimensions", NULL);

    r = request("FP32", 1);
    r->in.name = "";
    decode_fails(r, "inputs[0] has no name", NULL);

    r = request("FP32", 1);
    r->shape[0] = INT64_MAX;
    decode_fails(r, "input 'x' has shape", NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Raw contents                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static void test_raw_fixed_size(void **state)
{
    (void)state;
    one_input *r = request("FP32", 2);
    float f[] = {1.5f, 2.5f};
    set_raw(r, f, sizeof f);
    r->in.contents = NULL;
    ferry_tensor t = decode_ok(r);
    assert_ptr_equal(t.data, f);
    assert_int_equal(t.nbytes, 8);

    set_raw(r, f, 7);
    decode_fails(r, "input 'x': raw_input_contents[0] has 7 bytes", "FP32 (4 bytes each)");

    /* FP16 and BF16 travel raw: 2 bytes per element. */
    r = request("FP16", 3);
    uint16_t h[] = {0x3c00, 0xc000, 0};
    set_raw(r, h, sizeof h);
    assert_int_equal(decode_ok(r).nbytes, 6);
    r = request("BF16", 2);
    set_raw(r, h, 4);
    assert_int_equal(decode_ok(r).nbytes, 4);
}

static void test_raw_bytes_prefixes(void **state)
{
    (void)state;
    const uint8_t good[] = {3, 0, 0, 0, 'a', 'b', 'c', 0, 0, 0, 0};
    one_input *r = request("BYTES", 2);
    set_raw(r, good, sizeof good);
    ferry_tensor t = decode_ok(r);
    assert_int_equal(t.nbytes, sizeof good);

    r = request("BYTES", 3);
    set_raw(r, good, sizeof good);
    decode_fails(r, "raw BYTES data ends at element 2 of 3", NULL);

    r = request("BYTES", 1);
    set_raw(r, good, sizeof good);
    decode_fails(r, "has 4 bytes after its 1 elements", NULL);

    const uint8_t long_len[] = {9, 0, 0, 0, 'a'};
    r = request("BYTES", 1);
    set_raw(r, long_len, sizeof long_len);
    decode_fails(r, "element 0 says 9 bytes, only 1 follow", NULL);

    ferry_error err;
    assert_int_equal(grpc_codec_check_bytes("m", "x", good, 3, 1, &err), FERRY_INVALID_ARG);
    assert_int_equal(grpc_codec_check_bytes("m", "x", NULL, 0, 0, &err), FERRY_OK);
}

static void test_raw_rules(void **state)
{
    (void)state;
    /* Raw and typed in one request: refused naming the input (Triton's rule). */
    one_input *r = request("FP32", 1);
    float f[] = {1};
    r->contents.fp32_contents = f;
    r->contents.n_fp32_contents = 1;
    set_raw(r, f, sizeof f);
    decode_fails(r, "input 'x' sets contents while the request uses raw_input_contents", NULL);

    /* An empty contents message next to raw data is no data at all: accepted. */
    r->contents.n_fp32_contents = 0;
    assert_int_equal(decode_ok(r).nbytes, 4);

    /* One blob per input. */
    r->raw[1] = r->raw[0];
    r->req.n_raw_input_contents = 2;
    decode_fails(r, "raw_input_contents has 2 entries for 1 inputs", NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Messages and outputs                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* A packed request unpacked into the arena (as the server does) decodes with data in the arena. */
static void test_packed_round_trip(void **state)
{
    (void)state;
    one_input *r = request("INT8", 2);
    r->contents.int_contents = (int32_t[]){-3, 4};
    r->contents.n_int_contents = 2;
    Inference__ModelInferRequest__InferRequestedOutputTensor out =
        INFERENCE__MODEL_INFER_REQUEST__INFER_REQUESTED_OUTPUT_TENSOR__INIT;
    out.name = "y";
    Inference__ModelInferRequest__InferRequestedOutputTensor *outs[] = {&out};
    r->req.outputs = outs;
    r->req.n_outputs = 1;
    size_t len = inference__model_infer_request__get_packed_size(&r->req);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    inference__model_infer_request__pack(&r->req, buf);

    ProtobufCAllocator alloc = grpc_codec_allocator(&g_arena);
    Inference__ModelInferRequest *back = inference__model_infer_request__unpack(&alloc, len, buf);
    free(buf);
    assert_non_null(back);
    ferry_tensor *t = NULL;
    const char **names = NULL;
    ferry_error err;
    assert_int_equal(grpc_codec_decode_inputs(back, &g_arena, &t, &err), FERRY_OK);
    assert_int_equal(t[0].dtype, FERRY_DTYPE_INT8);
    assert_int_equal(((int8_t *)t[0].data)[0], -3);
    assert_int_equal(grpc_codec_output_names(back, &g_arena, &names, &err), FERRY_OK);
    assert_string_equal(names[0], "y");

    out.name = "";
    assert_int_equal(grpc_codec_output_names(&r->req, &g_arena, &names, &err), FERRY_INVALID_ARG);
    assert_contains(err.message, "outputs[0] has no name");

    /* Not a ModelInferRequest at all. */
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    assert_null(inference__model_infer_request__unpack(&alloc, sizeof junk, junk));
}

static void test_encode_outputs_raw(void **state)
{
    (void)state;
    float y[] = {0.25f, 0.5f};
    const uint8_t s[] = {1, 0, 0, 0, 'z'};
    ferry_tensor a = {.name = "y",
                      .dtype = FERRY_DTYPE_FP32,
                      .ndim = 1,
                      .shape = {2},
                      .data = y,
                      .nbytes = sizeof y};
    ferry_tensor b = {.name = "label",
                      .dtype = FERRY_DTYPE_BYTES,
                      .ndim = 2,
                      .shape = {1, 1},
                      .data = (void *)s,
                      .nbytes = sizeof s};
    const ferry_tensor *outs[] = {&a, &b};
    Inference__ModelInferResponse resp = INFERENCE__MODEL_INFER_RESPONSE__INIT;
    ferry_error err;
    assert_int_equal(grpc_codec_encode_outputs(outs, 2, &g_arena, &resp, &err), FERRY_OK);
    resp.model_name = "m";
    resp.model_version = "1";

    size_t len = inference__model_infer_response__get_packed_size(&resp);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    inference__model_infer_response__pack(&resp, buf);
    Inference__ModelInferResponse *back = inference__model_infer_response__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(back);
    assert_int_equal(back->n_outputs, 2);
    assert_int_equal(back->n_raw_output_contents, 2);
    assert_string_equal(back->outputs[0]->name, "y");
    assert_string_equal(back->outputs[0]->datatype, "FP32");
    assert_int_equal(back->outputs[0]->n_shape, 1);
    assert_int_equal(back->outputs[0]->shape[0], 2);
    assert_null(back->outputs[0]->contents); /* raw only, as Triton */
    assert_memory_equal(back->raw_output_contents[0].data, y, sizeof y);
    assert_string_equal(back->outputs[1]->datatype, "BYTES");
    assert_int_equal(back->raw_output_contents[1].len, sizeof s);
    assert_memory_equal(back->raw_output_contents[1].data, s, sizeof s);
    inference__model_infer_response__free_unpacked(back, NULL);
}

static void test_status_codes(void **state)
{
    (void)state;
    assert_int_equal(grpc_codes_for(FERRY_OK), GRPC_STATUS_OK);
    assert_int_equal(grpc_codes_for(FERRY_NOT_FOUND), GRPC_STATUS_NOT_FOUND);
    assert_int_equal(grpc_codes_for(FERRY_INVALID_ARG), GRPC_STATUS_INVALID_ARGUMENT);
    assert_int_equal(grpc_codes_for(FERRY_UNAVAILABLE), GRPC_STATUS_UNAVAILABLE);
    assert_int_equal(grpc_codes_for(FERRY_UNSUPPORTED), GRPC_STATUS_UNIMPLEMENTED);
    assert_int_equal(grpc_codes_for(FERRY_INTERNAL), GRPC_STATUS_INTERNAL);
    assert_int_equal(grpc_codes_for(FERRY_ALREADY_EXISTS), GRPC_STATUS_ALREADY_EXISTS);
    assert_int_equal(grpc_codes_for(FERRY_CANCELLED), GRPC_STATUS_CANCELLED);
    assert_int_equal(grpc_codes_for(FERRY_UNKNOWN), GRPC_STATUS_UNKNOWN);
    assert_int_equal(grpc_codes_for((ferry_status)999), GRPC_STATUS_INTERNAL);
    for (int s = 0; s < FERRY_STATUS_COUNT; s++)
        assert_true(grpc_codes_for((ferry_status)s) != GRPC_STATUS_OK || s == FERRY_OK);
    assert_string_equal(grpc_codes_name(GRPC_STATUS_OK), "OK");
    assert_string_equal(grpc_codes_name(GRPC_STATUS_INVALID_ARGUMENT), "INVALID_ARGUMENT");
    assert_string_equal(grpc_codes_name(GRPC_STATUS_UNAUTHENTICATED), "UNAUTHENTICATED");
    assert_string_equal(grpc_codes_name((grpc_status_code)99), "UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_typed_int8_widened, setup),
        cmocka_unit_test_setup(test_typed_int16_uint8_uint16, setup),
        cmocka_unit_test_setup(test_typed_wide_types_borrowed, setup),
        cmocka_unit_test_setup(test_typed_bool_and_bytes, setup),
        cmocka_unit_test_setup(test_typed_errors, setup),
        cmocka_unit_test_setup(test_header_errors, setup),
        cmocka_unit_test_setup(test_raw_fixed_size, setup),
        cmocka_unit_test_setup(test_raw_bytes_prefixes, setup),
        cmocka_unit_test_setup(test_raw_rules, setup),
        cmocka_unit_test_setup(test_packed_round_trip, setup),
        cmocka_unit_test_setup(test_encode_outputs_raw, setup),
        cmocka_unit_test(test_status_codes),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
