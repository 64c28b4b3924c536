/* What a model.yaml asks the server to load: its production version (`production:`, else the
 * highest version folder) and the versions `load:` selects — `production` (the default), `all`
 * (every version folder not listed in `archived:`), `none`, or a list of versions — with the
 * production version always included unless `none`. Pure: reads a parsed model.yaml and the list
 * of version folders, touches no file. */
#ifndef FERRY_SERVING_LOAD_PLAN_H
#define FERRY_SERVING_LOAD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/yaml_doc.h"

typedef enum load_policy { LOAD_PRODUCTION, LOAD_ALL, LOAD_NONE, LOAD_LIST } load_policy;

typedef struct load_plan {
    load_policy policy;
    uint64_t production; /* 0 only with LOAD_NONE and no version to name */
    uint64_t *wanted;    /* ascending, no duplicates; malloc'ed (NULL when none) */
    size_t n_wanted;
} load_plan;

/* Resolves model.yaml (`model_yaml`, a map; named `yaml_path` in errors) of model `name` against
 * its version folders (`versions`, ascending). The caller frees plan with load_plan_clear. Fails
 * with INVALID_ARG naming the file, line and key for a bad `production:` or `load:`, NOT_FOUND when
 * no production version can be chosen (no version folders), NO_MEMORY. */
ferry_status load_plan_resolve(const ynode *model_yaml, const char *yaml_path, const char *name,
                               const uint64_t *versions, size_t n_versions, load_plan *plan,
                               ferry_error *err) FERRY_MUST_CHECK;

/* Frees what a plan holds. Accepts NULL. */
void load_plan_clear(load_plan *plan);

/* True when s is a version number (digits, no leading zero, 1..UINT64_MAX); the value in *out. */
bool load_plan_parse_version(const char *s, uint64_t *out);

#endif
