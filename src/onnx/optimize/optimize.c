/* The optimizer's driver: runs the passes in order over one rewrite session; see optimize.h. */
#include "onnx/optimize/optimize.h"

#include "onnx/optimize/passes.h"

ferry_status onnx_optimize(onnx_graph *g, onnx_optimize_stats *stats, ferry_error *err)
{
    onnx_optimize_stats s = {0};
    onnx_rewrite rw;
    ferry_status st = onnx_rewrite_init(&rw, g, err);
    if (st == FERRY_OK)
        st = onnx_pass_remove_identity(&rw, &s.removed);
    if (st == FERRY_OK)
        st = onnx_pass_fold_batch_norm(&rw, &s.batch_norms);
    if (st == FERRY_OK)
        st = onnx_pass_fuse_gemm(&rw, &s.gemms);
    if (st == FERRY_OK)
        st = onnx_pass_fuse_activation(&rw, &s.activations);
    onnx_rewrite_finish(&rw, true);
    if (stats != NULL)
        *stats = s;
    return st;
}
