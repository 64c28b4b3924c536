/* dnnl_sgemm with OpenMP held to one thread per caller; see gemm.h. */
#include "onnx/blas.h"

#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

/* OpenMP's thread count is per calling thread (an ICV): set it once on each thread that calls. */
static _Thread_local bool omp_held;

static void hold_openmp(void)
{
    if (!omp_held) {
        omp_set_num_threads(1);
        omp_set_dynamic(0);
        omp_held = true;
    }
}

ferry_status onnx_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                        const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                        float *c, int64_t ldc)
{
    if (m == 0 || n == 0)
        return FERRY_OK;
    if (k == 0) { /* oneDNN wants k >= 1; the product is empty */
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++)
                c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
        return FERRY_OK;
    }
    hold_openmp();
    dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda,
                                  b, ldb, beta, c, ldc);
    return st == dnnl_success ? FERRY_OK : FERRY_INTERNAL;
}
