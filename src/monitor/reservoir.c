/* Algorithm R with a splitmix64 generator; see reservoir.h. */
#include "monitor/reservoir.h"

void reservoir_init(reservoir *r, size_t capacity, uint64_t seed)
{
    r->seen = 0;
    r->capacity = capacity;
    r->state = seed;
}

static uint64_t next_random(reservoir *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

int64_t reservoir_offer(reservoir *r)
{
    uint64_t i = r->seen++;
    if (i < r->capacity)
        return (int64_t)i;
    /* A uniform draw from [0, i]: the high half of a 128-bit product (bias below 2^-40). */
    uint64_t j = (uint64_t)(((unsigned __int128)next_random(r) * (i + 1)) >> 64);
    return j < r->capacity ? (int64_t)j : -1;
}

size_t reservoir_size(const reservoir *r)
{
    return r->seen < r->capacity ? (size_t)r->seen : r->capacity;
}
