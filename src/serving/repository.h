/* The model repository folder: REPO/NAME/model.yaml and REPO/NAME/VERSION/{artifact, version.yaml}.
 * Reads what the files ask for (which version is production, which backend and options) into a
 * model_spec that model_version_load turns into a loaded model. Never writes. */
#ifndef FERRY_SERVING_REPOSITORY_H
#define FERRY_SERVING_REPOSITORY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/yaml_doc.h"
#include "ferry/backend.h"

#define REPOSITORY_NAME_MAX    128
#define REPOSITORY_VERSION_MAX 24
#define REPOSITORY_MAX_OPTIONS 32

/* Everything needed to load one version of one model. Strings are owned by the spec. */
typedef struct model_spec {
    char name[REPOSITORY_NAME_MAX];
    char version[REPOSITORY_VERSION_MAX]; /* "3"; "" for a bare artifact with no version */
    char artifact[PATH_MAX];
    const ferry_backend *backend;
    char expected_sha256[65]; /* from version.yaml; "" when absent (then not verified) */
    int64_t expected_size;    /* from version.yaml; -1 when absent */
    size_t n_options;
    ferry_option options[REPOSITORY_MAX_OPTIONS];
    ynode *model_yaml;   /* parsed model.yaml (an empty map when absent); owns option strings */
    ynode *version_yaml; /* parsed version.yaml, or NULL */
} model_spec;

/* Frees what a spec owns (not the spec itself). Accepts NULL. */
void model_spec_clear(model_spec *spec);

/* True when `name` is a valid model name: 1..127 bytes of [A-Za-z0-9_.-], not starting with '.'. */
bool repository_valid_model_name(const char *name);

/* Lists the model folders of a repository, sorted by name. On success *names is a malloc'ed array
 * of *count malloc'ed strings that the caller frees with repository_free_names. Fails with
 * NOT_FOUND when the folder does not exist. */
ferry_status repository_list_models(const char *repo, char ***names, size_t *count,
                                    ferry_error *err) FERRY_MUST_CHECK;

void repository_free_names(char **names, size_t count);

/* Lists a model folder's version numbers, ascending. *versions is malloc'ed; caller frees it. */
ferry_status repository_list_versions(const char *model_dir, uint64_t **versions, size_t *count,
                                      ferry_error *err) FERRY_MUST_CHECK;

/* Reads REPO/NAME (model_dir) into spec for the version model.yaml's `production:` names, or the
 * highest version when it names none. `name` is the model's name. The caller clears the spec with
 * model_spec_clear on success; on failure nothing needs freeing. */
ferry_status repository_read_model(const char *model_dir, const char *name, model_spec *spec,
                                   ferry_error *err) FERRY_MUST_CHECK;

/* Like repository_read_model, for an explicit version ("3") of the model in model_dir. Fails with
 * NOT_FOUND naming the model and version when that folder does not exist. */
ferry_status repository_read_model_version(const char *model_dir, const char *name,
                                           const char *version, model_spec *spec,
                                           ferry_error *err) FERRY_MUST_CHECK;

/* Builds a spec for a bare artifact file (ferry serve ARTIFACT / ferry predict), named `name`, or
 * after the file name without its extension when `name` is NULL. */
ferry_status repository_read_artifact(const char *artifact, const char *name, model_spec *spec,
                                      ferry_error *err) FERRY_MUST_CHECK;

/* Reads whatever `path` is: an artifact file, a version folder (REPO/NAME/3) or a model folder
 * (REPO/NAME, its production version). The model is named `name` when not NULL, else after its
 * model folder (or the artifact's file name without extension). Same ownership as above. */
ferry_status repository_read_path(const char *path, const char *name, model_spec *spec,
                                  ferry_error *err) FERRY_MUST_CHECK;

#endif
