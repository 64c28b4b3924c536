/* MatMul (ai.onnx, since 1): numpy matmul for float32: [..., M, K] x [..., K, N] with broadcast
 * batch dimensions; a 1-D operand gets a dimension of 1 that is removed again. A batched A times a
 * plain matrix B is one GEMM over all rows; otherwise one GEMM per batch matrix. */
#include "onnx/blas.h"
#include "onnx/op.h"

/* The operands as batches of matrices: batch shape (broadcast) and each side's batch strides. */
typedef struct matmul_dims {
    int64_t m, k, n;
    int nbatch_dims;
    int64_t batch[FERRY_MAX_DIMS];
    int64_t a_stride[FERRY_MAX_DIMS], b_stride[FERRY_MAX_DIMS]; /* in matrices; 0: broadcast */
    int64_t nbatch;
} matmul_dims;

/* Batch strides of one operand (its dims before the last two) aligned to the output batch. */
static void batch_strides(const ferry_tensor *t, int mat_dims, const matmul_dims *d,
                          int64_t *strides)
{
    int own = t->ndim - mat_dims; /* this operand's batch dims */
    int64_t stride = 1;
    for (int i = d->nbatch_dims - 1; i >= 0; i--) {
        int ti = i - (d->nbatch_dims - own);
        bool real = ti >= 0 && t->shape[ti] != 1;
        strides[i] = real ? stride : 0;
        if (ti >= 0)
            stride *= t->shape[ti];
    }
}

/* Works out the dimensions; false when they do not fit together. */
static bool matmul_dims_of(const ferry_tensor *a, const ferry_tensor *b, matmul_dims *d)
{
    if (a->ndim < 1 || b->ndim < 1)
        return false;
    int a_mat = a->ndim >= 2 ? 2 : 1, b_mat = b->ndim >= 2 ? 2 : 1;
    d->m = a->ndim >= 2 ? a->shape[a->ndim - 2] : 1;
    d->k = a->shape[a->ndim - 1];
    int64_t kb = b->ndim >= 2 ? b->shape[b->ndim - 2] : b->shape[0];
    d->n = b->ndim >= 2 ? b->shape[b->ndim - 1] : 1;
    if (kb != d->k)
        return false;
    int ra = a->ndim - a_mat, rb = b->ndim - b_mat;
    d->nbatch_dims = ra > rb ? ra : rb;
    d->nbatch = 1;
    for (int i = 0; i < d->nbatch_dims; i++) {
        int ia = i - (d->nbatch_dims - ra), ib = i - (d->nbatch_dims - rb);
        int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return false;
        d->batch[i] = da == 1 ? db : da;
        d->nbatch *= d->batch[i];
    }
    batch_strides(a, a_mat, d, d->a_stride);
    batch_strides(b, b_mat, d, d->b_stride);
    return true;
}

static ferry_status matmul_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK(FP32), err);
    if (st == FERRY_OK)
        st = onnx_check_same_dtype(ctx, 0, 1, err);
    if (st != FERRY_OK)
        return st;
    matmul_dims d;
    if (!matmul_dims_of(a, b, &d))
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "shapes of '%s' (rank %d) and '%s' (rank %d) do not multiply",
                               a->name, a->ndim, b->name, b->ndim);
    int64_t shape[FERRY_MAX_DIMS + 2];
    int nd = 0;
    for (int i = 0; i < d.nbatch_dims; i++)
        shape[nd++] = d.batch[i];
    if (a->ndim >= 2)
        shape[nd++] = d.m;
    if (b->ndim >= 2)
        shape[nd++] = d.n;
    if (nd > FERRY_MAX_DIMS)
        return onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node, "output rank %d is too high", nd);
    onnx_set_output(ctx, 0, FERRY_DTYPE_FP32, nd, shape);
    return FERRY_OK;
}

/* Matrix offsets (in matrices) of A and B for output batch index `bi`. */
static void batch_offsets(const matmul_dims *d, int64_t bi, int64_t *oa, int64_t *ob)
{
    *oa = *ob = 0;
    for (int i = d->nbatch_dims - 1; i >= 0; i--) {
        int64_t idx = bi % d->batch[i];
        bi /= d->batch[i];
        *oa += idx * d->a_stride[i];
        *ob += idx * d->b_stride[i];
    }
}

static ferry_status matmul_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const ferry_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
    matmul_dims d;
    matmul_dims_of(a, b, &d);
    const float *av = a->data, *bv = b->data;
    float *y = ctx->outputs[0]->data;
    bool b_shared = true; /* B is the same matrix for every batch: fold batches into rows */
    for (int i = 0; i < d.nbatch_dims; i++)
        b_shared = b_shared && d.b_stride[i] == 0 && d.a_stride[i] != 0;
    bool a_dense = b_shared && onnx_numel(a) == d.nbatch * d.m * d.k;
    int64_t rows = a_dense ? d.nbatch * d.m : d.m, batches = a_dense ? 1 : d.nbatch;
    int64_t lo, hi;
    onnx_slice(batches > 1 ? batches : rows, ith, nth, &lo, &hi);
    for (int64_t bi = batches > 1 ? lo : 0; bi < (batches > 1 ? hi : 1); bi++) {
        int64_t oa, ob, r0 = batches > 1 ? 0 : lo, r1 = batches > 1 ? rows : hi;
        batch_offsets(&d, bi, &oa, &ob);
        if (r0 >= r1)
            continue;
        ferry_status st =
            onnx_sgemm(false, false, r1 - r0, d.n, d.k, 1.0f, av + oa * d.m * d.k + r0 * d.k, d.k,
                       bv + ob * d.k * d.n, d.n, 0.0f, y + bi * d.m * d.n + r0 * d.n, d.n);
        if (st != FERRY_OK)
            return onnx_node_error(err, st, ctx->node, "dnnl_sgemm failed");
    }
    return FERRY_OK;
}

const onnx_op onnx_op_matmul_1 = {
    .domain = "",
    .op_type = "MatMul",
    .since_version = 1,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = matmul_infer,
    .run = matmul_run,
};
