/* The in-memory index of recent predictions: from an id's 32-bit hash to the ring slot that holds
 * it, by open addressing (linear probing, backward-shift removal). A cell keeps the hash beside
 * the slot, so inserting, removing and most misses touch only the index's own compact array,
 * never the predictions themselves (evicting the oldest of thousands of them would otherwise read
 * cold memory on every request). Not thread-safe: the caller locks.
 *
 *     recent_index ix;
 *     recent_index_init(&ix, 2 * ring_size);          a power of two, at least the ring's size
 *     recent_index_insert(&ix, hash, slot);
 *     for (uint32_t c = recent_index_first(&ix, hash), slot; recent_index_next(&ix, hash, &c,
 * &slot);)
 *         ... slot holds a prediction whose id has this hash: compare the id ...
 *     recent_index_remove(&ix, hash, slot);
 *     recent_index_free(&ix); */
#ifndef FERRY_STATE_RECENT_INDEX_H
#define FERRY_STATE_RECENT_INDEX_H

#include <stdbool.h>
#include <stdint.h>

typedef struct recent_index_cell {
    uint32_t hash;
    uint32_t slot_plus_1; /* 0: empty */
} recent_index_cell;

typedef struct recent_index {
    recent_index_cell *cells; /* malloc'ed, mask + 1 of them */
    uint32_t mask;
} recent_index;

/* FNV-1a of a NUL-terminated id. */
uint32_t recent_index_hash(const char *id);

/* An empty index of `cells` cells (a power of two, more than the entries it will hold). False
 * when out of memory or cells is not a power of two. */
bool recent_index_init(recent_index *ix, uint32_t cells);

/* Frees the cells. Accepts an index whose init failed. */
void recent_index_free(recent_index *ix);

/* Adds slot under hash. The index must have an empty cell (hold fewer entries than cells). */
void recent_index_insert(recent_index *ix, uint32_t hash, uint32_t slot);

/* Removes the entry (hash, slot); nothing when it is not there. */
void recent_index_remove(recent_index *ix, uint32_t hash, uint32_t slot);

/* Asks the CPU to bring the cell a lookup, insert or removal of hash starts at into cache. */
void recent_index_prefetch(const recent_index *ix, uint32_t hash);

/* A cursor at the first cell a lookup of hash reads. */
uint32_t recent_index_first(const recent_index *ix, uint32_t hash);

/* Advances *cursor to the next entry with this hash and sets *slot; false when there is none. */
bool recent_index_next(const recent_index *ix, uint32_t hash, uint32_t *cursor, uint32_t *slot);

#endif
