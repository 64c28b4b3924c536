/* UUID v7: the clock and getrandom(2), and reading the time back out of one; see uuid.h. Each
 * thread draws 512 random bytes at a time (one system call per 32 ids instead of one per id: it
 * was 3.7% of the server's CPU under load) and spends them 16 at a time; bytes are never reused. */
#include "core/uuid.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

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

#define UUID_POOL_BYTES 512

/* The calling thread's next 16 random bytes. */
static void random_bytes(unsigned char b[16])
{
    static _Thread_local unsigned char pool[UUID_POOL_BYTES];
    static _Thread_local size_t used = UUID_POOL_BYTES;
    if (used == UUID_POOL_BYTES) {
        if (getrandom(pool, sizeof pool, GRND_NONBLOCK) != (ssize_t)sizeof pool) {
            fallback_bytes(b);
            return;
        }
        used = 0;
    }
    memcpy(b, pool + used, 16);
    used += 16;
}

void uuid_v7(char out[UUID_STR_LEN])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    random_bytes(b);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t ms = (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (8 * (5 - i)));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x70);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
}

/* Hex digit values by character plus one; 0 for a non-digit (NUL included). A table rather
 * than comparisons, which random digits mispredict (0-9 against a-f). */
static const signed char hex_plus_one[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16};

/* The value of hex digit c, or -1. */
static int hex_value(char c)
{
    return hex_plus_one[(unsigned char)c] - 1;
}

bool uuid_v7_time_ms(const char *id, int64_t *ms)
{
    uint64_t time = 0;
    int nibble = 0; /* hex digits read so far */
    for (int i = 0; i < UUID_STR_LEN - 1; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (id[i] != '-')
                return false;
            continue;
        }
        int v = hex_value(id[i]); /* a NUL (a short id) is no hex digit */
        if (v < 0 || (nibble == 12 && v != 7) || (nibble == 16 && (v & 0xc) != 0x8))
            return false;
        if (nibble < 12)
            time = time << 4 | (uint64_t)v;
        nibble++;
    }
    if (id[UUID_STR_LEN - 1] != '\0')
        return false;
    *ms = (int64_t)time;
    return true;
}
