/* Pow (ai.onnx, since 7): X ^ Y with numpy broadcasting; the output has X's dtype. X is float,
 * double, int32 or int64 and Y any numeric dtype (mixed types and integers are opset 12's, accepted
 * from 7). Floats use the C library's pow (powf for float ^ float); integer ^ integer is exact with
 * wrap-around, a negative exponent truncating the result toward 0 (1 and -1 stay +-1); integer ^
 * float rounds toward 0 and saturates (NaN gives 0). Opset 1 (legacy broadcast attributes) is not
 * registered. */
#include <math.h>

#include "onnx/broadcast.h"
#include "onnx/op.h"

/* X(dtype, C type, short name, kind: F float or I integer) for the bases. */
#define POW_BASES(X)                                                                               \
    X(FP32, float, f32, F)                                                                         \
    X(FP64, double, f64, F)                                                                        \
    X(INT32, int32_t, i32, I)                                                                      \
    X(INT64, int64_t, i64, I)

/* Every exponent dtype, with the base's columns passed through. */
#define POW_EXPONENTS(X, DA, TA, SA, KA)                                                           \
    X(DA, TA, SA, KA, FP32, float, f32, F)                                                         \
    X(DA, TA, SA, KA, FP64, double, f64, F)                                                        \
    X(DA, TA, SA, KA, INT8, int8_t, i8, I)                                                         \
    X(DA, TA, SA, KA, INT16, int16_t, i16, I)                                                      \
    X(DA, TA, SA, KA, INT32, int32_t, i32, I)                                                      \
    X(DA, TA, SA, KA, INT64, int64_t, i64, I)                                                      \
    X(DA, TA, SA, KA, UINT8, uint8_t, u8, I)                                                       \
    X(DA, TA, SA, KA, UINT16, uint16_t, u16, I)                                                    \
    X(DA, TA, SA, KA, UINT32, uint32_t, u32, I)                                                    \
    X(DA, TA, SA, KA, UINT64, uint64_t, u64, I)

/* Integer power by squaring, wrapping modulo 2^64 (and so modulo the base's width). */
static int64_t pow_int(int64_t base, bool negative, uint64_t e)
{
    if (negative)
        return base == 1 ? 1 : base == -1 ? ((e & 1) ? -1 : 1) : 0;
    uint64_t r = 1, b = (uint64_t)base;
    for (; e != 0; e >>= 1, b *= b)
        if (e & 1)
            r *= b;
    return (int64_t)r;
}

/* One element by the kinds of base and exponent. */
#define POW_FF(TA, TB, a, b) ((TA) _Generic((TA)0 + (TB)0, float : powf, default : pow)(a, b))
#define POW_FI(TA, TB, a, b) POW_FF(TA, TB, a, b)
#define POW_IF(TA, TB, a, b) pow_saturate_##TA(pow((double)(a), (double)(b)))
#define POW_II(TA, TB, a, b) ((TA)pow_int((int64_t)(a), (b) < 0, (uint64_t)(b)))

static inline int32_t pow_saturate_int32_t(double d)
{
    return d != d ? 0 : d <= INT32_MIN ? INT32_MIN : d >= INT32_MAX ? INT32_MAX : (int32_t)d;
}

static inline int64_t pow_saturate_int64_t(double d)
{
    return d != d ? 0 : d <= (double)INT64_MIN ? INT64_MIN : d >= 0x1p63 ? INT64_MAX : (int64_t)d;
}

#define POW_PAIR(DA, TA, SA, KA, DB, TB, SB, KB)                                                   \
    static void pow_##SA##_##SB(const onnx_broadcast *bc, const void *pa, const void *pb,          \
                                void *py, int64_t row0, int64_t row1)                              \
    {                                                                                              \
        const int64_t inner = bc->shape[bc->ndim - 1];                                             \
        const int64_t sa = bc->strides[0][bc->ndim - 1], sb = bc->strides[1][bc->ndim - 1];        \
        for (int64_t r = row0; r < row1; r++) {                                                    \
            int64_t off[ONNX_BROADCAST_MAX_INPUTS];                                                \
            onnx_broadcast_row(bc, r, off);                                                        \
            const TA *a = (const TA *)pa + off[0];                                                 \
            const TB *b = (const TB *)pb + off[1];                                                 \
            TA *y = (TA *)py + r * inner;                                                          \
            for (int64_t i = 0; i < inner; i++)                                                    \
                y[i] = POW_##KA##KB(TA, TB, a[i * sa], b[i * sb]);                                 \
        }                                                                                          \
    }
#define POW_BASE(DA, TA, SA, KA) POW_EXPONENTS(POW_PAIR, DA, TA, SA, KA)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtype-limits"
POW_BASES(POW_BASE)
#pragma GCC diagnostic pop

typedef void (*pow_kernel)(const onnx_broadcast *bc, const void *a, const void *b, void *y,
                           int64_t row0, int64_t row1);

static const pow_kernel pow_kernels[FERRY_DTYPE_COUNT][FERRY_DTYPE_COUNT] = {
#define POW_ROW(DA, TA, SA, KA, DB, TB, SB, KB)                                                    \
    [FERRY_DTYPE_##DA][FERRY_DTYPE_##DB] = pow_##SA##_##SB,
#define POW_ROWS(DA, TA, SA, KA) POW_EXPONENTS(POW_ROW, DA, TA, SA, KA)
    POW_BASES(POW_ROWS)};

static ferry_status pow_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    ferry_status st =
        onnx_check_dtype(ctx, 0, ONNX_MASK_FLOATS | ONNX_MASK(INT32) | ONNX_MASK(INT64), err);
    if (st == FERRY_OK)
        st = onnx_check_dtype(ctx, 1, ONNX_MASK_NUMERIC, err);
    if (st != FERRY_OK)
        return st;
    int ndim, bad_a, bad_b;
    int64_t shape[FERRY_MAX_DIMS];
    if (!onnx_broadcast_shape(ctx->inputs, 2, &ndim, shape, &bad_a, &bad_b))
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "inputs '%s' and '%s' cannot be broadcast together",
                               ctx->inputs[bad_a]->name, ctx->inputs[bad_b]->name);
    onnx_set_output(ctx, 0, ctx->inputs[0]->dtype, ndim, shape);
    return FERRY_OK;
}

static ferry_status pow_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const ferry_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
    pow_kernel k = pow_kernels[a->dtype][b->dtype];
    if (k == NULL)
        return onnx_node_error(err, FERRY_INTERNAL, ctx->node, "no kernel for %s ^ %s",
                               ferry_dtype_name(a->dtype), ferry_dtype_name(b->dtype));
    if (onnx_numel(ctx->outputs[0]) == 0)
        return FERRY_OK;
    onnx_broadcast bc;
    onnx_broadcast_init(&bc, ctx->inputs, 2, ctx->outputs[0]);
    int64_t lo, hi;
    onnx_slice(bc.rows, ith, nth, &lo, &hi);
    k(&bc, a->data, b->data, ctx->outputs[0]->data, lo, hi);
    return FERRY_OK;
}

const onnx_op onnx_op_pow_7 = {
    .domain = "",
    .op_type = "Pow",
    .since_version = 7,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = pow_infer,
    .run = pow_run,
};
