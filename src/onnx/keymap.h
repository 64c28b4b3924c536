/* A read-only hash table from keys to their index in a key list, built at load in graph memory
 * and probed at run time without allocating: LabelEncoder's keys, OneHotEncoder's categories.
 * Keys are strings, integers (int64, or narrower ints widened) or floating point (float or double
 * widened to double; NaN matches NaN, and -0.0 matches 0.0). */
#ifndef FERRY_ONNX_KEYMAP_H
#define FERRY_ONNX_KEYMAP_H

#include "onnx/graph.h"
#include "onnx/strings.h"

typedef enum onnx_key_kind {
    ONNX_KEY_STRING,
    ONNX_KEY_INT,
    ONNX_KEY_FLOAT,
} onnx_key_kind;

typedef struct onnx_keymap {
    onnx_key_kind kind;
    size_t n;
    const onnx_string *strings; /* the key list of this kind */
    const int64_t *ints;
    const double *floats;
    int32_t *slots; /* key index or -1; a power of two of them */
    size_t mask;
} onnx_keymap;

/* Builds m over keys[0..n) of `kind` (keys points to onnx_string, int64_t or double, and must live
 * as long as g). Of repeated keys the first wins, or the last when last_wins. Fails with
 * NO_MEMORY, or TOO_LARGE past 2^30 keys. */
ferry_status onnx_keymap_build(onnx_graph *g, onnx_keymap *m, onnx_key_kind kind, const void *keys,
                               size_t n, bool last_wins, ferry_error *err) FERRY_MUST_CHECK;

/* The index of key k, or -1. */
int64_t onnx_keymap_find_string(const onnx_keymap *m, onnx_string k);
int64_t onnx_keymap_find_int(const onnx_keymap *m, int64_t k);
int64_t onnx_keymap_find_float(const onnx_keymap *m, double k);

#endif
