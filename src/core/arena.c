/* Request arena: chunks of memory handed out by bumping an offset; see arena.h. */
#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>

#define ARENA_ALIGN     64
#define ARENA_MIN_CHUNK (64 * 1024)

struct arena_chunk {
    arena_chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    _Alignas(ARENA_ALIGN) unsigned char bytes[];
};

void arena_init(arena *a, size_t max)
{
    a->head = NULL;
    a->used_total = 0;
    a->peak = 0;
    a->max = max;
}

static arena_chunk *chunk_create(size_t size)
{
    arena_chunk *c = aligned_alloc(ARENA_ALIGN, (sizeof *c + size + ARENA_ALIGN - 1) &
                                                    ~(size_t)(ARENA_ALIGN - 1));
    if (c == NULL)
        return NULL;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

/* Hands out size bytes at the given power-of-two alignment (at most ARENA_ALIGN). */
static void *arena_alloc_aligned(arena *a, size_t size, size_t align)
{
    size_t rounded = (size + align - 1) & ~(align - 1);
    if (rounded < size || rounded + align > a->max || a->used_total > a->max - rounded - align)
        return NULL;
    arena_chunk *c = a->head;
    size_t offset = c != NULL ? (c->used + align - 1) & ~(align - 1) : 0;
    if (c == NULL || offset > c->size || c->size - offset < rounded) {
        size_t want = rounded > ARENA_MIN_CHUNK ? rounded : ARENA_MIN_CHUNK;
        if (c != NULL && want < c->size * 2)
            want = c->size * 2;
        arena_chunk *fresh = chunk_create(want);
        if (fresh == NULL)
            return NULL;
        fresh->next = c;
        a->head = fresh;
        c = fresh;
        offset = 0;
    }
    void *p = c->bytes + offset;
    a->used_total += rounded + (offset - c->used);
    c->used = offset + rounded;
    if (a->used_total > a->peak)
        a->peak = a->used_total;
    return p;
}

void *arena_alloc(arena *a, size_t size)
{
    return arena_alloc_aligned(a, size, ARENA_ALIGN);
}

void *arena_alloc_small(arena *a, size_t size)
{
    return arena_alloc_aligned(a, size, 16);
}

static void chunks_free(arena_chunk *c)
{
    while (c != NULL) {
        arena_chunk *next = c->next;
        free(c);
        c = next;
    }
}

arena_mark_t arena_mark(const arena *a)
{
    return (arena_mark_t){
        .head = a->head, .head_used = a->head ? a->head->used : 0, .used_total = a->used_total};
}

void arena_rewind(arena *a, arena_mark_t mark)
{
    while (a->head != mark.head) {
        arena_chunk *next = a->head->next;
        free(a->head);
        a->head = next;
    }
    if (a->head != NULL)
        a->head->used = mark.head_used;
    a->used_total = mark.used_total;
}

void arena_reset(arena *a)
{
    if (a->head == NULL)
        return;
    /* Keep the newest chunk when it alone covers the peak; otherwise replace all by one that does,
     * so that the next request of the same size fits in a single chunk. */
    arena_chunk *keep = a->head;
    chunks_free(keep->next);
    keep->next = NULL;
    if (keep->size < a->peak) {
        free(keep);
        keep = chunk_create(a->peak);
    }
    if (keep != NULL)
        keep->used = 0;
    a->head = keep;
    a->used_total = 0;
}

void arena_free(arena *a)
{
    if (a == NULL)
        return;
    chunks_free(a->head);
    a->head = NULL;
    a->used_total = 0;
}

static void *arena_allocator_alloc(void *ctx, size_t size)
{
    return arena_alloc(ctx, size);
}

ferry_allocator arena_allocator(arena *a)
{
    return (ferry_allocator){.alloc = arena_allocator_alloc, .ctx = a};
}
