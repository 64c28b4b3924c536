/* A set of strings that numbers its members in insertion order (0, 1, 2, ...): the category
 * dictionaries of data profiles and drift. Keys are copied; lookups never allocate. */
#ifndef FERRY_CORE_STRMAP_H
#define FERRY_CORE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/status.h"

typedef struct strmap strmap;

/* An empty map, or NULL when out of memory. Free with strmap_destroy. */
strmap *strmap_create(void);

/* Frees the map and its copies of the keys. Accepts NULL. */
void strmap_destroy(strmap *m);

/* Sets *index to key's number, adding key (copied) with the next number when absent; *inserted
 * (may be NULL) says which. Fails with NO_MEMORY, leaving the map as it was. */
ferry_status strmap_intern(strmap *m, const char *key, size_t *index,
                           bool *inserted) FERRY_MUST_CHECK;

/* key's number, or -1 when absent. */
int64_t strmap_find(const strmap *m, const char *key);

/* The number of keys. */
size_t strmap_size(const strmap *m);

/* The key numbered index (< strmap_size), owned by the map. */
const char *strmap_key(const strmap *m, size_t index);

#endif
