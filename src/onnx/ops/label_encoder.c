/* LabelEncoder (ai.onnx.ml): maps each element to a value through a key -> value table, with a
 * default for keys not in it; Y has X's shape.
 *   opset 1: classes_strings; string input -> int64 index (default_int64, -1), int64 input ->
 *            string at that index (default_string, "_Unused"). Of repeated classes the last wins.
 *   opset 2: keys_{strings,int64s,floats} -> values_{strings,int64s,floats}; defaults
 *            default_string ("_Unused"), default_int64 (-1), default_float (-0.0).
 *   opset 4: also keys_tensor / values_tensor (string, int64, int32, int16, float, double) and
 *            default_tensor, which takes precedence over the default_* attributes. Opset 2's
 *            descriptor serves it: the additions are accepted from opset 2.
 * From opset 2 the input dtype must be the keys' and the first of repeated keys wins. Float keys
 * match NaN to NaN. The table is hashed at load; lookups allocate nothing. */
#include <stdio.h>
#include <string.h>

#include "onnx/keymap.h"
#include "onnx/ml_common.h"

static const onnx_string unused_string = {.data = "_Unused", .len = 7};

/* One side of the table: keys or values, with the dtype they stand for. */
typedef struct le_list {
    onnx_key_kind kind;
    ferry_dtype dtype;
    size_t n;
    const void *items; /* onnx_string, int64_t or double */
} le_list;

typedef struct label_encoder_params {
    bool v1;
    onnx_keymap keys;
    ferry_dtype key_dtype;
    le_list values;
    onnx_string def_string; /* the default, as the values' kind */
    int64_t def_int;
    double def_float;
} label_encoder_params;

static ferry_status le_no_memory(const onnx_node *n, ferry_error *err)
{
    return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
}

/* ------------------------------------------------------------------------------------------ */
/* Attributes                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static onnx_key_kind kind_of(ferry_dtype d)
{
    if (d == FERRY_DTYPE_BYTES)
        return ONNX_KEY_STRING;
    return d == FERRY_DTYPE_FP32 || d == FERRY_DTYPE_FP64 ? ONNX_KEY_FLOAT : ONNX_KEY_INT;
}

/* A tensor attribute's elements as a list of their kind (ints widened to int64, floats to
 * double). */
static ferry_status list_from_tensor(onnx_graph *g, const onnx_node *n, const char *name,
                                     const ferry_tensor *t, le_list *out, ferry_error *err)
{
    uint32_t ok = ONNX_MASK_STRING | ONNX_MASK(INT64) | ONNX_MASK(INT32) | ONNX_MASK(INT16) |
                  ONNX_MASK_FLOATS;
    if (!(ok & (1u << t->dtype)))
        return onnx_node_error(err, FERRY_UNSUPPORTED, n, "attribute '%s' holds %s", name,
                               ferry_dtype_name(t->dtype));
    size_t count = (size_t)onnx_numel(t);
    *out = (le_list){.kind = kind_of(t->dtype), .dtype = t->dtype, .n = count, .items = t->data};
    if (t->dtype == FERRY_DTYPE_BYTES || t->dtype == FERRY_DTYPE_INT64 ||
        t->dtype == FERRY_DTYPE_FP64)
        return FERRY_OK;
    if (out->kind == ONNX_KEY_INT) {
        int64_t *v = onnx_graph_alloc(g, count * sizeof *v);
        if (v == NULL)
            return le_no_memory(n, err);
        for (size_t i = 0; i < count; i++)
            v[i] = t->dtype == FERRY_DTYPE_INT32 ? ((const int32_t *)t->data)[i]
                                                 : ((const int16_t *)t->data)[i];
        out->items = v;
        return FERRY_OK;
    }
    double *v = onnx_graph_alloc(g, count * sizeof *v);
    if (v == NULL)
        return le_no_memory(n, err);
    for (size_t i = 0; i < count; i++)
        v[i] = ((const float *)t->data)[i];
    out->items = v;
    return FERRY_OK;
}

/* Reads `<side>_strings`, `<side>_int64s`, `<side>_floats` or `<side>_tensor` (exactly one). */
static ferry_status read_list(onnx_graph *g, const onnx_node *n, const char *side, le_list *out,
                              ferry_error *err)
{
    char names[4][32];
    snprintf(names[0], sizeof names[0], "%s_strings", side);
    snprintf(names[1], sizeof names[1], "%s_int64s", side);
    snprintf(names[2], sizeof names[2], "%s_floats", side);
    snprintf(names[3], sizeof names[3], "%s_tensor", side);
    const onnx_string *strs;
    const int64_t *ints;
    const float *floats;
    const ferry_tensor *t;
    size_t n_strs, n_ints, n_floats;
    ferry_status st = onnx_ml_attr_strings(g, n, names[0], &strs, &n_strs, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, names[1], &ints, &n_ints, err);
    if (st == FERRY_OK)
        st = onnx_attr_floats(n, names[2], &floats, &n_floats, err);
    if (st == FERRY_OK)
        st = onnx_attr_tensor(n, names[3], &t, err);
    if (st != FERRY_OK)
        return st;
    int set = (onnx_attr_find(n, names[0]) != NULL) + (onnx_attr_find(n, names[1]) != NULL) +
              (onnx_attr_find(n, names[2]) != NULL) + (t != NULL);
    if (set != 1)
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "exactly one of %s, %s, %s and %s must be set", names[0], names[1],
                               names[2], names[3]);
    if (t != NULL)
        return list_from_tensor(g, n, names[3], t, out, err);
    if (onnx_attr_find(n, names[0]) != NULL) {
        *out = (le_list){
            .kind = ONNX_KEY_STRING, .dtype = FERRY_DTYPE_BYTES, .n = n_strs, .items = strs};
    } else if (onnx_attr_find(n, names[1]) != NULL) {
        *out =
            (le_list){.kind = ONNX_KEY_INT, .dtype = FERRY_DTYPE_INT64, .n = n_ints, .items = ints};
    } else {
        double *v = onnx_graph_alloc(g, n_floats * sizeof *v);
        if (v == NULL)
            return le_no_memory(n, err);
        for (size_t i = 0; i < n_floats; i++)
            v[i] = floats[i];
        *out =
            (le_list){.kind = ONNX_KEY_FLOAT, .dtype = FERRY_DTYPE_FP32, .n = n_floats, .items = v};
    }
    return FERRY_OK;
}

/* The default for values of p->values' kind: default_tensor, else default_string, default_int64
 * or default_float. */
static ferry_status read_default(onnx_graph *g, const onnx_node *n, label_encoder_params *p,
                                 ferry_error *err)
{
    const char *s;
    float f;
    const ferry_tensor *t;
    ferry_status st = onnx_attr_string(n, "default_string", NULL, &s, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "default_int64", -1, &p->def_int, err);
    if (st == FERRY_OK)
        st = onnx_attr_float(n, "default_float", -0.0f, &f, err);
    if (st == FERRY_OK)
        st = onnx_attr_tensor(n, "default_tensor", &t, err);
    if (st != FERRY_OK)
        return st;
    p->def_float = f;
    p->def_string = unused_string;
    if (s != NULL)
        p->def_string = (onnx_string){.data = s, .len = onnx_attr_find(n, "default_string")->s_len};
    if (t == NULL)
        return FERRY_OK;
    le_list d;
    st = list_from_tensor(g, n, "default_tensor", t, &d, err);
    if (st == FERRY_OK && (d.n < 1 || d.kind != p->values.kind))
        st = onnx_node_error(err, FERRY_INVALID_ARG, n,
                             "default_tensor must hold one value of the values' type");
    if (st != FERRY_OK)
        return st;
    if (d.kind == ONNX_KEY_STRING)
        p->def_string = ((const onnx_string *)d.items)[0];
    else if (d.kind == ONNX_KEY_INT)
        p->def_int = ((const int64_t *)d.items)[0];
    else
        p->def_float = ((const double *)d.items)[0];
    return FERRY_OK;
}

static ferry_status le_prepare_v2(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    label_encoder_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return le_no_memory(n, err);
    n->params = p;
    le_list keys;
    ferry_status st = read_list(g, n, "keys", &keys, err);
    if (st == FERRY_OK)
        st = read_list(g, n, "values", &p->values, err);
    if (st == FERRY_OK && keys.n != p->values.n)
        st = onnx_node_error(err, FERRY_INVALID_ARG, n, "%zu keys for %zu values", keys.n,
                             p->values.n);
    if (st == FERRY_OK)
        st = read_default(g, n, p, err);
    if (st != FERRY_OK)
        return st;
    p->key_dtype = keys.dtype;
    st = onnx_keymap_build(g, &p->keys, keys.kind, keys.items, keys.n, false, err);
    char label[256];
    if (st != FERRY_OK)
        ferry_error_prefix(err, "%s: ", onnx_node_label(n, label, sizeof label));
    return st;
}

static ferry_status le_prepare_v1(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    label_encoder_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return le_no_memory(n, err);
    n->params = p;
    p->v1 = true;
    const onnx_string *classes;
    size_t n_classes;
    ferry_status st = onnx_ml_attr_strings(g, n, "classes_strings", &classes, &n_classes, err);
    if (st == FERRY_OK)
        st = read_default(g, n, p, err);
    if (st != FERRY_OK)
        return st;
    p->values = (le_list){
        .kind = ONNX_KEY_STRING, .dtype = FERRY_DTYPE_BYTES, .n = n_classes, .items = classes};
    st = onnx_keymap_build(g, &p->keys, ONNX_KEY_STRING, classes, n_classes, true, err);
    char label[256];
    if (st != FERRY_OK)
        ferry_error_prefix(err, "%s: ", onnx_node_label(n, label, sizeof label));
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Shapes and lookups                                                                           */
/* ------------------------------------------------------------------------------------------ */

static ferry_status le_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const label_encoder_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    ferry_dtype out = p->values.dtype;
    if (p->v1) {
        ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK_STRING | ONNX_MASK(INT64), err);
        if (st != FERRY_OK)
            return st;
        out = x->dtype == FERRY_DTYPE_BYTES ? FERRY_DTYPE_INT64 : FERRY_DTYPE_BYTES;
    } else if (x->dtype != p->key_dtype) {
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "X holds %s but the keys are %s",
                               ferry_dtype_name(x->dtype), ferry_dtype_name(p->key_dtype));
    }
    onnx_set_output(ctx, 0, out, x->ndim, x->shape);
    return FERRY_OK;
}

/* Index of element i of x among the keys, or -1. */
static int64_t find_key(const label_encoder_params *p, const ferry_tensor *x, int64_t i)
{
    switch (x->dtype) {
    case FERRY_DTYPE_BYTES:
        return onnx_keymap_find_string(&p->keys, ((const onnx_string *)x->data)[i]);
    case FERRY_DTYPE_INT64:
        return onnx_keymap_find_int(&p->keys, ((const int64_t *)x->data)[i]);
    case FERRY_DTYPE_INT32:
        return onnx_keymap_find_int(&p->keys, ((const int32_t *)x->data)[i]);
    case FERRY_DTYPE_INT16:
        return onnx_keymap_find_int(&p->keys, ((const int16_t *)x->data)[i]);
    case FERRY_DTYPE_FP32:
        return onnx_keymap_find_float(&p->keys, ((const float *)x->data)[i]);
    default:
        return onnx_keymap_find_float(&p->keys, ((const double *)x->data)[i]);
    }
}

/* Writes value k (the default when k < 0) to element i of y. */
static void write_value(const label_encoder_params *p, int64_t k, ferry_tensor *y, int64_t i)
{
    const le_list *v = &p->values;
    onnx_string s =
        k >= 0 && v->kind == ONNX_KEY_STRING ? ((const onnx_string *)v->items)[k] : p->def_string;
    int64_t n = k >= 0 && v->kind == ONNX_KEY_INT ? ((const int64_t *)v->items)[k] : p->def_int;
    double f = k >= 0 && v->kind == ONNX_KEY_FLOAT ? ((const double *)v->items)[k] : p->def_float;
    switch (y->dtype) {
    case FERRY_DTYPE_BYTES:
        ((onnx_string *)y->data)[i] = s;
        break;
    case FERRY_DTYPE_INT64:
        ((int64_t *)y->data)[i] = n;
        break;
    case FERRY_DTYPE_INT32:
        ((int32_t *)y->data)[i] = (int32_t)n;
        break;
    case FERRY_DTYPE_INT16:
        ((int16_t *)y->data)[i] = (int16_t)n;
        break;
    case FERRY_DTYPE_FP32:
        ((float *)y->data)[i] = (float)f;
        break;
    default:
        ((double *)y->data)[i] = f;
        break;
    }
}

static ferry_status le_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const label_encoder_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    ferry_tensor *y = ctx->outputs[0];
    int64_t lo, hi;
    onnx_slice(onnx_numel(x), ith, nth, &lo, &hi);
    if (p->v1 && x->dtype == FERRY_DTYPE_INT64) { /* an index into classes_strings */
        for (int64_t i = lo; i < hi; i++) {
            int64_t k = ((const int64_t *)x->data)[i];
            write_value(p, k >= 0 && (uint64_t)k < p->values.n ? k : -1, y, i);
        }
    } else if (p->v1) { /* the index of a class */
        for (int64_t i = lo; i < hi; i++) {
            int64_t k = find_key(p, x, i);
            ((int64_t *)y->data)[i] = k >= 0 ? k : p->def_int;
        }
    } else {
        for (int64_t i = lo; i < hi; i++)
            write_value(p, find_key(p, x, i), y, i);
    }
    return FERRY_OK;
}

#define LABEL_ENCODER(SINCE, PREPARE)                                                              \
    const onnx_op onnx_op_label_encoder_##SINCE = {                                                \
        .domain = ONNX_ML_DOMAIN,                                                                  \
        .op_type = "LabelEncoder",                                                                 \
        .since_version = SINCE,                                                                    \
        .min_inputs = 1,                                                                           \
        .max_inputs = 1,                                                                           \
        .min_outputs = 1,                                                                          \
        .max_outputs = 1,                                                                          \
        .flags = ONNX_OP_STRINGS,                                                                  \
        .prepare = PREPARE,                                                                        \
        .infer = le_infer,                                                                         \
        .run = le_run,                                                                             \
    };

LABEL_ENCODER(1, le_prepare_v1)
LABEL_ENCODER(2, le_prepare_v2)
