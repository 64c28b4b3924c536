/* Unit tests for the ONNX loader and model (src/onnx/loader.c, model.c): models built here with
 * the protobuf-c structs generated from onnx.proto cover unsupported ops (named with domain, opset
 * and node), external data refused, IR version 10 and unknown newer fields, optional inputs named
 * "", graph inputs that are also initializers, Constant nodes, unsorted nodes and cycles; and
 * truncated or corrupted copies of digits_mlp fail cleanly, never crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "onnx.pb-c.h"
#include "onnx/model.h"
#include "onnx/session.h"
#include "onnx/tensor_proto.h"
#include "test_support.h"

/* ------------------------------------------------------------------------------------------ */
/* Building models                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* Test-lifetime memory for protobuf structs (freed in one go by pool_reset). */
static struct {
    unsigned char bytes[1 << 16];
    size_t used;
} pool;

static void *pool_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    assert_true(pool.used + n <= sizeof pool.bytes);
    void *p = pool.bytes + pool.used;
    pool.used += n;
    memset(p, 0, n);
    return p;
}

static Onnx__ValueInfoProto *value_info(const char *name, int elem, int ndim, const int64_t *dims)
{
    Onnx__ValueInfoProto *vi = pool_alloc(sizeof *vi);
    Onnx__TypeProto *tp = pool_alloc(sizeof *tp);
    Onnx__TypeProto__Tensor *tt = pool_alloc(sizeof *tt);
    Onnx__TensorShapeProto *sp = pool_alloc(sizeof *sp);
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sp);
    sp->n_dim = (size_t)ndim;
    sp->dim = pool_alloc((size_t)(ndim + 1) * sizeof *sp->dim);
    for (int d = 0; d < ndim; d++) {
        Onnx__TensorShapeProto__Dimension *dim = pool_alloc(sizeof *dim);
        onnx__tensor_shape_proto__dimension__init(dim);
        if (dims[d] < 0) {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim->dim_param = "batch";
        } else {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim->dim_value = dims[d];
        }
        sp->dim[d] = dim;
    }
    tt->has_elem_type = 1;
    tt->elem_type = elem;
    tt->shape = sp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->name = (char *)name;
    vi->type = tp;
    return vi;
}

static Onnx__TensorProto *float_tensor(const char *name, int ndim, const int64_t *dims,
                                       const float *values, size_t n)
{
    Onnx__TensorProto *t = pool_alloc(sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = (char *)name;
    t->has_data_type = 1;
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->n_dims = (size_t)ndim;
    t->dims = (int64_t *)dims;
    t->n_float_data = n;
    t->float_data = (float *)values;
    return t;
}

static Onnx__NodeProto *node(const char *op, const char *name, size_t n_in, const char **in,
                             size_t n_out, const char **out)
{
    Onnx__NodeProto *nd = pool_alloc(sizeof *nd);
    onnx__node_proto__init(nd);
    nd->op_type = (char *)op;
    nd->name = (char *)name;
    nd->domain = "";
    nd->n_input = n_in;
    nd->input = (char **)in;
    nd->n_output = n_out;
    nd->output = (char **)out;
    return nd;
}

typedef struct model_spec {
    int64_t ir_version, opset;
    size_t n_nodes;
    Onnx__NodeProto **nodes;
    size_t n_inputs;
    Onnx__ValueInfoProto **inputs;
    size_t n_outputs;
    Onnx__ValueInfoProto **outputs;
    size_t n_inits;
    Onnx__TensorProto **inits;
} model_spec;

/* Serializes a model into malloc'ed bytes. */
static uint8_t *pack_model(const model_spec *s, size_t *len)
{
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    opset.domain = "";
    opset.has_version = 1;
    opset.version = s->opset;
    Onnx__OperatorSetIdProto *opsets[] = {&opset};
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    g.name = "test";
    g.n_node = s->n_nodes;
    g.node = s->nodes;
    g.n_input = s->n_inputs;
    g.input = s->inputs;
    g.n_output = s->n_outputs;
    g.output = s->outputs;
    g.n_initializer = s->n_inits;
    g.initializer = s->inits;
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    m.has_ir_version = 1;
    m.ir_version = s->ir_version;
    m.n_opset_import = 1;
    m.opset_import = opsets;
    m.graph = &g;
    *len = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = malloc(*len + 16);
    assert_non_null(buf);
    assert_int_equal(onnx__model_proto__pack(&m, buf), *len);
    return buf;
}

static ferry_status load_spec(const model_spec *s, onnx_model **m, ferry_error *err)
{
    size_t len;
    uint8_t *buf = pack_model(s, &len);
    ferry_status st = onnx_model_load_buffer(buf, len, "test.onnx", m, err);
    free(buf);
    return st;
}

/* Runs a one-input, one-output FP32 model on x[n] and returns the output's first n values. */
static void run_model(const onnx_model *m, const int64_t *shape, int ndim, const float *x, float *y,
                      size_t n)
{
    onnx_session *s;
    ferry_error err;
    assert_int_equal(onnx_session_create(m, &s, &err), FERRY_OK);
    ferry_tensor in = {.name = "x",
                       .dtype = FERRY_DTYPE_FP32,
                       .ndim = ndim,
                       .data = (void *)x,
                       .nbytes = n * sizeof *x};
    memcpy(in.shape, shape, (size_t)ndim * sizeof *shape);
    arena a;
    arena_init(&a, 1 << 20);
    ferry_allocator alloc = arena_allocator(&a);
    ferry_tensor out[4];
    ferry_status st = onnx_session_run(s, &in, 1, out, &alloc, &err);
    if (st != FERRY_OK)
        fail_msg("run failed: %s", err.message);
    assert_int_equal(out[0].nbytes, n * sizeof *y);
    memcpy(y, out[0].data, n * sizeof *y);
    arena_free(&a);
    onnx_session_destroy(s);
}

static int setup(void **state)
{
    (void)state;
    pool.used = 0;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Models built here                                                                            */
/* ------------------------------------------------------------------------------------------ */

static const int64_t vec4[] = {4};
static const char *x_in[] = {"x"}, *y_out[] = {"y"};

static void test_unsupported_op_named(void **state)
{
    (void)state;
    Onnx__NodeProto *nodes[] = {node("FancyOp", "fancy_1", 1, x_in, 1, y_out)};
    Onnx__ValueInfoProto *ins[] = {value_info("x", 1, 1, vec4)};
    Onnx__ValueInfoProto *outs[] = {value_info("y", 1, 1, vec4)};
    model_spec s = {.ir_version = 7,
                    .opset = 13,
                    .n_nodes = 1,
                    .nodes = nodes,
                    .n_inputs = 1,
                    .inputs = ins,
                    .n_outputs = 1,
                    .outputs = outs};
    onnx_model *m = NULL;
    ferry_error err;
    assert_int_equal(load_spec(&s, &m, &err), FERRY_UNSUPPORTED);
    const char *needles[] = {"test.onnx", "FancyOp", "ai.onnx", "opset 13", "fancy_1"};
    for (size_t i = 0; i < 5; i++)
        if (strstr(err.message, needles[i]) == NULL)
            fail_msg("'%s' does not name '%s'", err.message, needles[i]);
    /* An op ferry has, at an opset older than any registered version. */
    nodes[0]->op_type = "Gemm";
    s.opset = 5;
    assert_int_equal(load_spec(&s, &m, &err), FERRY_UNSUPPORTED);
    assert_non_null(strstr(err.message, "supported from opset 7"));
}

static void test_external_data_refused(void **state)
{
    (void)state;
    static const float w[4] = {1, 2, 3, 4};
    Onnx__TensorProto *init = float_tensor("w", 1, vec4, w, 4);
    init->has_data_location = 1;
    init->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    init->n_float_data = 0;
    static const char *in[] = {"x", "w"};
    Onnx__NodeProto *nodes[] = {node("Add", "add", 2, in, 1, y_out)};
    Onnx__ValueInfoProto *ins[] = {value_info("x", 1, 1, vec4)};
    Onnx__ValueInfoProto *outs[] = {value_info("y", 1, 1, vec4)};
    Onnx__TensorProto *inits[] = {init};
    model_spec s = {.ir_version = 8,
                    .opset = 14,
                    .n_nodes = 1,
                    .nodes = nodes,
                    .n_inputs = 1,
                    .inputs = ins,
                    .n_outputs = 1,
                    .outputs = outs,
                    .n_inits = 1,
                    .inits = inits};
    onnx_model *m = NULL;
    ferry_error err;
    assert_int_equal(load_spec(&s, &m, &err), FERRY_UNSUPPORTED);
    assert_non_null(strstr(err.message, "external data"));
    assert_non_null(strstr(err.message, "'w'"));
}

/* Gemm with C omitted (""), W both an initializer and a graph input, then Relu, at IR 10 with
 * a symbolic batch; checks values and the -1 batch in the metadata. */
static void test_optional_input_and_initializer_input(void **state)
{
    (void)state;
    static const int64_t xdims[] = {-1, 2}, wdims[] = {2, 2}, ydims[] = {-1, 2};
    static const float w[4] = {1, -1, 2, 0.5f};
    static const char *gemm_in[] = {"x", "w", ""}, *gemm_out[] = {"h"}, *relu_in[] = {"h"};
    Onnx__NodeProto *nodes[] = {node("Gemm", "g", 3, gemm_in, 1, gemm_out),
                                node("Relu", "r", 1, relu_in, 1, y_out)};
    Onnx__ValueInfoProto *ins[] = {value_info("x", 1, 2, xdims), value_info("w", 1, 2, wdims)};
    Onnx__ValueInfoProto *outs[] = {value_info("y", 1, 2, ydims)};
    Onnx__TensorProto *inits[] = {float_tensor("w", 2, wdims, w, 4)};
    model_spec s = {.ir_version = 10,
                    .opset = 21,
                    .n_nodes = 2,
                    .nodes = nodes,
                    .n_inputs = 2,
                    .inputs = ins,
                    .n_outputs = 1,
                    .outputs = outs,
                    .n_inits = 1,
                    .inits = inits};
    onnx_model *m = NULL;
    ferry_error err;
    ferry_status st = load_spec(&s, &m, &err);
    if (st != FERRY_OK)
        fail_msg("%s", err.message);
    assert_int_equal(m->n_inputs, 1); /* w is a constant, not a request input */
    assert_int_equal(m->inputs[0].shape[0], -1);
    assert_int_equal(m->outputs[0].shape[0], -1);
    assert_int_equal(m->outputs[0].shape[1], 2);
    static const int64_t shape[] = {3, 2};
    const float x[6] = {1, 1, -1, 0, 0.5f, 2};
    float y[6];
    run_model(m, shape, 2, x, y, 6);
    const float want[6] = {3, 0, 0, 1, 4.5f, 0.5f}; /* relu(x . w) */
    for (int i = 0; i < 6; i++)
        assert_float_equal(y[i], want[i], 1e-6);
    onnx_model_destroy(m);
}

/* A Constant feeding Add, with the nodes listed out of order (the loader sorts them). */
static void test_constant_and_unsorted_nodes(void **state)
{
    (void)state;
    static const float c[4] = {10, 20, 30, 40};
    Onnx__AttributeProto *value = pool_alloc(sizeof *value);
    onnx__attribute_proto__init(value);
    value->name = "value";
    value->has_type = 1;
    value->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    value->t = float_tensor("", 1, vec4, c, 4);
    Onnx__AttributeProto **attrs = pool_alloc(sizeof *attrs);
    attrs[0] = value;
    static const char *add_in[] = {"x", "c"}, *const_out[] = {"c"};
    Onnx__NodeProto *constant = node("Constant", "k", 0, NULL, 1, const_out);
    constant->n_attribute = 1;
    constant->attribute = attrs;
    Onnx__NodeProto *nodes[] = {node("Add", "add", 2, add_in, 1, y_out), constant};
    Onnx__ValueInfoProto *ins[] = {value_info("x", 1, 1, vec4)};
    Onnx__ValueInfoProto *outs[] = {value_info("y", 1, 1, vec4)};
    model_spec s = {.ir_version = 3,
                    .opset = 7,
                    .n_nodes = 2,
                    .nodes = nodes,
                    .n_inputs = 1,
                    .inputs = ins,
                    .n_outputs = 1,
                    .outputs = outs};
    onnx_model *m = NULL;
    ferry_error err;
    if (load_spec(&s, &m, &err) != FERRY_OK)
        fail_msg("%s", err.message);
    const float x[4] = {1, 2, 3, 4};
    float y[4];
    run_model(m, vec4, 1, x, y, 4);
    for (int i = 0; i < 4; i++)
        assert_float_equal(y[i], x[i] + c[i], 0);
    onnx_model_destroy(m);
}

static void test_cycle_and_dangling_input(void **state)
{
    (void)state;
    static const char *a_in[] = {"x", "b"}, *a_out[] = {"a"}, *b_in[] = {"a"}, *b_out[] = {"b"};
    Onnx__NodeProto *nodes[] = {node("Add", "first", 2, a_in, 1, a_out),
                                node("Relu", "second", 1, b_in, 1, b_out)};
    Onnx__ValueInfoProto *ins[] = {value_info("x", 1, 1, vec4)};
    Onnx__ValueInfoProto *outs[] = {value_info("b", 1, 1, vec4)};
    model_spec s = {.ir_version = 7,
                    .opset = 13,
                    .n_nodes = 2,
                    .nodes = nodes,
                    .n_inputs = 1,
                    .inputs = ins,
                    .n_outputs = 1,
                    .outputs = outs};
    onnx_model *m = NULL;
    ferry_error err;
    assert_int_equal(load_spec(&s, &m, &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "cycle"));
    static const char *ghost_in[] = {"ghost"};
    nodes[1]->input = (char **)ghost_in;
    nodes[0]->input = (char **)x_in;
    nodes[0]->n_input = 1;
    assert_int_equal(load_spec(&s, &m, &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "'ghost'"));
    assert_non_null(strstr(err.message, "second"));
}

static void test_inconsistent_shapes_fail_at_load(void **state)
{
    (void)state;
    static const int64_t three[] = {3};
    static const float w[3] = {1, 2, 3};
    static const char *in[] = {"x", "w"};
    Onnx__NodeProto *nodes[] = {node("Add", "mismatch", 2, in, 1, y_out)};
    Onnx__ValueInfoProto *ins[] = {value_info("x", 1, 1, vec4)};
    Onnx__ValueInfoProto *outs[] = {value_info("y", 1, 1, vec4)};
    Onnx__TensorProto *inits[] = {float_tensor("w", 1, three, w, 3)};
    model_spec s = {.ir_version = 7,
                    .opset = 13,
                    .n_nodes = 1,
                    .nodes = nodes,
                    .n_inputs = 1,
                    .inputs = ins,
                    .n_outputs = 1,
                    .outputs = outs,
                    .n_inits = 1,
                    .inits = inits};
    onnx_model *m = NULL;
    ferry_error err;
    assert_int_equal(load_spec(&s, &m, &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "mismatch"));
    assert_non_null(strstr(err.message, "broadcast"));
    /* A typed initializer whose values do not fill its dims. */
    inits[0] = float_tensor("w", 1, vec4, w, 3);
    assert_int_equal(load_spec(&s, &m, &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "initializer 'w'"));
}

/* ------------------------------------------------------------------------------------------ */
/* Damaged files                                                                                */
/* ------------------------------------------------------------------------------------------ */

static uint8_t *read_mlp(size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/model.onnx", ts_shared("models/digits_mlp"));
    uint8_t *data = (uint8_t *)ts_read_file(path, len);
    assert_non_null(data);
    return data;
}

/* Loads bytes that may or may not be a model: any outcome but a crash is fine; a failure has a
 * message. */
static void load_anything(const uint8_t *data, size_t len)
{
    onnx_model *m = NULL;
    ferry_error err = {0};
    ferry_status st = onnx_model_load_buffer(data, len, "damaged.onnx", &m, &err);
    if (st == FERRY_OK) {
        onnx_model_destroy(m);
        return;
    }
    assert_true(strlen(err.message) > 0);
    assert_non_null(strstr(err.message, "damaged.onnx"));
}

static void test_truncated_model_fails_cleanly(void **state)
{
    (void)state;
    size_t len;
    uint8_t *data = read_mlp(&len);
    for (size_t cut = 0; cut < len; cut += cut < 512 ? 1 : 211)
        load_anything(data, cut);
    onnx_model *m = NULL;
    ferry_error err;
    assert_int_equal(onnx_model_load_buffer(data, len / 2, "damaged.onnx", &m, &err),
                     FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "truncated or corrupt"));
    free(data);
}

static void test_corrupted_model_fails_cleanly(void **state)
{
    (void)state;
    size_t len;
    uint8_t *data = read_mlp(&len);
    uint8_t *copy = malloc(len);
    srand(42);
    for (int trial = 0; trial < 400; trial++) {
        memcpy(copy, data, len);
        int flips = 1 + rand() % 4;
        for (int f = 0; f < flips; f++) /* the structure lives in the first and last bytes */
            copy[(size_t)rand() % (trial % 2 ? len : (len < 600 ? len : 600))] ^=
                (uint8_t)(1 + rand() % 255);
        load_anything(copy, len);
    }
    memset(copy, 0xff, len);
    load_anything(copy, len);
    free(copy);
    free(data);
}

static void test_unknown_fields_ignored(void **state)
{
    (void)state;
    size_t len;
    uint8_t *data = read_mlp(&len);
    uint8_t *longer = malloc(len + 3);
    memcpy(longer, data, len);
    /* Field 99 (varint) = 1: what a newer ONNX release adds arrives as an unknown field. */
    longer[len] = 0x98;
    longer[len + 1] = 0x06;
    longer[len + 2] = 0x01;
    onnx_model *m = NULL;
    ferry_error err;
    assert_int_equal(onnx_model_load_buffer(longer, len + 3, "newer.onnx", &m, &err), FERRY_OK);
    onnx_model_destroy(m);
    free(longer);
    free(data);
}

/* Found by the fuzzer: a tensor whose dims promise 2^33 floats and that holds none must be refused
 * before anything is allocated for it (it used to ask for the 32 GiB first). */
static void test_dims_larger_than_data_refused_before_allocating(void **state)
{
    (void)state;
    static const int64_t huge[] = {(int64_t)1 << 33};
    static const float three[] = {1, 2, 3};
    const Onnx__TensorProto *cases[] = {float_tensor("value", 1, huge, NULL, 0),
                                        float_tensor("value", 1, huge, three, 3)};
    for (size_t i = 0; i < 2; i++) {
        arena a;
        arena_init(&a, 1 << 16);
        ferry_tensor t;
        ferry_error err;
        assert_int_equal(onnx_tensor_from_proto(cases[i], &a, "attribute 'value'", &t, &err),
                         FERRY_INVALID_ARG);
        assert_non_null(strstr(err.message, "attribute 'value' holds"));
        assert_non_null(strstr(err.message, "its dims make 8589934592"));
        arena_free(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_unsupported_op_named, setup),
        cmocka_unit_test_setup(test_external_data_refused, setup),
        cmocka_unit_test_setup(test_optional_input_and_initializer_input, setup),
        cmocka_unit_test_setup(test_constant_and_unsorted_nodes, setup),
        cmocka_unit_test_setup(test_cycle_and_dangling_input, setup),
        cmocka_unit_test_setup(test_inconsistent_shapes_fail_at_load, setup),
        cmocka_unit_test(test_truncated_model_fails_cleanly),
        cmocka_unit_test(test_corrupted_model_fails_cleanly),
        cmocka_unit_test(test_unknown_fields_ignored),
        cmocka_unit_test_setup(test_dims_larger_than_data_refused_before_allocating, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
