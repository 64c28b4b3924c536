/* A bump allocator for one request's short-lived memory (decoded tensors, outputs, scratch): every
 * allocation is freed at once by arena_reset. After warm-up a reused arena allocates nothing. */
#ifndef FERRY_CORE_ARENA_H
#define FERRY_CORE_ARENA_H

#include <stddef.h>

#include "ferry/backend.h"

typedef struct arena_chunk arena_chunk;

typedef struct arena {
    arena_chunk *head; /* the chunk being filled; older chunks follow */
    size_t used_total; /* bytes handed out since the last reset */
    size_t peak;       /* largest used_total seen; reset() sizes its one kept chunk to it */
    size_t max;        /* allocations past this many bytes fail */
} arena;

/* Initialises an empty arena that may hand out up to `max` bytes between resets. */
void arena_init(arena *a, size_t max);

/* Returns `size` bytes aligned to 64, or NULL when out of memory or past the maximum. The memory
 * belongs to the arena until the next reset. */
void *arena_alloc(arena *a, size_t size);

/* Like arena_alloc with 16-byte alignment, for many small objects (a parsed JSON document). */
void *arena_alloc_small(arena *a, size_t size);

/* A point in an arena's allocations to go back to (arena_mark, arena_rewind). */
typedef struct arena_mark_t {
    arena_chunk *head;
    size_t head_used;
    size_t used_total;
} arena_mark_t;

/* Returns the arena's current position. Valid until the next reset. */
arena_mark_t arena_mark(const arena *a);

/* Frees everything allocated since `mark` (chunks added since are freed; the marked chunk's later
 * bytes are handed out again), as when an attempt that allocated is abandoned. */
void arena_rewind(arena *a, arena_mark_t mark);

/* Frees everything handed out; keeps one chunk large enough for the peak use seen so far. */
void arena_reset(arena *a);

/* Frees every chunk. Accepts NULL. */
void arena_free(arena *a);

/* A ferry_allocator that allocates from `a` (for backend outputs). */
ferry_allocator arena_allocator(arena *a);

#endif
