/* The table of built-in backends, and how an artifact file is matched to one. Adding a backend is
 * adding one file and one row here. */
#ifndef FERRY_BACKENDS_REGISTRY_H
#define FERRY_BACKENDS_REGISTRY_H

#include <stddef.h>

#include "ferry/backend.h"

/* The backend registered under `name` ("xgboost"), or NULL. */
const ferry_backend *backend_by_name(const char *name);

/* The backend that loads a file with this base name ("model.json"), or NULL. */
const ferry_backend *backend_for_artifact(const char *file_name);

/* Finds the artifact in a version folder: the first file, in registry order, that some backend
 * loads (restricted to `backend` when it is not NULL). Writes its path to path[0..path_len).
 * Fails with NOT_FOUND naming the folder and the file names looked for. */
ferry_status backend_find_artifact(const char *version_dir, const ferry_backend *backend,
                                   char *path, size_t path_len, const ferry_backend **found,
                                   ferry_error *err) FERRY_MUST_CHECK;

/* Comma-separated list of every artifact file name known, for help and errors. */
const char *backend_artifact_names(void);

#endif
