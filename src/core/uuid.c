/* UUID v4 from getrandom(2); see uuid.h. */
#include "core/uuid.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>

#include "core/clock.h"

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Fallback bits: a process-wide counter mixed with the clock. */
static void fallback_bytes(unsigned char b[16])
{
    static atomic_uint_fast64_t counter;
    uint64_t seed = clock_now_ns() ^ (atomic_fetch_add(&counter, 1) << 32);
    for (int i = 0; i < 16; i += 8) {
        uint64_t v = splitmix(&seed);
        for (int j = 0; j < 8; j++)
            b[i + j] = (unsigned char)(v >> (8 * j));
    }
}

void uuid_v4(char out[UUID_STR_LEN])
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, GRND_NONBLOCK) != (ssize_t)sizeof b)
        fallback_bytes(b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, UUID_STR_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}
