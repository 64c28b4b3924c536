/* Narrowing to FLOAT16 and BFLOAT16; see half.h. */
#include "onnx/half.h"

/* v rounded to nearest-even in a binary format of `ebits` exponent bits and `mbits` stored
 * mantissa bits (at most 15 bits in all), working on the double's bits. */
static uint16_t narrow(double v, int ebits, int mbits)
{
    uint64_t x;
    memcpy(&x, &v, sizeof x);
    uint16_t sign = (uint16_t)((x >> 63) << (ebits + mbits));
    uint16_t inf = (uint16_t)(((1u << ebits) - 1) << mbits);
    int e = (int)((x >> 52) & 0x7ff);
    uint64_t mant = x & ((UINT64_C(1) << 52) - 1);
    if (e == 0x7ff) /* infinity, or NaN made quiet */
        return mant == 0 ? sign | inf
                         : (uint16_t)(sign | inf | 1u << (mbits - 1) | (mant >> (52 - mbits)));
    int target = e - 1023 + (1 << (ebits - 1)) - 1; /* the biased exponent in the target format */
    if (target >= (1 << ebits) - 1)
        return sign | inf;
    uint64_t m = mant, base = 0;
    int shift = 52 - mbits;
    if (target > 0) {
        base = (uint64_t)target << mbits;
    } else { /* a subnormal (or zero) in the target format: the implicit bit joins the mantissa */
        shift = 53 - mbits - target;
        if (e == 0 || shift > 63)
            return sign;
        m |= UINT64_C(1) << 52;
    }
    uint64_t r = base + (m >> shift), rem = m & ((UINT64_C(1) << shift) - 1);
    uint64_t half = UINT64_C(1) << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) /* a carry into the exponent is still right */
        r++;
    return (uint16_t)(sign | r);
}

uint16_t onnx_fp16_from_double(double v)
{
    return narrow(v, 5, 10);
}

uint16_t onnx_bf16_from_double(double v)
{
    return narrow(v, 8, 7);
}
