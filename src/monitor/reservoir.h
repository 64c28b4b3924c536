/* Seeded reservoir sampling (Vitter's algorithm R): a uniform sample of at most `capacity` items
 * from a stream of unknown length, the same for the same seed and stream. It only decides where
 * each item goes; the caller stores the items (a data profile's reference sample, a drift window).
 */
#ifndef FERRY_MONITOR_RESERVOIR_H
#define FERRY_MONITOR_RESERVOIR_H

#include <stddef.h>
#include <stdint.h>

typedef struct reservoir {
    uint64_t seen;   /* items offered so far */
    size_t capacity; /* > 0 */
    uint64_t state;  /* the generator (splitmix64) */
} reservoir;

void reservoir_init(reservoir *r, size_t capacity, uint64_t seed);

/* Offers the next item: returns the slot (below capacity) to store it in, replacing what is
 * there, or -1 to drop it. The first `capacity` items fill slots 0, 1, 2, ... in order. */
int64_t reservoir_offer(reservoir *r);

/* The number of slots in use: min(seen, capacity). */
size_t reservoir_size(const reservoir *r);

#endif
