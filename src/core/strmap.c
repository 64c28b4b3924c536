/* Open addressing with linear probing over a power-of-two slot array that holds key numbers + 1
 * (0 marks an empty slot); the keys themselves sit in an array in insertion order. See strmap.h. */
#include "core/strmap.h"

#include <stdlib.h>
#include <string.h>

struct strmap {
    char **keys;
    uint64_t *hashes;
    size_t n, keys_cap;
    size_t *slots;
    size_t mask; /* slots - 1 */
};

static uint64_t hash_key(const char *s)
{
    uint64_t h = 14695981039346656037u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h ^ (h >> 29);
}

strmap *strmap_create(void)
{
    strmap *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->slots = calloc(16, sizeof *m->slots);
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    m->mask = 15;
    return m;
}

void strmap_destroy(strmap *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->hashes);
    free(m->slots);
    free(m);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t probe(const strmap *m, const char *key, uint64_t h)
{
    size_t i = (size_t)h & m->mask;
    while (m->slots[i] != 0) {
        size_t k = m->slots[i] - 1;
        if (m->hashes[k] == h && strcmp(m->keys[k], key) == 0)
            break;
        i = (i + 1) & m->mask;
    }
    return i;
}

int64_t strmap_find(const strmap *m, const char *key)
{
    size_t i = probe(m, key, hash_key(key));
    return m->slots[i] ? (int64_t)(m->slots[i] - 1) : -1;
}

/* Doubles the slot array (kept at most half full). */
static bool grow_slots(strmap *m)
{
    size_t cap = (m->mask + 1) * 2;
    size_t *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return false;
    free(m->slots);
    m->slots = slots;
    m->mask = cap - 1;
    for (size_t k = 0; k < m->n; k++)
        m->slots[probe(m, m->keys[k], m->hashes[k])] = k + 1;
    return true;
}

static bool grow_keys(strmap *m)
{
    size_t cap = m->keys_cap ? m->keys_cap * 2 : 16;
    char **keys = realloc(m->keys, cap * sizeof *keys);
    if (keys == NULL)
        return false;
    m->keys = keys;
    uint64_t *hashes = realloc(m->hashes, cap * sizeof *hashes);
    if (hashes == NULL)
        return false;
    m->hashes = hashes;
    m->keys_cap = cap;
    return true;
}

ferry_status strmap_intern(strmap *m, const char *key, size_t *index, bool *inserted)
{
    uint64_t h = hash_key(key);
    size_t i = probe(m, key, h);
    if (inserted != NULL)
        *inserted = m->slots[i] == 0;
    if (m->slots[i] != 0) {
        *index = m->slots[i] - 1;
        return FERRY_OK;
    }
    if ((m->n + 1) * 2 > m->mask + 1) {
        if (!grow_slots(m))
            return FERRY_NO_MEMORY;
        i = probe(m, key, h);
    }
    if (m->n == m->keys_cap && !grow_keys(m))
        return FERRY_NO_MEMORY;
    char *copy = strdup(key);
    if (copy == NULL)
        return FERRY_NO_MEMORY;
    m->keys[m->n] = copy;
    m->hashes[m->n] = h;
    m->slots[i] = ++m->n;
    *index = m->n - 1;
    return FERRY_OK;
}

size_t strmap_size(const strmap *m)
{
    return m->n;
}

const char *strmap_key(const strmap *m, size_t index)
{
    return m->keys[index];
}
