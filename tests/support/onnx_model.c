/* Building, loading and running small ONNX models in tests; see onnx_model.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_model.h"
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "onnx/session.h"
#include "onnx/strings.h"
#include "onnx/tensor_proto.h"

#define TS_ONNX_MAX_ITEMS 16 /* inputs, initializers, outputs, nodes, attributes per node */

typedef struct ts_onnx_node_slot {
    Onnx__NodeProto proto;
    char *input[TS_ONNX_MAX_ITEMS], *output[TS_ONNX_MAX_ITEMS];
    Onnx__AttributeProto attrs[TS_ONNX_MAX_ITEMS];
    Onnx__AttributeProto *attr_ptrs[TS_ONNX_MAX_ITEMS];
} ts_onnx_node_slot;

/* A declared value: ValueInfoProto with its type and shape. */
typedef struct ts_onnx_value {
    Onnx__ValueInfoProto info;
    Onnx__TypeProto type;
    Onnx__TypeProto__Tensor tensor;
    Onnx__TensorShapeProto shape;
    Onnx__TensorShapeProto__Dimension dims[FERRY_MAX_DIMS];
    Onnx__TensorShapeProto__Dimension *dim_ptrs[FERRY_MAX_DIMS];
} ts_onnx_value;

struct ts_onnx_model {
    int64_t opset;
    ts_onnx_value inputs[TS_ONNX_MAX_ITEMS], outputs[TS_ONNX_MAX_ITEMS];
    size_t n_inputs, n_outputs;
    Onnx__TensorProto inits[TS_ONNX_MAX_ITEMS];
    size_t n_inits;
    ts_onnx_node_slot nodes[TS_ONNX_MAX_ITEMS];
    size_t n_nodes;
    char *strings[512]; /* every copied string and buffer, freed with the model */
    size_t n_strings;
};

static void *keep(ts_onnx_model *b, void *p)
{
    assert_non_null(p);
    assert_true(b->n_strings < sizeof b->strings / sizeof b->strings[0]);
    b->strings[b->n_strings++] = p;
    return p;
}

static char *copy_string(ts_onnx_model *b, const char *s, size_t len)
{
    char *p = keep(b, malloc(len + 1));
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* ONNX's TensorProto.DataType for a ferry dtype. */
static int32_t proto_type(ferry_dtype dtype)
{
    for (int32_t t = 1; t < 32; t++)
        if (onnx_dtype_from_proto(t) == dtype)
            return t;
    fail_msg("no ONNX type for %s", ferry_dtype_name(dtype));
    return 0;
}

ts_onnx_model *ts_onnx_create(int64_t opset)
{
    ts_onnx_model *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->opset = opset;
    return b;
}

void ts_onnx_destroy(ts_onnx_model *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n_strings; i++)
        free(b->strings[i]);
    free(b);
}

static void value(ts_onnx_model *b, ts_onnx_value *v, const char *name, ferry_dtype dtype, int ndim,
                  const int64_t *shape)
{
    onnx__value_info_proto__init(&v->info);
    onnx__type_proto__init(&v->type);
    onnx__type_proto__tensor__init(&v->tensor);
    onnx__tensor_shape_proto__init(&v->shape);
    assert_true(ndim >= 0 && ndim <= FERRY_MAX_DIMS);
    for (int d = 0; d < ndim; d++) {
        Onnx__TensorShapeProto__Dimension *dim = &v->dims[d];
        onnx__tensor_shape_proto__dimension__init(dim);
        if (shape[d] < 0) {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim->dim_param = copy_string(b, "n", 1);
        } else {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim->dim_value = shape[d];
        }
        v->dim_ptrs[d] = dim;
    }
    v->shape.n_dim = (size_t)ndim;
    v->shape.dim = v->dim_ptrs;
    v->tensor.has_elem_type = 1;
    v->tensor.elem_type = proto_type(dtype);
    v->tensor.shape = &v->shape;
    v->type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    v->type.tensor_type = &v->tensor;
    v->info.name = copy_string(b, name, strlen(name));
    v->info.type = &v->type;
}

void ts_onnx_input(ts_onnx_model *b, const char *name, ferry_dtype dtype, int ndim,
                   const int64_t *shape)
{
    assert_true(b->n_inputs < TS_ONNX_MAX_ITEMS);
    value(b, &b->inputs[b->n_inputs++], name, dtype, ndim, shape);
}

void ts_onnx_output(ts_onnx_model *b, const char *name, ferry_dtype dtype, int ndim,
                    const int64_t *shape)
{
    assert_true(b->n_outputs < TS_ONNX_MAX_ITEMS);
    value(b, &b->outputs[b->n_outputs++], name, dtype, ndim, shape);
}

void ts_onnx_initializer(ts_onnx_model *b, const char *name, ferry_dtype dtype, int ndim,
                         const int64_t *shape, const void *data)
{
    assert_true(b->n_inits < TS_ONNX_MAX_ITEMS);
    Onnx__TensorProto *t = &b->inits[b->n_inits++];
    onnx__tensor_proto__init(t);
    size_t count = 1;
    for (int d = 0; d < ndim; d++)
        count *= (size_t)shape[d];
    size_t bytes = count * ferry_dtype_size(dtype);
    t->name = copy_string(b, name, strlen(name));
    t->has_data_type = 1;
    t->data_type = proto_type(dtype);
    t->n_dims = (size_t)ndim;
    t->dims = keep(b, malloc(((size_t)ndim + 1) * sizeof *t->dims));
    if (ndim > 0)
        memcpy(t->dims, shape, (size_t)ndim * sizeof *shape);
    t->has_raw_data = 1;
    t->raw_data.len = bytes;
    t->raw_data.data = keep(b, malloc(bytes + 1));
    if (bytes > 0)
        memcpy(t->raw_data.data, data, bytes);
}

/* Splits "a,,b" into names (an empty one stays ""). */
static size_t split_names(ts_onnx_model *b, const char *list, char **out)
{
    size_t n = 0;
    if (list == NULL || list[0] == '\0')
        return 0;
    for (const char *p = list;; p++) {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        assert_true(n < TS_ONNX_MAX_ITEMS);
        out[n++] = copy_string(b, p, len);
        if (end == NULL)
            return n;
        p = end;
    }
}

int ts_onnx_node(ts_onnx_model *b, const char *op_type, const char *inputs, const char *outputs)
{
    assert_true(b->n_nodes < TS_ONNX_MAX_ITEMS);
    ts_onnx_node_slot *n = &b->nodes[b->n_nodes];
    onnx__node_proto__init(&n->proto);
    n->proto.op_type = copy_string(b, op_type, strlen(op_type));
    n->proto.name = copy_string(b, op_type, strlen(op_type));
    n->proto.domain = copy_string(b, "", 0);
    n->proto.n_input = split_names(b, inputs, n->input);
    n->proto.input = n->input;
    n->proto.n_output = split_names(b, outputs, n->output);
    n->proto.output = n->output;
    n->proto.attribute = n->attr_ptrs;
    return (int)b->n_nodes++;
}

static Onnx__AttributeProto *attr(ts_onnx_model *b, int node, const char *name,
                                  Onnx__AttributeProto__AttributeType type)
{
    assert_true(node >= 0 && (size_t)node < b->n_nodes);
    ts_onnx_node_slot *n = &b->nodes[node];
    assert_true(n->proto.n_attribute < TS_ONNX_MAX_ITEMS);
    Onnx__AttributeProto *a = &n->attrs[n->proto.n_attribute];
    n->attr_ptrs[n->proto.n_attribute++] = a;
    onnx__attribute_proto__init(a);
    a->name = copy_string(b, name, strlen(name));
    a->has_type = 1;
    a->type = type;
    return a;
}

void ts_onnx_attr_int(ts_onnx_model *b, int node, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(b, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

void ts_onnx_attr_ints(ts_onnx_model *b, int node, const char *name, size_t n, const int64_t *v)
{
    Onnx__AttributeProto *a = attr(b, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = n;
    a->ints = keep(b, malloc((n + 1) * sizeof *a->ints));
    if (n > 0)
        memcpy(a->ints, v, n * sizeof *v);
}

void ts_onnx_attr_float(ts_onnx_model *b, int node, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(b, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

void ts_onnx_attr_string(ts_onnx_model *b, int node, const char *name, const char *v)
{
    Onnx__AttributeProto *a = attr(b, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.len = strlen(v);
    a->s.data = (uint8_t *)copy_string(b, v, a->s.len);
}

void ts_onnx_attr_strings(ts_onnx_model *b, int node, const char *name, size_t n,
                          const char *const *v)
{
    Onnx__AttributeProto *a = attr(b, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    a->n_strings = n;
    a->strings = keep(b, malloc((n + 1) * sizeof *a->strings));
    for (size_t i = 0; i < n; i++) {
        a->strings[i].len = strlen(v[i]);
        a->strings[i].data = (uint8_t *)copy_string(b, v[i], a->strings[i].len);
    }
}

/* The model packed into a malloc'ed buffer of *len bytes. */
static uint8_t *pack(const ts_onnx_model *b, size_t *len)
{
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    opset.domain = "";
    opset.has_version = 1;
    opset.version = b->opset;
    Onnx__OperatorSetIdProto *opsets[] = {&opset};
    Onnx__NodeProto *nodes[TS_ONNX_MAX_ITEMS];
    Onnx__ValueInfoProto *inputs[TS_ONNX_MAX_ITEMS], *outputs[TS_ONNX_MAX_ITEMS];
    Onnx__TensorProto *inits[TS_ONNX_MAX_ITEMS];
    for (size_t i = 0; i < b->n_nodes; i++)
        nodes[i] = (Onnx__NodeProto *)&b->nodes[i].proto;
    for (size_t i = 0; i < b->n_inputs; i++)
        inputs[i] = (Onnx__ValueInfoProto *)&b->inputs[i].info;
    for (size_t i = 0; i < b->n_outputs; i++)
        outputs[i] = (Onnx__ValueInfoProto *)&b->outputs[i].info;
    for (size_t i = 0; i < b->n_inits; i++)
        inits[i] = (Onnx__TensorProto *)&b->inits[i];
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    g.name = "test";
    g.n_node = b->n_nodes;
    g.node = nodes;
    g.n_input = b->n_inputs;
    g.input = inputs;
    g.n_output = b->n_outputs;
    g.output = outputs;
    g.n_initializer = b->n_inits;
    g.initializer = inits;
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    m.has_ir_version = 1;
    m.ir_version = 8;
    m.n_opset_import = 1;
    m.opset_import = opsets;
    m.graph = &g;
    *len = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = malloc(*len + 1);
    assert_non_null(buf);
    assert_int_equal(onnx__model_proto__pack(&m, buf), *len);
    return buf;
}

ferry_status ts_onnx_load(const ts_onnx_model *b, onnx_model **out, ferry_error *err)
{
    return ts_onnx_load_with(b, NULL, out, err);
}

ferry_status ts_onnx_load_with(const ts_onnx_model *b, const onnx_model_options *opts,
                               onnx_model **out, ferry_error *err)
{
    size_t len = 0;
    uint8_t *buf = pack(b, &len);
    ferry_status st = onnx_model_load_buffer_with(buf, len, "test.onnx", opts, out, err);
    free(buf);
    return st;
}

void ts_onnx_write(const ts_onnx_model *b, const char *path)
{
    size_t len = 0;
    uint8_t *buf = pack(b, &len);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(buf);
}

onnx_model *ts_onnx_load_ok(const ts_onnx_model *b)
{
    return ts_onnx_load_ok_with(b, NULL);
}

onnx_model *ts_onnx_load_ok_with(const ts_onnx_model *b, const onnx_model_options *opts)
{
    onnx_model *m = NULL;
    ferry_error err;
    if (ts_onnx_load_with(b, opts, &m, &err) != FERRY_OK)
        fail_msg("loading failed: %s", err.message);
    return m;
}

void ts_onnx_load_fails(const ts_onnx_model *b, ferry_status code, const char *needle)
{
    onnx_model *m = NULL;
    ferry_error err;
    ferry_status st = ts_onnx_load(b, &m, &err);
    if (st == FERRY_OK) {
        onnx_model_destroy(m);
        fail_msg("the model loaded; expected an error naming '%s'", needle);
    }
    if (st != code || strstr(err.message, needle) == NULL)
        fail_msg("got status %d '%s'; expected %d naming '%s'", (int)st, err.message, (int)code,
                 needle);
}

ferry_tensor ts_onnx_tensor(const char *name, ferry_dtype dtype, int ndim, const int64_t *shape,
                            const void *data)
{
    ferry_tensor t = {.name = name, .dtype = dtype, .ndim = ndim, .data = (void *)data};
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        t.shape[d] = shape[d];
        count *= (size_t)shape[d];
    }
    t.nbytes = count * ferry_dtype_size(dtype);
    return t;
}

ferry_tensor ts_onnx_strings(const char *name, int ndim, const int64_t *shape, const char *const *s,
                             arena *a)
{
    ferry_tensor t = ts_onnx_tensor(name, FERRY_DTYPE_BYTES, ndim, shape, NULL);
    int64_t count = 1;
    for (int d = 0; d < ndim; d++)
        count *= shape[d];
    onnx_string *parts = arena_alloc(a, (size_t)count * sizeof *parts + 1);
    assert_non_null(parts);
    for (int64_t i = 0; i < count; i++)
        parts[i] = (onnx_string){.data = s[i], .len = strlen(s[i])};
    ferry_error err;
    assert_int_equal(onnx_strings_wire_size(parts, count, name, &t.nbytes, &err), FERRY_OK);
    t.data = arena_alloc(a, t.nbytes + 1);
    assert_non_null(t.data);
    onnx_strings_write(parts, count, t.data);
    return t;
}

void ts_onnx_assert_strings(const ferry_tensor *t, size_t n, const char *const *want)
{
    assert_int_equal(t->dtype, FERRY_DTYPE_BYTES);
    onnx_string got[64];
    assert_true(n <= 64);
    ferry_error err;
    if (onnx_strings_parse(t->data, t->nbytes, (int64_t)n, got, "output", &err) != FERRY_OK)
        fail_msg("%s", err.message);
    for (size_t i = 0; i < n; i++)
        if (!onnx_string_equal(got[i], (onnx_string){.data = want[i], .len = strlen(want[i])}))
            fail_msg("string %zu is '%.*s', expected '%s'", i, (int)got[i].len, got[i].data,
                     want[i]);
}

ferry_status ts_onnx_run(const onnx_model *m, const ferry_tensor *inputs, size_t n,
                         ferry_tensor *outputs, arena *a, ferry_error *err)
{
    onnx_session *s = NULL;
    ferry_status st = onnx_session_create(m, &s, err);
    if (st != FERRY_OK)
        return st;
    ferry_allocator alloc = arena_allocator(a);
    st = onnx_session_run(s, inputs, n, outputs, &alloc, err);
    onnx_session_destroy(s);
    return st;
}

void ts_onnx_run_ok(const onnx_model *m, const ferry_tensor *inputs, size_t n,
                    ferry_tensor *outputs, arena *a)
{
    ferry_error err;
    if (ts_onnx_run(m, inputs, n, outputs, a, &err) != FERRY_OK)
        fail_msg("running failed: %s", err.message);
}

void ts_onnx_write_slow_identity(const char *path, int width, int layers)
{
    ts_write_file(path, ""); /* creates the folders */
    float *eye = calloc((size_t)width * (size_t)width, sizeof *eye);
    assert_non_null(eye);
    for (int i = 0; i < width; i++)
        eye[(size_t)i * (size_t)width + (size_t)i] = 1.0f;
    ts_onnx_model *b = ts_onnx_create(13);
    int64_t in_shape[2] = {-1, width}, w_shape[2] = {width, width};
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, in_shape);
    ts_onnx_initializer(b, "eye", FERRY_DTYPE_FP32, 2, w_shape, eye);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, in_shape);
    char prev[16] = "x", next[16], edges[64];
    for (int l = 0; l < layers; l++) {
        snprintf(next, sizeof next, l == layers - 1 ? "y" : "h%d", l);
        snprintf(edges, sizeof edges, "%s,eye", prev);
        ts_onnx_node(b, "MatMul", edges, next);
        snprintf(prev, sizeof prev, "%s", next);
    }
    ts_onnx_write(b, path);
    ts_onnx_destroy(b);
    free(eye);
}
