/* Ranks known at load, whatever the input shapes: graph inputs and constants as declared, and
 * node outputs through the ops whose output rank follows from their input ranks alone
 * (element-wise, broadcasting, Conv, pooling, MatMul, Gemm, Flatten, Reshape to a constant
 * shape). Everything else is unknown. The optimizer rewrites only what these ranks prove. */
#ifndef FERRY_ONNX_OPTIMIZE_RANKS_H
#define FERRY_ONNX_OPTIMIZE_RANKS_H

#include <stdbool.h>

#include "onnx/graph.h"

/* rank[v] for every value of g (g->n_values entries): its rank, or -1 when not known at load.
 * Nodes flagged in `removed` (per node; may be NULL) are skipped. */
void onnx_ranks_infer(const onnx_graph *g, const bool *removed, int *rank);

#endif
