/* Tile (ai.onnx): repeats the input along each dimension, in two definitions:
 *   since 1: one-element inputs `tiles` and `axis` repeat it tiles times along axis;
 *   since 6: the int64 input `repeats` holds one count per dimension.
 * The counts are read while planning (a constant, computed from shapes, or a graph input: plans
 * are then made per value); counts computed from other tensors are refused. Any dtype
 * (strings too); each output row is its source row copied `repeats[last]` times. */
#include <string.h>

#include "onnx/op.h"

/* Fails unless input i has a dtype in `mask`, is known while planning and holds `want`
 * elements. */
static ferry_status known_input(const onnx_op_ctx *ctx, size_t i, uint32_t mask, int64_t want,
                                ferry_error *err)
{
    const ferry_tensor *t = ctx->inputs[i];
    ferry_status st = onnx_check_dtype(ctx, i, mask, err);
    if (st == FERRY_OK && t->data == NULL)
        st = onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                             "'%s' depends on tensor values; ferry needs it known while planning",
                             t->name);
    if (st == FERRY_OK && onnx_numel(t) != want)
        st = onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "'%s' must hold %lld element(s)",
                             t->name, (long long)want);
    return st;
}

/* The repeat count of every input dimension. */
static ferry_status tile_1_repeats(const onnx_op_ctx *ctx, int64_t *reps, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    ferry_status st = known_input(ctx, 1, ONNX_MASK_INDEX, 1, err);
    if (st == FERRY_OK)
        st = known_input(ctx, 2, ONNX_MASK_INDEX, 1, err);
    int axis;
    if (st == FERRY_OK)
        st = onnx_axis(ctx, onnx_int_at(ctx->inputs[2], 0), x->ndim, &axis, err);
    if (st != FERRY_OK)
        return st;
    for (int d = 0; d < x->ndim; d++)
        reps[d] = d == axis ? onnx_int_at(ctx->inputs[1], 0) : 1;
    return FERRY_OK;
}

static ferry_status tile_6_repeats(const onnx_op_ctx *ctx, int64_t *reps, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    ferry_status st = known_input(ctx, 1, ONNX_MASK(INT64), x->ndim, err);
    if (st != FERRY_OK)
        return st;
    for (int d = 0; d < x->ndim; d++)
        reps[d] = onnx_int_at(ctx->inputs[1], d);
    return FERRY_OK;
}

static ferry_status tile_infer(const onnx_op_ctx *ctx, const int64_t *reps, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    int64_t shape[FERRY_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) {
        if (reps[d] < 0 || (x->shape[d] > 0 && reps[d] > INT64_MAX / x->shape[d]))
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "repeat count %lld for dimension %d", (long long)reps[d], d);
        shape[d] = x->shape[d] * reps[d];
    }
    onnx_set_output(ctx, 0, x->dtype, x->ndim, shape);
    return FERRY_OK;
}

static ferry_status tile_1_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    int64_t reps[FERRY_MAX_DIMS];
    ferry_status st = tile_1_repeats(ctx, reps, err);
    return st == FERRY_OK ? tile_infer(ctx, reps, err) : st;
}

static ferry_status tile_6_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    int64_t reps[FERRY_MAX_DIMS];
    ferry_status st = tile_6_repeats(ctx, reps, err);
    return st == FERRY_OK ? tile_infer(ctx, reps, err) : st;
}

static void tile_run(const onnx_op_ctx *ctx, const int64_t *reps, int ith, int nth)
{
    const ferry_tensor *x = ctx->inputs[0];
    ferry_tensor *y = ctx->outputs[0];
    size_t size = onnx_elem_size(x->dtype);
    int rank = x->ndim;
    if (onnx_numel(y) == 0)
        return;
    if (rank == 0) {
        if (ith == 0)
            memcpy(y->data, x->data, size);
        return;
    }
    int64_t n = x->shape[rank - 1], width = y->shape[rank - 1], lo, hi;
    onnx_slice(onnx_numel(y) / width, ith, nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        int64_t src_row = 0, scale = 1, rest = r;
        for (int d = rank - 2; d >= 0; d--) {
            src_row += (rest % y->shape[d] % x->shape[d]) * scale;
            scale *= x->shape[d];
            rest /= y->shape[d];
        }
        const char *src = (const char *)x->data + (size_t)(src_row * n) * size;
        char *dst = (char *)y->data + (size_t)(r * width) * size;
        for (int64_t k = 0; k < reps[rank - 1]; k++)
            memcpy(dst + (size_t)(k * n) * size, src, (size_t)n * size);
    }
}

static ferry_status tile_1_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    int64_t reps[FERRY_MAX_DIMS];
    ferry_status st = tile_1_repeats(ctx, reps, err);
    if (st == FERRY_OK)
        tile_run(ctx, reps, ith, nth);
    return st;
}

static ferry_status tile_6_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    int64_t reps[FERRY_MAX_DIMS];
    ferry_status st = tile_6_repeats(ctx, reps, err);
    if (st == FERRY_OK)
        tile_run(ctx, reps, ith, nth);
    return st;
}

const onnx_op onnx_op_tile_1 = {
    .domain = "",
    .op_type = "Tile",
    .since_version = 1,
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_STRINGS,
    .value_inputs = (1u << 1) | (1u << 2),
    .infer = tile_1_infer,
    .run = tile_1_run,
};

const onnx_op onnx_op_tile_6 = {
    .domain = "",
    .op_type = "Tile",
    .since_version = 6,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_STRINGS,
    .value_inputs = 1u << 1,
    .infer = tile_6_infer,
    .run = tile_6_run,
};
