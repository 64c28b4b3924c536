/* Transposing float matrices in 4x4 blocks, for the layout changes between NCHW and channels-last
 * that Conv makes on small images. Written with the compilers' generic vectors (vector_size and a
 * shuffle builtin), not an instruction set's intrinsics: the baseline build gets SSE shuffles, the
 * ONNX_VECTOR_CLONES builds AVX ones, another architecture its own. Scalar element copies, which
 * compilers do not turn into shuffles, measured 2.4x slower on digits_cnn's [16, 32] blocks. */
#ifndef FERRY_ONNX_TRANSPOSE4_H
#define FERRY_ONNX_TRANSPOSE4_H

#include <stdint.h>
#include <string.h>

typedef float onnx_f4 __attribute__((vector_size(16)));
typedef int32_t onnx_i4 __attribute__((vector_size(16)));

#if defined(__clang__)
#define ONNX_F4_SHUFFLE(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#else
#define ONNX_F4_SHUFFLE(a, b, i, j, k, l) __builtin_shuffle(a, b, (onnx_i4){i, j, k, l})
#endif

static inline onnx_f4 onnx_f4_load(const float *p)
{
    onnx_f4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void onnx_f4_store(float *p, onnx_f4 v)
{
    memcpy(p, &v, sizeof v);
}

/* dst[j * ldd + i] = src[i * lds + j] for i, j < 4. */
static inline void onnx_transpose4x4(const float *src, int64_t lds, float *dst, int64_t ldd)
{
    onnx_f4 r0 = onnx_f4_load(src), r1 = onnx_f4_load(src + lds);
    onnx_f4 r2 = onnx_f4_load(src + 2 * lds), r3 = onnx_f4_load(src + 3 * lds);
    onnx_f4 t0 = ONNX_F4_SHUFFLE(r0, r1, 0, 4, 1, 5), t1 = ONNX_F4_SHUFFLE(r0, r1, 2, 6, 3, 7);
    onnx_f4 t2 = ONNX_F4_SHUFFLE(r2, r3, 0, 4, 1, 5), t3 = ONNX_F4_SHUFFLE(r2, r3, 2, 6, 3, 7);
    onnx_f4_store(dst, ONNX_F4_SHUFFLE(t0, t2, 0, 1, 4, 5));
    onnx_f4_store(dst + ldd, ONNX_F4_SHUFFLE(t0, t2, 2, 3, 6, 7));
    onnx_f4_store(dst + 2 * ldd, ONNX_F4_SHUFFLE(t1, t3, 0, 1, 4, 5));
    onnx_f4_store(dst + 3 * ldd, ONNX_F4_SHUFFLE(t1, t3, 2, 3, 6, 7));
}

/* dst[j * ldd + i] = src[i * lds + j] for i < rows, j < cols: 4x4 blocks, the edges element by
 * element. src and dst must not overlap. */
static inline void onnx_transpose(const float *src, int64_t lds, float *dst, int64_t ldd,
                                  int64_t rows, int64_t cols)
{
    int64_t i = 0;
    for (; i + 4 <= rows; i += 4) {
        int64_t j = 0;
        for (; j + 4 <= cols; j += 4)
            onnx_transpose4x4(src + i * lds + j, lds, dst + j * ldd + i, ldd);
        for (; j < cols; j++)
            for (int64_t a = i; a < i + 4; a++)
                dst[j * ldd + a] = src[a * lds + j];
    }
    for (; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            dst[j * ldd + i] = src[i * lds + j];
}

#endif
