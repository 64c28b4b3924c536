/* Where (ai.onnx, since 9): picks X where the bool condition holds, else Y, with numpy broadcasting
 * of all three; X and Y of one fixed-size dtype (moved by size: 1, 2, 4 or 8 bytes). */
#include "onnx/broadcast.h"
#include "onnx/op.h"

#define WHERE_KERNEL(T, S)                                                                         \
    static void where_##S(const onnx_broadcast *bc, const uint8_t *pc, const T *px, const T *py,   \
                          T *pz, int64_t row0, int64_t row1)                                       \
    {                                                                                              \
        const int64_t inner = bc->shape[bc->ndim - 1];                                             \
        const int64_t sc = bc->strides[0][bc->ndim - 1], sx = bc->strides[1][bc->ndim - 1],        \
                      sy = bc->strides[2][bc->ndim - 1];                                           \
        for (int64_t r = row0; r < row1; r++) {                                                    \
            int64_t off[ONNX_BROADCAST_MAX_INPUTS];                                                \
            onnx_broadcast_row(bc, r, off);                                                        \
            const uint8_t *c = pc + off[0];                                                        \
            const T *x = px + off[1], *y = py + off[2];                                            \
            T *z = pz + r * inner;                                                                 \
            for (int64_t i = 0; i < inner; i++)                                                    \
                z[i] = c[i * sc] ? x[i * sx] : y[i * sy];                                          \
        }                                                                                          \
    }
WHERE_KERNEL(uint8_t, 1)
WHERE_KERNEL(uint16_t, 2)
WHERE_KERNEL(uint32_t, 4)
WHERE_KERNEL(uint64_t, 8)

static ferry_status where_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK(BOOL), err);
    if (st == FERRY_OK)
        st = onnx_check_same_dtype(ctx, 1, 2, err);
    if (st == FERRY_OK && ferry_dtype_size(ctx->inputs[1]->dtype) == 0)
        st = onnx_check_dtype(ctx, 1, ONNX_MASK_NUMERIC | ONNX_MASK(BOOL), err);
    if (st != FERRY_OK)
        return st;
    int ndim, bad_a, bad_b;
    int64_t shape[FERRY_MAX_DIMS];
    if (!onnx_broadcast_shape(ctx->inputs, 3, &ndim, shape, &bad_a, &bad_b))
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "inputs '%s' and '%s' cannot be broadcast together",
                               ctx->inputs[bad_a]->name, ctx->inputs[bad_b]->name);
    onnx_set_output(ctx, 0, ctx->inputs[1]->dtype, ndim, shape);
    return FERRY_OK;
}

static ferry_status where_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const ferry_tensor *const *in = ctx->inputs;
    ferry_tensor *z = ctx->outputs[0];
    if (onnx_numel(z) == 0)
        return FERRY_OK;
    onnx_broadcast bc;
    onnx_broadcast_init(&bc, in, 3, z);
    int64_t lo, hi;
    onnx_slice(bc.rows, ith, nth, &lo, &hi);
    switch (ferry_dtype_size(z->dtype)) {
    case 1:
        where_1(&bc, in[0]->data, in[1]->data, in[2]->data, z->data, lo, hi);
        break;
    case 2:
        where_2(&bc, in[0]->data, in[1]->data, in[2]->data, z->data, lo, hi);
        break;
    case 4:
        where_4(&bc, in[0]->data, in[1]->data, in[2]->data, z->data, lo, hi);
        break;
    default:
        where_8(&bc, in[0]->data, in[1]->data, in[2]->data, z->data, lo, hi);
        break;
    }
    return FERRY_OK;
}

const onnx_op onnx_op_where_9 = {
    .domain = "",
    .op_type = "Where",
    .since_version = 9,
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = where_infer,
    .run = where_run,
};
