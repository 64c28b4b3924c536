/* The OIP model repository extension's operations, shared by the REST admin API
 * (POST /v2/repository/...) and the gRPC repository rpcs: the index of models with their state as
 * Triton names them, and load/unload, which write model.yaml's `load:` through the registry so that
 * the reconciler applies (and keeps) the change. Callers check access first (admin_auth.h). */
#ifndef FERRY_PROTOCOL_ADMIN_REPOSITORY_H
#define FERRY_PROTOCOL_ADMIN_REPOSITORY_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/rest_api.h"

typedef struct admin_index_entry {
    char name[REPOSITORY_NAME_MAX];
    char version[REPOSITORY_VERSION_MAX]; /* "" when none */
    const char *state;                    /* "READY", "LOADING" or "UNAVAILABLE" */
    char reason[MODEL_TABLE_REASON_MAX];  /* "" when none */
} admin_index_entry;

/* Lists the repository's model folders and the models the server knows, by name: one READY entry
 * per loaded version, else one entry saying why nothing is loaded (only READY ones when
 * only_ready). On success *entries is malloc'ed (the caller frees it). Fails with IO naming the
 * repository or NO_MEMORY. */
ferry_status admin_repository_list(rest_context *ctx, bool only_ready, admin_index_entry **entries,
                                   size_t *n, ferry_error *err) FERRY_MUST_CHECK;

/* True when `repository_name` names this server's repository (the last component of --repo);
 * own gets that name. */
bool admin_repository_is_ours(const rest_context *ctx, const char *repository_name, char *own,
                              size_t own_len);

/* Refuses Triton's load parameters that replace files or the config (`config`, `file:...`) with
 * INVALID_ARG: ferry registers versions and reads model.yaml instead. Other keys are accepted. */
ferry_status admin_repository_check_parameter(const char *key, ferry_error *err) FERRY_MUST_CHECK;

/* Loads (model.yaml `load:` back to its explicit policy, else production) or unloads (`load: none`)
 * `name`, recording `actor` in its history, and wakes the reconciler. Fails with UNSUPPORTED when
 * the server serves one artifact, and as registry_set_load otherwise (NOT_FOUND for an unknown
 * model). */
ferry_status admin_repository_set_load(rest_context *ctx, const char *name, bool load,
                                       const char *actor, ferry_error *err) FERRY_MUST_CHECK;

#endif
