/* ONNX_VECTOR_CLONES marks a kernel whose plain loops gain from wider vectors: GCC compiles it
 * for x86-64-v4 (AVX-512) and x86-64-v3 (AVX2, FMA) as well as the baseline, and the dynamic
 * loader picks the best the CPU runs (target_clones, an ifunc). The build itself stays baseline
 * x86-64, since CI runs on another machine; never -march=native. Elsewhere (clang, other
 * architectures) the attribute is empty and the baseline code runs. Measured on digits_cnn's
 * epilogues (bias, Relu over L1-resident blocks): 1.4-1.8x (docs/benchmarks.md). */
#ifndef FERRY_ONNX_VECTOR_CLONES_H
#define FERRY_ONNX_VECTOR_CLONES_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && __GNUC__ >= 12
#define ONNX_VECTOR_CLONES                                                                         \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ONNX_VECTOR_CLONES
#endif

#endif
