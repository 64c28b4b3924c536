/* Load-time rank inference for the optimizer; see ranks.h. */
#include "onnx/optimize/ranks.h"

#include <string.h>

/* Ops whose output 0 has input 0's rank. */
// clang-format off
static const char *const same_rank_ops[] = {
    "Abs", "AveragePool", "BatchNormalization", "Cast", "Ceil", "Clip", "Conv", "Dropout", "Elu",
    "Erf", "Exp", "Floor", "Gelu", "GlobalAveragePool", "GlobalMaxPool", "HardSigmoid",
    "Identity", "InstanceNormalization", "LayerNormalization", "LeakyRelu", "Log", "LogSoftmax",
    "MaxPool", "Neg", "Not", "Reciprocal", "Relu", "Selu", "Sigmoid", "Softmax", "Softplus",
    "Sqrt", "Tanh", "Transpose"};
// clang-format on

/* Ops whose output broadcasts their inputs: the largest input rank. */
static const char *const broadcast_ops[] = {"Add", "Sub", "Mul", "Div"};

static bool listed(const char *op_type, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(op_type, list[i]) == 0)
            return true;
    return false;
}

/* The largest rank among n's inputs, or -1 when one is unknown or missing. */
static int broadcast_rank(const onnx_node *n, const int *rank)
{
    int r = -1;
    for (size_t k = 0; k < n->n_inputs; k++) {
        if (n->inputs[k] < 0 || rank[n->inputs[k]] < 0)
            return -1;
        r = rank[n->inputs[k]] > r ? rank[n->inputs[k]] : r;
    }
    return r;
}

/* numpy matmul: batch dimensions broadcast; a 1-D operand loses its added dimension. */
static int matmul_rank(int ra, int rb)
{
    if (ra < 1 || rb < 1)
        return -1;
    int ba = ra > 2 ? ra - 2 : 0, bb = rb > 2 ? rb - 2 : 0;
    return (ba > bb ? ba : bb) + (ra >= 2) + (rb >= 2);
}

/* Reshape's output rank is the length of its (constant, 1-D) target shape. */
static int reshape_rank(const onnx_graph *g, const onnx_node *n)
{
    if (n->n_inputs < 2 || n->inputs[1] < 0)
        return -1;
    const onnx_value *s = &g->values[n->inputs[1]];
    if (s->kind != ONNX_VALUE_CONSTANT || s->type.ndim != 1)
        return -1;
    return (int)s->type.shape[0];
}

static int output_rank(const onnx_graph *g, const onnx_node *n, const int *rank)
{
    if (n->domain[0] != '\0' || n->n_inputs == 0 || n->inputs[0] < 0)
        return -1;
    const char *op = n->op_type;
    int r0 = rank[n->inputs[0]];
    if (listed(op, same_rank_ops, sizeof same_rank_ops / sizeof same_rank_ops[0]))
        return r0;
    if (listed(op, broadcast_ops, sizeof broadcast_ops / sizeof broadcast_ops[0]))
        return broadcast_rank(n, rank);
    if (strcmp(op, "Gemm") == 0 || strcmp(op, "Flatten") == 0)
        return 2;
    if (strcmp(op, "MatMul") == 0 && n->n_inputs == 2 && n->inputs[1] >= 0)
        return matmul_rank(r0, rank[n->inputs[1]]);
    if (strcmp(op, "Reshape") == 0)
        return reshape_rank(g, n);
    return -1;
}

void onnx_ranks_infer(const onnx_graph *g, const bool *removed, int *rank)
{
    for (size_t v = 0; v < g->n_values; v++) {
        const onnx_value *val = &g->values[v];
        rank[v] = val->kind != ONNX_VALUE_NODE_OUTPUT && val->type.ndim >= 0 ? val->type.ndim : -1;
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        const onnx_node *n = &g->nodes[i];
        if (n->folded || (removed != NULL && removed[i]) || n->n_outputs == 0 || n->outputs[0] < 0)
            continue;
        rank[n->outputs[0]] = output_rank(g, n, rank);
    }
}
