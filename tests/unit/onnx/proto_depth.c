/* Unit tests for the nesting pre-scan of protobuf bytes (src/onnx/proto_depth.c) and its use in
 * the loader: a model of subgraphs within subgraphs 100,000 deep (which overflows the stack inside
 * protobuf-c's recursive unpack) and one of sequence types within each other are refused with a
 * message naming the limit; nesting up to the limit passes; broken wire bytes are refused; unknown
 * length-delimited fields are skipped unread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "onnx/model.h"
#include "onnx/proto_depth.h"

#define LEN(field) (uint8_t)((field) << 3 | 2) /* the tag of a length-delimited field */

/* Bytes built from the inside out: each wrap puts a tag and a length before what is there. */
typedef struct nest {
    uint8_t *buf, *at;
    size_t len;
} nest;

static void nest_init(nest *n, size_t cap)
{
    n->buf = malloc(cap);
    assert_non_null(n->buf);
    n->at = n->buf + cap;
    n->len = 0;
}

static void wrap(nest *n, uint8_t tag)
{
    uint8_t v[10];
    size_t k = 0;
    uint64_t len = n->len;
    do {
        v[k++] = (uint8_t)((len & 0x7f) | (len > 0x7f ? 0x80 : 0));
        len >>= 7;
    } while (len);
    assert_true((size_t)(n->at - n->buf) >= k + 1);
    n->at -= k;
    memcpy(n->at, v, k);
    *--n->at = tag;
    n->len += k + 1;
}

/* The body of a ModelProto whose graph holds a node whose attribute holds a graph, and so on:
 * `levels` subgraphs deep (messages nest 2 + 3 * levels deep). */
static void subgraphs(nest *n, long levels)
{
    nest_init(n, (size_t)levels * 3 * 5 + 16);
    for (long i = 0; i < levels; i++) {
        wrap(n, LEN(6)); /* AttributeProto.g */
        wrap(n, LEN(5)); /* NodeProto.attribute */
        wrap(n, LEN(1)); /* GraphProto.node */
    }
    wrap(n, LEN(7)); /* ModelProto.graph */
}

static void test_deep_subgraphs_refused(void **state)
{
    (void)state;
    nest n;
    subgraphs(&n, 100000);
    onnx_model *m = NULL;
    ferry_error err;
    assert_int_equal(onnx_model_load_buffer(n.at, n.len, "deep.onnx", &m, &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "deep.onnx: protobuf messages nest more than 64 levels"));
    free(n.buf);
}

/* A graph input of type sequence(sequence(...)) 1,000 deep: types recurse too. */
static void test_deep_types_refused(void **state)
{
    (void)state;
    nest n;
    nest_init(&n, 1000 * 2 * 5 + 64);
    for (int i = 0; i < 1000; i++) {
        wrap(&n, LEN(1)); /* TypeProto.Sequence.elem_type */
        wrap(&n, LEN(4)); /* TypeProto.sequence_type */
    }
    wrap(&n, LEN(2));  /* ValueInfoProto.type */
    wrap(&n, LEN(11)); /* GraphProto.input */
    wrap(&n, LEN(7));  /* ModelProto.graph */
    onnx_model *m = NULL;
    ferry_error err;
    assert_int_equal(onnx_model_load_buffer(n.at, n.len, "types.onnx", &m, &err),
                     FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "nest more than 64 levels"));
    free(n.buf);
}

/* 5 subgraph levels nest 17 deep: a limit of 17 passes, 16 does not. Within the default limit
 * the loader goes on (and refuses the nodes for lacking an op type). */
static void test_limit_is_exact(void **state)
{
    (void)state;
    nest n;
    subgraphs(&n, 5);
    ferry_error err;
    assert_int_equal(
        onnx_proto_check_depth(n.at, n.len, &onnx__model_proto__descriptor, 17, "x", &err),
        FERRY_OK);
    assert_int_equal(
        onnx_proto_check_depth(n.at, n.len, &onnx__model_proto__descriptor, 16, "x", &err),
        FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "x: protobuf messages nest more than 16 levels"));
    free(n.buf);
    subgraphs(&n, 20); /* 62 deep */
    onnx_model *m = NULL;
    assert_int_equal(onnx_model_load_buffer(n.at, n.len, "ok.onnx", &m, &err), FERRY_INVALID_ARG);
    assert_null(strstr(err.message, "nest more than"));
    free(n.buf);
}

static void test_broken_bytes_and_unknown_fields(void **state)
{
    (void)state;
    ferry_error err;
    const ProtobufCMessageDescriptor *d = &onnx__model_proto__descriptor;
    /* graph (field 7) announcing 5 bytes of which 2 are there */
    static const uint8_t cut[] = {LEN(7), 5, 0x0a, 0x00};
    assert_int_equal(onnx_proto_check_depth(cut, sizeof cut, d, 64, "cut", &err),
                     FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "cut: not a valid ONNX model (the protobuf is truncated"));
    /* a node (inside the graph) whose length runs past the graph's end */
    static const uint8_t over[] = {LEN(7), 2, LEN(1), 9, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(onnx_proto_check_depth(over, sizeof over, d, 64, "over", &err),
                     FERRY_INVALID_ARG);
    /* a varint that never ends, a group, a fixed64 cut short */
    static const uint8_t endless[] = {0x08, 0xff, 0xff};
    static const uint8_t group[] = {0x0b};
    static const uint8_t fixed[] = {0x09, 1, 2, 3};
    assert_int_equal(onnx_proto_check_depth(endless, 3, d, 64, "v", &err), FERRY_INVALID_ARG);
    assert_int_equal(onnx_proto_check_depth(group, 1, d, 64, "g", &err), FERRY_INVALID_ARG);
    assert_int_equal(onnx_proto_check_depth(fixed, 4, d, 64, "f", &err), FERRY_INVALID_ARG);
    /* unknown field 99 holding bytes that would be a deep message: skipped, not opened; then
     * ir_version (varint), a fixed32 and a fixed64 of unknown fields */
    nest n;
    subgraphs(&n, 1000);
    n.at[0] = 0x9a; /* field 99, length-delimited: a two-byte tag in place of field 7's one */
    *--n.at = 0x9a;
    n.at[1] = 0x06;
    n.len++;
    assert_int_equal(onnx_proto_check_depth(n.at, n.len, d, 64, "unknown", &err), FERRY_OK);
    free(n.buf);
    static const uint8_t scalars[] = {0x08, 0x96, 0x01, 0xa5, 0x06, 1, 2, 3, 4, 0xa1,
                                      0x06, 1,    2,    3,    4,    5, 6, 7, 8};
    assert_int_equal(onnx_proto_check_depth(scalars, sizeof scalars, d, 64, "s", &err), FERRY_OK);
    assert_int_equal(onnx_proto_check_depth(scalars, 0, d, 64, "empty", &err), FERRY_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_subgraphs_refused),
        cmocka_unit_test(test_deep_types_refused),
        cmocka_unit_test(test_limit_is_exact),
        cmocka_unit_test(test_broken_bytes_and_unknown_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
