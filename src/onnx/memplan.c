/* Greedy-by-size buffer placement; see memplan.h. */
#include "onnx/memplan.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* Largest first; ties by first use, then by position (items are one array), so plans are
 * deterministic. */
static int by_size_desc(const void *a, const void *b)
{
    const onnx_memplan_item *x = *(onnx_memplan_item *const *)a;
    const onnx_memplan_item *y = *(onnx_memplan_item *const *)b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return x < y ? -1 : x > y;
}

static int by_offset(const void *a, const void *b)
{
    const onnx_memplan_item *x = *(onnx_memplan_item *const *)a;
    const onnx_memplan_item *y = *(onnx_memplan_item *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static bool lifetimes_meet(const onnx_memplan_item *a, const onnx_memplan_item *b)
{
    return a->first <= b->last && b->first <= a->last;
}

/* The lowest aligned offset where `it` fits between the placed items that live when it does. */
static size_t lowest_fit(const onnx_memplan_item *it, onnx_memplan_item **placed, size_t n_placed,
                         onnx_memplan_item **live)
{
    size_t n_live = 0;
    for (size_t j = 0; j < n_placed; j++)
        if (placed[j]->size > 0 && lifetimes_meet(placed[j], it))
            live[n_live++] = placed[j];
    qsort(live, n_live, sizeof *live, by_offset);
    size_t offset = 0;
    for (size_t j = 0; j < n_live; j++) {
        if (live[j]->offset >= offset && live[j]->offset - offset >= it->size)
            break;
        size_t end = live[j]->offset + live[j]->size;
        end = (end + ONNX_MEMPLAN_ALIGN - 1) & ~(size_t)(ONNX_MEMPLAN_ALIGN - 1);
        if (end > offset)
            offset = end;
    }
    return offset;
}

ferry_status onnx_memplan_assign(onnx_memplan_item *items, size_t n, size_t *total,
                                 ferry_error *err)
{
    *total = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].size > SIZE_MAX / 4)
            return ferry_error_set(err, FERRY_TOO_LARGE, "a tensor of %zu bytes is too large",
                                   items[i].size);
    onnx_memplan_item **order = malloc((n + 1) * sizeof *order);
    onnx_memplan_item **placed = malloc((n + 1) * sizeof *placed);
    onnx_memplan_item **live = malloc((n + 1) * sizeof *live);
    if (order == NULL || placed == NULL || live == NULL) {
        free(order);
        free(placed);
        free(live);
        return ferry_error_set(err, FERRY_NO_MEMORY, "memory planner: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        order[i] = &items[i];
    qsort(order, n, sizeof *order, by_size_desc);
    size_t arena_size = 0;
    for (size_t k = 0; k < n; k++) {
        onnx_memplan_item *it = order[k];
        it->offset = it->size > 0 ? lowest_fit(it, placed, k, live) : 0;
        placed[k] = it;
        if (it->size > 0 && it->offset + it->size > arena_size)
            arena_size = it->offset + it->size;
    }
    free(order);
    free(placed);
    free(live);
    *total = (arena_size + ONNX_MEMPLAN_ALIGN - 1) & ~(size_t)(ONNX_MEMPLAN_ALIGN - 1);
    return FERRY_OK;
}
