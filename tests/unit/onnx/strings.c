/* Unit tests for string tensors in the ONNX engine (src/onnx/strings.c, and their path through
 * tensor_proto.c, plan.c, exec.c and session.c): parsing and writing ferry's wire layout
 * (malformed data refused), string initializers, an input passed straight to an output and
 * through Identity, Equal against an initializer, two batch sizes, strings through
 * ArrayFeatureExtractor and LabelEncoder, a malformed request refused naming the input, models
 * from tests/data/onnx/strings/ (tests/data/onnx/make_ml_models.py), and strings moved by Gather,
 * Transpose, Reshape, Concat, Constant, Expand, Slice, Split and Tile; an op without string
 * support refuses them at load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "onnx/model.h"
#include "onnx/session.h"
#include "onnx/strings.h"
#include "onnx/tensor_proto.h"
#include "onnx_model.h"
#include "test_support.h"

/* Wire layout of the given strings (lengths explicit: they may hold NULs) into buf; returns the
 * size. */
static size_t wire(unsigned char *buf, size_t n, const char *const *s, const size_t *len)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t l = (uint32_t)len[i];
        buf[at] = (unsigned char)l;
        buf[at + 1] = (unsigned char)(l >> 8);
        buf[at + 2] = (unsigned char)(l >> 16);
        buf[at + 3] = (unsigned char)(l >> 24);
        memcpy(buf + at + 4, s[i], len[i]);
        at += 4 + len[i];
    }
    return at;
}

static void test_parse_and_write(void **state)
{
    (void)state;
    static const char *const s[] = {"", "a\0b", "h\xc3\xa9llo"};
    static const size_t len[] = {0, 3, 6};
    unsigned char buf[64], back[64];
    size_t n = wire(buf, 3, s, len);
    onnx_string parsed[3];
    ferry_error err;
    assert_int_equal(onnx_strings_parse(buf, n, 3, parsed, "x", &err), FERRY_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(parsed[i].len, len[i]);
        if (len[i] > 0)
            assert_memory_equal(parsed[i].data, s[i], len[i]);
    }
    assert_true(onnx_string_equal(parsed[1], (onnx_string){.data = "a\0b", .len = 3}));
    assert_false(onnx_string_equal(parsed[1], (onnx_string){.data = "a", .len = 1}));
    size_t size = 0;
    assert_int_equal(onnx_strings_wire_size(parsed, 3, "y", &size, &err), FERRY_OK);
    assert_int_equal(size, n);
    onnx_strings_write(parsed, 3, back);
    assert_memory_equal(back, buf, n);
    /* Checking only, and zero strings in zero bytes. */
    assert_int_equal(onnx_strings_parse(buf, n, 3, NULL, "x", &err), FERRY_OK);
    assert_int_equal(onnx_strings_parse(buf, 0, 0, parsed, "x", &err), FERRY_OK);
    /* Malformed: more strings than data, a cut length prefix, a cut string, bytes left over. */
    assert_int_equal(onnx_strings_parse(buf, n, 4, parsed, "x", &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "input 'x' holds fewer strings"));
    assert_int_equal(onnx_strings_parse(buf, 2, 1, parsed, "x", &err), FERRY_INVALID_ARG);
    assert_int_equal(onnx_strings_parse(buf, n - 1, 3, parsed, "x", &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "is truncated"));
    assert_int_equal(onnx_strings_parse(buf, n, 2, parsed, "x", &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "more data"));
    assert_int_equal(onnx_elem_size(FERRY_DTYPE_BYTES), sizeof(onnx_string));
    assert_int_equal(onnx_elem_size(FERRY_DTYPE_FP64), 8);
}

/* ------------------------------------------------------------------------------------------ */
/* Through a session                                                                            */
/* ------------------------------------------------------------------------------------------ */

static onnx_model *load(const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s/model.onnx", ts_source("tests/data/onnx/strings"), name);
    onnx_model *m = NULL;
    ferry_error err;
    if (onnx_model_load_file(path, &m, &err) != FERRY_OK)
        fail_msg("%s", err.message);
    return m;
}

static ferry_tensor bytes_tensor(const char *name, unsigned char *buf, size_t n,
                                 const char *const *s, const size_t *len)
{
    ferry_tensor t = {.name = name, .dtype = FERRY_DTYPE_BYTES, .ndim = 1};
    t.shape[0] = (int64_t)n;
    t.nbytes = wire(buf, n, s, len);
    t.data = buf;
    return t;
}

static void test_pass_through_two_batches(void **state)
{
    (void)state;
    onnx_model *m = load("pass_through");
    assert_int_equal(m->n_inputs, 1);
    assert_int_equal(m->inputs[0].dtype, FERRY_DTYPE_BYTES);
    assert_int_equal(m->inputs[0].shape[0], -1);
    assert_int_equal(m->n_outputs, 4);
    assert_int_equal(m->outputs[0].dtype, FERRY_DTYPE_BYTES);
    assert_int_equal(m->outputs[2].dtype, FERRY_DTYPE_BOOL);
    assert_int_equal(m->outputs[3].shape[0], 1);
    onnx_session *s = NULL;
    ferry_error err;
    assert_int_equal(onnx_session_create(m, &s, &err), FERRY_OK);
    arena a;
    arena_init(&a, 1 << 20);
    ferry_allocator alloc = arena_allocator(&a);
    static const char *const batches[2][3] = {{"a\0b", "zz", ""}, {"q", "a\0b", "a"}};
    static const size_t lens[2][3] = {{3, 2, 0}, {1, 3, 1}};
    for (int pass = 0; pass < 4; pass++) {
        size_t n = pass % 2 == 0 ? 3 : 2; /* two batch sizes, each run twice */
        unsigned char buf[64];
        ferry_tensor in = bytes_tensor("X", buf, n, batches[pass % 2], lens[pass % 2]), out[4];
        assert_int_equal(onnx_session_run(s, &in, 1, out, &alloc, &err), FERRY_OK);
        for (int k = 0; k < 2; k++) { /* X itself, and Identity(X) */
            assert_int_equal(out[k].dtype, FERRY_DTYPE_BYTES);
            assert_int_equal(out[k].shape[0], (int64_t)n);
            assert_int_equal(out[k].nbytes, in.nbytes);
            assert_memory_equal(out[k].data, in.data, in.nbytes);
        }
        const uint8_t *eq = out[2].data;
        for (size_t i = 0; i < n; i++)
            assert_int_equal(eq[i], lens[pass % 2][i] == 3);
        static const unsigned char constant[] = {3, 0, 0, 0, 'a', 0, 'b'};
        assert_int_equal(out[3].nbytes, sizeof constant);
        assert_memory_equal(out[3].data, constant, sizeof constant);
        arena_reset(&a);
    }
    assert_int_equal(onnx_session_plan_count(s), 2);
    arena_free(&a);
    onnx_session_destroy(s);
    onnx_model_destroy(m);
}

static void test_malformed_request_names_the_input(void **state)
{
    (void)state;
    onnx_model *m = load("pass_through");
    onnx_session *s = NULL;
    ferry_error err;
    assert_int_equal(onnx_session_create(m, &s, &err), FERRY_OK);
    arena a;
    arena_init(&a, 1 << 20);
    ferry_allocator alloc = arena_allocator(&a);
    static const char *const two[] = {"ab", "c"};
    static const size_t lens[] = {2, 1};
    unsigned char buf[64];
    ferry_tensor in = bytes_tensor("X", buf, 2, two, lens), out[4];
    in.shape[0] = 3; /* more strings than the data holds */
    assert_int_equal(onnx_session_run(s, &in, 1, out, &alloc, &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "input 'X'"));
    in.shape[0] = 2;
    in.nbytes -= 1; /* the last string cut short */
    assert_int_equal(onnx_session_run(s, &in, 1, out, &alloc, &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "truncated"));
    in.nbytes += 1;
    assert_int_equal(onnx_session_run(s, &in, 1, out, &alloc, &err), FERRY_OK);
    arena_free(&a);
    onnx_session_destroy(s);
    onnx_model_destroy(m);
}

static void test_feature_pipeline(void **state)
{
    (void)state;
    onnx_model *m = load("feature_pipeline");
    onnx_session *s = NULL;
    ferry_error err;
    assert_int_equal(onnx_session_create(m, &s, &err), FERRY_OK);
    char path[4200];
    snprintf(path, sizeof path, "%s/feature_pipeline/test_data_set_0/input_0.pb",
             ts_source("tests/data/onnx/strings"));
    ferry_tensor in, out;
    assert_int_equal(onnx_tensor_read_file(path, &in, &err), FERRY_OK);
    assert_int_equal(in.dtype, FERRY_DTYPE_BYTES);
    assert_int_equal(in.ndim, 2);
    arena a;
    arena_init(&a, 1 << 20);
    ferry_allocator alloc = arena_allocator(&a);
    assert_int_equal(onnx_session_run(s, &in, 1, &out, &alloc, &err), FERRY_OK);
    const int64_t *y = out.data;
    assert_int_equal(out.dtype, FERRY_DTYPE_INT64);
    assert_int_equal(y[0], 2);  /* medium */
    assert_int_equal(y[1], 3);  /* large */
    assert_int_equal(y[2], 1);  /* small */
    assert_int_equal(y[3], -1); /* tiny: the default */
    arena_free(&a);
    ferry_tensor_release(&in);
    onnx_session_destroy(s);
    onnx_model_destroy(m);
}

/* Strings through the ops that move elements without reading them, in one model: Gather,
 * Transpose, Reshape + Concat with a Constant's value_strings, Expand of a value_string, Slice
 * with a negative step, Split and Tile (the Constant branches folded at load); run twice. */
static void test_copying_ops_move_strings(void **state)
{
    (void)state;
    static const int64_t xs[] = {2, 3}, two[] = {2}, one[] = {1};
    static const int64_t idx[] = {1, 0}, six[] = {6}, starts[] = {4}, ends[] = {0}, steps[] = {-2},
                         split[] = {1, 2}, reps[] = {2}, ex_shape[] = {2};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "X", FERRY_DTYPE_BYTES, 2, xs);
    ts_onnx_initializer(b, "idx", FERRY_DTYPE_INT64, 1, two, idx);
    ts_onnx_initializer(b, "six", FERRY_DTYPE_INT64, 1, one, six);
    ts_onnx_initializer(b, "starts", FERRY_DTYPE_INT64, 1, one, starts);
    ts_onnx_initializer(b, "ends", FERRY_DTYPE_INT64, 1, one, ends);
    ts_onnx_initializer(b, "steps", FERRY_DTYPE_INT64, 1, one, steps);
    ts_onnx_initializer(b, "split", FERRY_DTYPE_INT64, 1, two, split);
    ts_onnx_initializer(b, "reps", FERRY_DTYPE_INT64, 1, one, reps);
    ts_onnx_initializer(b, "ex_shape", FERRY_DTYPE_INT64, 1, one, ex_shape);
    ts_onnx_attr_strings(b, ts_onnx_node(b, "Constant", "", "c"), "value_strings", 2,
                         (const char *const[]){"k1", "k2"});
    ts_onnx_attr_string(b, ts_onnx_node(b, "Constant", "", "s0"), "value_string", "solo");
    ts_onnx_node(b, "Gather", "X,idx", "g");
    ts_onnx_node(b, "Transpose", "X", "tr");
    ts_onnx_node(b, "Reshape", "X,six", "r");
    ts_onnx_attr_int(b, ts_onnx_node(b, "Concat", "r,c", "cat"), "axis", 0);
    ts_onnx_node(b, "Expand", "s0,ex_shape", "ex");
    ts_onnx_node(b, "Slice", "r,starts,ends,,steps", "sl");
    ts_onnx_attr_int(b, ts_onnx_node(b, "Split", "X,split", "sp1,sp2"), "axis", 1);
    ts_onnx_node(b, "Tile", "c,reps", "ti");
    static const char *const names[] = {"g", "tr", "cat", "ex", "sl", "sp1", "sp2", "ti"};
    static const int ranks[] = {2, 2, 1, 1, 1, 2, 2, 1};
    for (size_t k = 0; k < 8; k++)
        ts_onnx_output(b, names[k], FERRY_DTYPE_BYTES, ranks[k], (int64_t[]){-1, -1});
    onnx_model *m = ts_onnx_load_ok(b);
    onnx_session *s = NULL;
    ferry_error err;
    assert_int_equal(onnx_session_create(m, &s, &err), FERRY_OK);
    arena a;
    arena_init(&a, 1 << 20);
    ferry_allocator alloc = arena_allocator(&a);
    for (int pass = 0; pass < 2; pass++) {
        ferry_tensor in = ts_onnx_strings(
                         "X", 2, xs, (const char *const[]){"a", "bb", "ccc", "dddd", "e", "ff"},
                         &a),
                     out[8];
        assert_int_equal(onnx_session_run(s, &in, 1, out, &alloc, &err), FERRY_OK);
        ts_onnx_assert_strings(&out[0], 6,
                               (const char *const[]){"dddd", "e", "ff", "a", "bb", "ccc"});
        ts_onnx_assert_strings(&out[1], 6,
                               (const char *const[]){"a", "dddd", "bb", "e", "ccc", "ff"});
        assert_int_equal(out[1].shape[0], 3);
        ts_onnx_assert_strings(
            &out[2], 8, (const char *const[]){"a", "bb", "ccc", "dddd", "e", "ff", "k1", "k2"});
        ts_onnx_assert_strings(&out[3], 2, (const char *const[]){"solo", "solo"});
        ts_onnx_assert_strings(&out[4], 2, (const char *const[]){"e", "ccc"});
        ts_onnx_assert_strings(&out[5], 2, (const char *const[]){"a", "dddd"});
        ts_onnx_assert_strings(&out[6], 4, (const char *const[]){"bb", "ccc", "e", "ff"});
        ts_onnx_assert_strings(&out[7], 4, (const char *const[]){"k1", "k2", "k1", "k2"});
        arena_reset(&a);
    }
    arena_free(&a);
    onnx_session_destroy(s);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

/* An op that does not handle strings refuses them at load, naming the node and the input. */
static void test_numeric_op_refuses_strings(void **state)
{
    (void)state;
    static const int64_t s[] = {2};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "X", FERRY_DTYPE_BYTES, 1, s);
    ts_onnx_output(b, "Y", FERRY_DTYPE_BYTES, 1, s);
    ts_onnx_node(b, "Dropout", "X", "Y");
    ts_onnx_load_fails(
        b, FERRY_UNSUPPORTED,
        "(Dropout): input 0 ('X') is a string tensor, which Dropout does not support yet");
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_write),
        cmocka_unit_test(test_pass_through_two_batches),
        cmocka_unit_test(test_malformed_request_names_the_input),
        cmocka_unit_test(test_feature_pipeline),
        cmocka_unit_test(test_copying_ops_move_strings),
        cmocka_unit_test(test_numeric_op_refuses_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
