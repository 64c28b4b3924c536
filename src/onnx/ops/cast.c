/* Cast (ai.onnx, since 6): converts between bool, every integer type, float, double, float16,
 * bfloat16 and strings. Floats to integers truncate and saturate (NaN gives 0) rather than invoke
 * C's undefined behaviour; integers wrap; anything to bool is != 0. float16 and bfloat16 widen
 * exactly and narrow with one rounding to nearest-even (half.h); 64-bit integers reach them
 * through double. Numbers become their shortest round-trip text and strings are parsed strictly
 * (numtext.h): a string that is not one number fails the request naming the node and element.
 * Opset 1 (`to` as a string) is not registered. */
#include <math.h>
#include <string.h>

#include "onnx/half.h"
#include "onnx/numtext.h"
#include "onnx/op.h"
#include "onnx/tensor_proto.h"

/* X(dtype, C type, short name, min, max, kind: F float, I integer, B bool, H float16,
 * Z bfloat16). */
#define CAST_TYPES(X)                                                                              \
    X(FP16, uint16_t, f16, 0, 0, H)                                                                \
    X(BF16, uint16_t, bf16, 0, 0, Z)                                                               \
    X(FP32, float, f32, 0, 0, F)                                                                   \
    X(FP64, double, f64, 0, 0, F)                                                                  \
    X(INT8, int8_t, i8, INT8_MIN, INT8_MAX, I)                                                     \
    X(INT16, int16_t, i16, INT16_MIN, INT16_MAX, I)                                                \
    X(INT32, int32_t, i32, INT32_MIN, INT32_MAX, I)                                                \
    X(INT64, int64_t, i64, INT64_MIN, INT64_MAX, I)                                                \
    X(UINT8, uint8_t, u8, 0, UINT8_MAX, I)                                                         \
    X(UINT16, uint16_t, u16, 0, UINT16_MAX, I)                                                     \
    X(UINT32, uint32_t, u32, 0, UINT32_MAX, I)                                                     \
    X(UINT64, uint64_t, u64, 0, UINT64_MAX, I)                                                     \
    X(BOOL, uint8_t, b8, 0, 1, B)

/* The same list with a source type's columns passed through, to generate every pair. */
#define CAST_TYPES_FROM(X, DF, TF, SF, KF)                                                         \
    X(DF, TF, SF, KF, FP16, uint16_t, f16, 0, 0, H)                                                \
    X(DF, TF, SF, KF, BF16, uint16_t, bf16, 0, 0, Z)                                               \
    X(DF, TF, SF, KF, FP32, float, f32, 0, 0, F)                                                   \
    X(DF, TF, SF, KF, FP64, double, f64, 0, 0, F)                                                  \
    X(DF, TF, SF, KF, INT8, int8_t, i8, INT8_MIN, INT8_MAX, I)                                     \
    X(DF, TF, SF, KF, INT16, int16_t, i16, INT16_MIN, INT16_MAX, I)                                \
    X(DF, TF, SF, KF, INT32, int32_t, i32, INT32_MIN, INT32_MAX, I)                                \
    X(DF, TF, SF, KF, INT64, int64_t, i64, INT64_MIN, INT64_MAX, I)                                \
    X(DF, TF, SF, KF, UINT8, uint8_t, u8, 0, UINT8_MAX, I)                                         \
    X(DF, TF, SF, KF, UINT16, uint16_t, u16, 0, UINT16_MAX, I)                                     \
    X(DF, TF, SF, KF, UINT32, uint32_t, u32, 0, UINT32_MAX, I)                                     \
    X(DF, TF, SF, KF, UINT64, uint64_t, u64, 0, UINT64_MAX, I)                                     \
    X(DF, TF, SF, KF, BOOL, uint8_t, b8, 0, 1, B)

/* A source element as the value it stands for (16-bit floats widened to float), and the kind
 * of that value. */
#define LOAD_F(v) (v)
#define LOAD_I(v) (v)
#define LOAD_B(v) (v)
#define LOAD_H(v) onnx_fp16_to_float(v)
#define LOAD_Z(v) onnx_bf16_to_float(v)
#define KIND_F    F
#define KIND_I    I
#define KIND_B    B
#define KIND_H    F
#define KIND_Z    F

/* One conversion by the kinds of value and target. */
#define CONV_FF(TT, MIN, MAX, v) ((TT)(v))
#define CONV_FI(TT, MIN, MAX, v)                                                                   \
    ((v) != (v)             ? (TT)0                                                                \
     : (v) <= (double)(MIN) ? (TT)(MIN)                                                            \
     : (v) >= (double)(MAX) ? (TT)(MAX)                                                            \
                            : (TT)(v))
#define CONV_FB(TT, MIN, MAX, v) ((TT)((v) != 0))
#define CONV_IF(TT, MIN, MAX, v) ((TT)(v))
#define CONV_II(TT, MIN, MAX, v) ((TT)(v))
#define CONV_IB(TT, MIN, MAX, v) ((TT)((v) != 0))
#define CONV_BF(TT, MIN, MAX, v) ((TT)(v))
#define CONV_BI(TT, MIN, MAX, v) ((TT)(v))
#define CONV_BB(TT, MIN, MAX, v) ((TT)((v) != 0))
#define CONV_FH(TT, MIN, MAX, v) onnx_fp16_from_double((double)(v))
#define CONV_IH                  CONV_FH
#define CONV_BH                  CONV_FH
#define CONV_FZ(TT, MIN, MAX, v) onnx_bf16_from_double((double)(v))
#define CONV_IZ                  CONV_FZ
#define CONV_BZ                  CONV_FZ
#define CONV_OF(KV, KT)          CONV_OF_(KV, KT)
#define CONV_OF_(KV, KT)         CONV_##KV##KT

#define CAST_PAIR(DF, TF, SF, KF, DT, TT, ST, MIN, MAX, KT)                                        \
    static void cast_##SF##_##ST(const void *px, void *py, int64_t lo, int64_t hi)                 \
    {                                                                                              \
        const TF *x = px;                                                                          \
        TT *y = py;                                                                                \
        for (int64_t i = lo; i < hi; i++)                                                          \
            y[i] = CONV_OF(KIND_##KF, KT)(TT, MIN, MAX, LOAD_##KF(x[i]));                          \
    }
#define CAST_FROM(DF, TF, SF, MIN, MAX, KF) CAST_TYPES_FROM(CAST_PAIR, DF, TF, SF, KF)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wfloat-conversion"
CAST_TYPES(CAST_FROM)
#pragma GCC diagnostic pop

typedef void (*cast_fn)(const void *x, void *y, int64_t lo, int64_t hi);

static const cast_fn cast_table[FERRY_DTYPE_COUNT][FERRY_DTYPE_COUNT] = {
#define CAST_ROW(DF, TF, SF, KF, DT, TT, ST, MIN, MAX, KT)                                         \
    [FERRY_DTYPE_##DF][FERRY_DTYPE_##DT] = cast_##SF##_##ST,
#define CAST_ROWS(DF, TF, SF, MIN, MAX, KF) CAST_TYPES_FROM(CAST_ROW, DF, TF, SF, KF)
    CAST_TYPES(CAST_ROWS)};

typedef struct cast_params {
    ferry_dtype to;
} cast_params;

/* ------------------------------------------------------------------------------------------ */
/* Strings                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Element i of the string input x as a `to` value written to y[i]: the number it spells in the
 * dtype it reads as (numtext.h: integer literals as int64 for integer targets, others as double,
 * or float for a float target), then cast as a tensor of that dtype would be. Fails naming the
 * node and element otherwise. */
static ferry_status parse_element(const onnx_op_ctx *ctx, ferry_dtype to, int64_t i,
                                  ferry_error *err)
{
    onnx_string s = ((const onnx_string *)ctx->inputs[0]->data)[i];
    onnx_number num;
    if (!onnx_numtext_parse(s, to, &num)) {
        char shown[33];
        size_t n = s.len < 32 ? s.len : 32;
        for (size_t k = 0; k < n; k++) /* printable ASCII only: messages reach clients */
            shown[k] = s.data[k] >= 0x20 && s.data[k] < 0x7f ? s.data[k] : '?';
        shown[n] = '\0';
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "element %lld ('%s%s') is not a number", (long long)i, shown,
                               s.len > 32 ? "..." : "");
    }
    unsigned char value[8];
    size_t size = ferry_dtype_size(to);
    cast_table[num.dtype][to](&num.value, value, 0, 1);
    memcpy((char *)ctx->outputs[0]->data + (size_t)i * size, value, size);
    return FERRY_OK;
}

/* Elements [lo, hi) of x as text: element i's at scratch + i * ONNX_NUMTEXT_MAX, which the
 * planner keeps as long as the output (ONNX_OP_KEEP_SCRATCH). Every thread writes its slice into
 * the first region, which plan() sizes for the whole tensor. */
static void format_slice(const onnx_op_ctx *ctx, int64_t lo, int64_t hi)
{
    const ferry_tensor *x = ctx->inputs[0];
    size_t size = ferry_dtype_size(x->dtype);
    char *text = onnx_scratch(ctx, 0);
    onnx_string *y = ctx->outputs[0]->data;
    for (int64_t i = lo; i < hi; i++) {
        char *at = text + (size_t)i * ONNX_NUMTEXT_MAX;
        size_t len = onnx_numtext_format(x->dtype, (const char *)x->data + (size_t)i * size, at);
        y[i] = (onnx_string){.data = at, .len = len};
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Op                                                                                           */
/* ------------------------------------------------------------------------------------------ */

static const onnx_op cast_to_strings;

static ferry_status cast_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    cast_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    int64_t to;
    ferry_status st = onnx_attr_int(n, "to", 0, &to, err);
    if (st != FERRY_OK)
        return st;
    p->to = to >= INT32_MIN && to <= INT32_MAX ? onnx_dtype_from_proto((int32_t)to)
                                               : FERRY_DTYPE_INVALID;
    if (p->to == FERRY_DTYPE_BYTES)
        n->op = &cast_to_strings; /* its output points into its scratch */
    else if (p->to == FERRY_DTYPE_INVALID || cast_table[FERRY_DTYPE_FP32][p->to] == NULL)
        return onnx_node_error(err, FERRY_UNSUPPORTED, n, "casting to %s is not supported",
                               onnx_proto_type_name((int32_t)to));
    return FERRY_OK;
}

static ferry_status cast_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const cast_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    ferry_status st = onnx_check_dtype(ctx, 0,
                                       ONNX_MASK_NUMERIC | ONNX_MASK(BOOL) | ONNX_MASK(FP16) |
                                           ONNX_MASK(BF16) | ONNX_MASK_STRING,
                                       err);
    if (st == FERRY_OK)
        onnx_set_output(ctx, 0, p->to, x->ndim, x->shape);
    return st;
}

/* Numbers to text need ONNX_NUMTEXT_MAX bytes per element; strings to strings none. */
static size_t cast_plan(const onnx_op_ctx *ctx)
{
    const ferry_tensor *x = ctx->inputs[0];
    return x->dtype == FERRY_DTYPE_BYTES ? 0 : (size_t)onnx_numel(x) * ONNX_NUMTEXT_MAX;
}

static ferry_status cast_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const cast_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    int64_t lo, hi;
    onnx_slice(onnx_numel(x), ith, nth, &lo, &hi);
    if (x->dtype == p->to) { /* bit for bit, NaN payloads included; strings stay where they are */
        size_t size = onnx_elem_size(x->dtype);
        if (hi > lo)
            memcpy((char *)ctx->outputs[0]->data + (size_t)lo * size,
                   (const char *)x->data + (size_t)lo * size, (size_t)(hi - lo) * size);
    } else if (p->to == FERRY_DTYPE_BYTES) {
        format_slice(ctx, lo, hi);
    } else if (x->dtype == FERRY_DTYPE_BYTES) {
        for (int64_t i = lo; i < hi; i++) {
            ferry_status st = parse_element(ctx, p->to, i, err);
            if (st != FERRY_OK)
                return st;
        }
    } else {
        cast_table[x->dtype][p->to](x->data, ctx->outputs[0]->data, lo, hi);
    }
    return FERRY_OK;
}

/* Cast, and Cast to strings, which prepare binds instead: its text lives in the step's scratch,
 * so the planner keeps that while the run lasts, and the node is never folded ahead of time
 * (folding frees scratch). */
#define CAST_OP(NAME, FLAGS, PLAN)                                                                 \
    const onnx_op NAME = {                                                                         \
        .domain = "",                                                                              \
        .op_type = "Cast",                                                                         \
        .since_version = 6,                                                                        \
        .min_inputs = 1,                                                                           \
        .max_inputs = 1,                                                                           \
        .min_outputs = 1,                                                                          \
        .max_outputs = 1,                                                                          \
        .flags = FLAGS,                                                                            \
        .prepare = cast_prepare,                                                                   \
        .infer = cast_infer,                                                                       \
        .plan = PLAN,                                                                              \
        .run = cast_run,                                                                           \
    };
CAST_OP(onnx_op_cast_6, ONNX_OP_STRINGS, NULL)
static CAST_OP(cast_to_strings, ONNX_OP_STRINGS | ONNX_OP_NO_FOLD | ONNX_OP_KEEP_SCRATCH, cast_plan)
