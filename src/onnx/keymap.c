/* Open addressing with linear probing over a power-of-two slot array at most half full; see
 * keymap.h. */
#include "onnx/keymap.h"

#include <math.h>
#include <string.h>

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return h;
}

/* Floats that compare equal hash equal: -0.0 as 0.0, every NaN alike. */
static uint64_t float_bits(double k)
{
    if (isnan(k))
        return 0x7ff8000000000000u;
    if (k == 0)
        return 0;
    uint64_t bits;
    memcpy(&bits, &k, sizeof bits);
    return bits;
}

static bool float_equal(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

static uint64_t key_hash(const onnx_keymap *m, size_t i)
{
    switch (m->kind) {
    case ONNX_KEY_STRING:
        return onnx_string_hash(m->strings[i]);
    case ONNX_KEY_INT:
        return mix((uint64_t)m->ints[i]);
    default:
        return mix(float_bits(m->floats[i]));
    }
}

static bool key_equal(const onnx_keymap *m, size_t i, size_t j)
{
    switch (m->kind) {
    case ONNX_KEY_STRING:
        return onnx_string_equal(m->strings[i], m->strings[j]);
    case ONNX_KEY_INT:
        return m->ints[i] == m->ints[j];
    default:
        return float_equal(m->floats[i], m->floats[j]);
    }
}

ferry_status onnx_keymap_build(onnx_graph *g, onnx_keymap *m, onnx_key_kind kind, const void *keys,
                               size_t n, bool last_wins, ferry_error *err)
{
    if (n > (size_t)1 << 30)
        return ferry_error_set(err, FERRY_TOO_LARGE, "%zu keys; at most 2^30", n);
    *m = (onnx_keymap){.kind = kind, .n = n};
    if (kind == ONNX_KEY_STRING)
        m->strings = keys;
    else if (kind == ONNX_KEY_INT)
        m->ints = keys;
    else
        m->floats = keys;
    size_t cap = 8;
    while (cap < 2 * n)
        cap *= 2;
    m->slots = onnx_graph_alloc(g, cap * sizeof *m->slots);
    if (m->slots == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for %zu keys", n);
    memset(m->slots, 0xff, cap * sizeof *m->slots);
    m->mask = cap - 1;
    for (size_t i = 0; i < n; i++) {
        size_t s = key_hash(m, i) & m->mask;
        while (m->slots[s] >= 0 && !key_equal(m, (size_t)m->slots[s], i))
            s = (s + 1) & m->mask;
        if (m->slots[s] < 0 || last_wins)
            m->slots[s] = (int32_t)i;
    }
    return FERRY_OK;
}

int64_t onnx_keymap_find_string(const onnx_keymap *m, onnx_string k)
{
    for (size_t s = onnx_string_hash(k) & m->mask; m->slots[s] >= 0; s = (s + 1) & m->mask)
        if (onnx_string_equal(m->strings[m->slots[s]], k))
            return m->slots[s];
    return -1;
}

int64_t onnx_keymap_find_int(const onnx_keymap *m, int64_t k)
{
    for (size_t s = mix((uint64_t)k) & m->mask; m->slots[s] >= 0; s = (s + 1) & m->mask)
        if (m->ints[m->slots[s]] == k)
            return m->slots[s];
    return -1;
}

int64_t onnx_keymap_find_float(const onnx_keymap *m, double k)
{
    for (size_t s = mix(float_bits(k)) & m->mask; m->slots[s] >= 0; s = (s + 1) & m->mask)
        if (float_equal(m->floats[m->slots[s]], k))
            return m->slots[s];
    return -1;
}
