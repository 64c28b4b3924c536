/* The memory planner: places buffers with known sizes and lifetimes (first and last step that
 * uses them) in one arena so that buffers alive at the same step never overlap and the arena stays
 * small. Greedy by size, as TensorFlow Lite's arena planner: the largest buffer first, each at the
 * lowest offset that fits between the buffers already placed whose lifetimes meet its own. */
#ifndef FERRY_ONNX_MEMPLAN_H
#define FERRY_ONNX_MEMPLAN_H

#include <stddef.h>

#include "ferry/status.h"

#define ONNX_MEMPLAN_ALIGN 64

typedef struct onnx_memplan_item {
    size_t size;   /* bytes; 0 takes no space */
    int first;     /* first step that writes or reads it */
    int last;      /* last step that reads it (>= first) */
    size_t offset; /* out: ONNX_MEMPLAN_ALIGN-aligned offset in the arena */
} onnx_memplan_item;

/* Assigns every item's offset; *total gets the arena size needed. Fails with NO_MEMORY (its own
 * temporary memory) or TOO_LARGE when sizes overflow. */
ferry_status onnx_memplan_assign(onnx_memplan_item *items, size_t n, size_t *total,
                                 ferry_error *err) FERRY_MUST_CHECK;

#endif
