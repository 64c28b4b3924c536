/* 16-bit floats as the ONNX engine stores them: FLOAT16 (IEEE 754 binary16) and BFLOAT16 (the top
 * half of a binary32), each a uint16_t bit pattern. Widening to float is exact. Narrowing rounds
 * to nearest with ties to even, straight from double (so float and double inputs both round once),
 * overflows to infinity, keeps NaN a quiet NaN (sign and the payload's top bits kept) and produces
 * subnormals. Plain integer code: no F16C or AVX512-FP16 instructions, no compiler _Float16. */
#ifndef FERRY_ONNX_HALF_H
#define FERRY_ONNX_HALF_H

#include <stdint.h>
#include <string.h>

/* The float a FLOAT16 bit pattern stands for (exact; NaN stays NaN with its payload). */
static inline float onnx_fp16_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, bits;
    if (e == 0x1f) {
        bits = sign | 0x7f800000u | m << 13;
    } else if (e != 0) {
        bits = sign | (e + 112) << 23 | m << 13;
    } else if (m == 0) {
        bits = sign;
    } else { /* subnormal: m * 2^-24, normalized for binary32 */
        e = 113;
        while (!(m & 0x400u)) {
            m <<= 1;
            e--;
        }
        bits = sign | e << 23 | (m & 0x3ffu) << 13;
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* The float a BFLOAT16 bit pattern stands for (exact). */
static inline float onnx_bf16_to_float(uint16_t b)
{
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* v rounded to FLOAT16 (nearest, ties to even; beyond 65504 rounds to infinity from 65520). */
uint16_t onnx_fp16_from_double(double v);

/* v rounded to BFLOAT16 (nearest, ties to even, once: 1 + 2^-8 + 2^-30 gives 1 + 2^-7, where
 * rounding to float first would give 1). */
uint16_t onnx_bf16_from_double(double v);

#endif
