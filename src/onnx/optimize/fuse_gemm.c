/* Pass: MatMul + Add -> Gemm. Y = A x B + C becomes Gemm(A, B, C) (alpha = beta = 1) when A's
 * rank is 2 whatever the inputs (ranks.h), B is a float constant matrix [K, N], C a float
 * constant that broadcasts to [M, N] as one row ([N], [1, N], or a single value: shapes that make
 * Add's output exactly the product's), and the MatMul's output is read by the Add alone (not a
 * graph output). The MatMul node becomes the Gemm and computes the Add's output. */
#include <stdlib.h>

#include "onnx/op_registry.h"
#include "onnx/optimize/passes.h"
#include "onnx/optimize/ranks.h"

/* True when C broadcasts to the product [M, N] as one row, for every M. */
static bool row_bias(const ferry_tensor *c, int64_t n)
{
    if (c->ndim == 0)
        return true;
    int64_t last = c->shape[c->ndim - 1];
    bool lead_ok = c->ndim == 1 || (c->ndim == 2 && c->shape[0] == 1);
    return lead_ok && (last == 1 || last == n);
}

/* The Add's constant operand (the one that is not the product), or -1. */
static int bias_input(const onnx_rewrite *rw, const onnx_node *add, int product)
{
    if (add->n_inputs != 2 || (add->inputs[0] == product) == (add->inputs[1] == product))
        return -1;
    int c = add->inputs[0] == product ? add->inputs[1] : add->inputs[0];
    return onnx_rewrite_const_f32(rw, c) != NULL ? c : -1;
}

static bool match(const onnx_rewrite *rw, const onnx_node *mm, const onnx_node *add,
                  const int *rank, int *c)
{
    if (mm->n_inputs != 2 || mm->inputs[0] < 0 || rank[mm->inputs[0]] != 2)
        return false;
    const ferry_tensor *b = onnx_rewrite_const_f32(rw, mm->inputs[1]);
    if (b == NULL || b->ndim != 2 || !onnx_rewrite_is(add, "Add") || add->outputs[0] < 0)
        return false;
    *c = bias_input(rw, add, mm->outputs[0]);
    return *c >= 0 && row_bias(&rw->g->values[*c].type, b->shape[1]);
}

/* The MatMul node becomes Gemm(A, B, C) writing the Add's output; the Add goes. */
static ferry_status rewrite(onnx_rewrite *rw, onnx_node *mm, onnx_node *add, int c,
                            const onnx_op *gemm)
{
    mm->op_type = "Gemm";
    mm->op = gemm;
    mm->n_attrs = 0; /* the defaults: alpha = beta = 1, no transposition */
    ferry_status st = gemm->prepare(rw->g, mm, rw->err);
    if (st == FERRY_OK)
        st = onnx_rewrite_set_input(rw, mm, 2, c);
    if (st != FERRY_OK)
        return st;
    onnx_rewrite_remove(rw, add);
    onnx_rewrite_set_output(rw, mm, 0, add->outputs[0]);
    return FERRY_OK;
}

ferry_status onnx_pass_fuse_gemm(onnx_rewrite *rw, int *count)
{
    *count = 0;
    int *rank = malloc((rw->g->n_values + 1) * sizeof *rank);
    if (rank == NULL)
        return ferry_error_set(rw->err, FERRY_NO_MEMORY, "optimizer: out of memory");
    onnx_ranks_infer(rw->g, rw->dead, rank);
    ferry_status st = FERRY_OK;
    for (size_t i = 0; st == FERRY_OK && i < rw->g->n_nodes; i++) {
        onnx_node *mm = onnx_rewrite_node(rw, i, "MatMul");
        onnx_node *add = mm != NULL ? onnx_rewrite_sole_consumer(rw, mm->outputs[0]) : NULL;
        const onnx_op *gemm = mm != NULL ? onnx_op_find("", "Gemm", mm->opset) : NULL;
        int c;
        if (add == NULL || gemm == NULL || !match(rw, mm, add, rank, &c))
            continue;
        st = rewrite(rw, mm, add, c, gemm);
        *count += st == FERRY_OK;
    }
    free(rank);
    return st;
}
