/* Changing the model repository: registering versions, deploying, rolling back, archiving, and the
 * append-only history of those changes. The CLI, the admin API and a `git pull` all change the
 * repository through these files, and the server's reconciler notices and applies the result.
 *
 * Every write is atomic (temporary file or folder, fsync, rename, fsync of the folder); writers to
 * one model serialise on REPO/NAME/.lock (flock). Deployment state lives only in model.yaml:
 * `production: V`, `archived: [V, ...]` and `load: production | all | none | [V, ...]`. A version
 * folder never changes after register. */
#ifndef FERRY_SERVING_REGISTRY_H
#define FERRY_SERVING_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/status.h"
#include "serving/history.h"

#define REGISTRY_MAX_PAIRS 64

typedef struct registry_pair {
    const char *key;
    const char *value;
} registry_pair;

/* What `ferry register` records. Strings are borrowed. */
typedef struct registry_register_options {
    const char *artifact; /* file to register (copied in under its backend's artifact name) */
    const char *author;   /* NULL: $USER, else "unknown" */
    const char *notes;
    uint64_t parent;  /* 0: none */
    const char *data; /* training CSV to fingerprint (sha256, rows, columns), or NULL */
    /* profile.json's text (monitor/profile.h) stored beside the artifact, or NULL. */
    const char *profile_json;
    size_t profile_json_len;
    const char *run_id;
    bool create; /* create the model when it does not exist */
    size_t n_metrics, n_params, n_tags;
    registry_pair metrics[REGISTRY_MAX_PAIRS];
    registry_pair params[REGISTRY_MAX_PAIRS];
    registry_pair tags[REGISTRY_MAX_PAIRS];
} registry_register_options;

/* Registers a new version of model `name` in `repo`: the next version number, its folder written
 * atomically with the artifact, version.yaml and, when given, profile.json. The first version of a
 * model becomes production; when model.yaml names no production, the highest version before this
 * one is written there, so that registering never changes what is served. Fails with NOT_FOUND for
 * a missing model without `create`, INVALID_ARG for a bad name or a file no backend loads, IO
 * naming the path. On success *version is the new number. */
ferry_status registry_register(const char *repo, const char *name,
                               const registry_register_options *opts, const char *actor,
                               uint64_t *version, ferry_error *err) FERRY_MUST_CHECK;

/* Makes `version` production. Deploying the current production version changes nothing and sets
 * *noop. Refuses (INVALID_ARG) an archived version and one whose artifact no longer matches the
 * sha256 in its version.yaml; NOT_FOUND for an unknown model or version. */
ferry_status registry_deploy(const char *repo, const char *name, uint64_t version,
                             const char *actor, const char *reason, bool *noop,
                             ferry_error *err) FERRY_MUST_CHECK;

/* Returns to `to`, or when `to` is 0 to the `from` of the last deploy or rollback in history.
 * *deployed is the version that became production; returning to the production version changes
 * nothing and records nothing. Refusals as registry_deploy, and NOT_FOUND when history has nothing
 * to return to. */
ferry_status registry_rollback(const char *repo, const char *name, uint64_t to, const char *actor,
                               const char *reason, uint64_t *deployed,
                               ferry_error *err) FERRY_MUST_CHECK;

/* Archives a version (it can no longer be deployed until restored by hand). Refuses the production
 * version. Archiving an archived version is a no-op. */
ferry_status registry_archive(const char *repo, const char *name, uint64_t version,
                              const char *actor, const char *reason,
                              ferry_error *err) FERRY_MUST_CHECK;

/* Sets model.yaml's `load:` to `policy` ("production", "all", "none" or a flow list "[1, 3]"),
 * recording `action` ("load" or "unload") in history. */
ferry_status registry_set_load(const char *repo, const char *name, const char *policy,
                               const char *action, const char *actor,
                               ferry_error *err) FERRY_MUST_CHECK;

/* Reads the model's history (oldest first); see history_read. */
ferry_status registry_history(const char *repo, const char *name, history_event **events,
                              size_t *count, size_t *skipped, ferry_error *err) FERRY_MUST_CHECK;

typedef enum registry_version_state {
    VERSION_PRODUCTION,
    VERSION_CANDIDATE, /* newer than production and never deployed */
    VERSION_ARCHIVED,
    VERSION_AVAILABLE,
} registry_version_state;

/* The name of a state ("production"). */
const char *registry_state_name(registry_version_state state);

/* One version as listed by `ferry versions` and the admin API. */
typedef struct registry_version_info {
    uint64_t version;
    registry_version_state state;
    char created[40];
    char author[64];
    char backend[32];
    char sha256[65];
    char *version_yaml_json; /* version.yaml as a JSON object (malloc'ed), "{}" when absent */
} registry_version_info;

/* Lists a model's versions, ascending, into a malloc'ed array; free with
 * registry_free_versions. *production is model.yaml's `production:`, else the highest version
 * (which the server then serves), 0 when there are no versions. */
ferry_status registry_list_versions(const char *repo, const char *name,
                                    registry_version_info **versions, size_t *count,
                                    uint64_t *production, ferry_error *err) FERRY_MUST_CHECK;

void registry_free_versions(registry_version_info *versions, size_t count);

#endif
