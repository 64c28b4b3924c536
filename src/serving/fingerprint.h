/* Cheap fingerprints that tell the reconciler whether what a version is loaded from changed: the
 * files of its folder (names, sizes, modification times, inodes — not their contents, so nothing is
 * hashed on every poll) and the model.yaml keys that change how it loads (backend, options). Equal
 * fingerprints mean "nothing to do"; a failed load is retried only when its fingerprint changes. */
#ifndef FERRY_SERVING_FINGERPRINT_H
#define FERRY_SERVING_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/yaml_doc.h"

#define FINGERPRINT_SEED 14695981039346656037u

/* FNV-1a of n bytes, continuing from h. */
uint64_t fingerprint_bytes(uint64_t h, const void *data, size_t n);

/* The fingerprint of a folder's entries (following symbolic links), independent of the order
 * readdir returns them in. A missing or unreadable folder has a fixed fingerprint of its own. */
uint64_t fingerprint_dir(const char *path);

/* The fingerprint of model.yaml's `backend`, `options`, `validation` and `drift` (NULL or empty:
 * a fixed value). */
uint64_t fingerprint_load_config(const ynode *model_yaml);

#endif
