/* Element-wise conversion between numeric dtypes (FP64 requests for FP32 models, and the like). */
#ifndef FERRY_CORE_CONVERT_H
#define FERRY_CORE_CONVERT_H

#include <stdbool.h>

#include "core/arena.h"
#include "ferry/tensor.h"

/* True for every dtype convert_tensor handles (BOOL, integers, FP32, FP64). */
bool convert_supported(ferry_dtype dtype);

/* Converts src into dst (same name and shape, dtype `to`) with data from the arena. Values are
 * cast as C casts them (FP64 -> FP32 rounds to nearest). Fails with NO_MEMORY or UNSUPPORTED. */
ferry_status convert_tensor(const ferry_tensor *src, ferry_dtype to, ferry_tensor *dst, arena *a,
                            ferry_error *err) FERRY_MUST_CHECK;

#endif
