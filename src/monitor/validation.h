/* Validation of request rows against a training profile: a value missing where the training data
 * had none, outside the training range widened by a tolerance (by default half the range on each
 * side), or not one of the training categories (when the profile kept every category). Configured
 * by model.yaml's `validation: reject | warn | off` or `validation: {policy, tolerance, features:
 * {NAME: {min, max, tolerance}}}`. Checking is a pass over the bound input tensors with no
 * allocation. */
#ifndef FERRY_MONITOR_VALIDATION_H
#define FERRY_MONITOR_VALIDATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/yaml_doc.h"
#include "ferry/backend.h"
#include "ferry/tensor.h"
#include "monitor/feature_map.h"
#include "monitor/profile.h"

typedef enum validation_policy {
    VALIDATION_OFF,
    VALIDATION_WARN,
    VALIDATION_REJECT
} validation_policy;

/* X(code, name) */
#define VALIDATION_RULE_LIST(X)                                                                    \
    X(MISSING, "missing")                                                                          \
    X(MIN, "min")                                                                                  \
    X(MAX, "max")                                                                                  \
    X(CATEGORY, "category")                                                                        \
    X(DTYPE, "dtype")                                                                              \
    X(SHAPE, "shape")

typedef enum validation_rule {
#define VALIDATION_RULE_ENUM(code, name) VALIDATION_##code,
    VALIDATION_RULE_LIST(VALIDATION_RULE_ENUM)
#undef VALIDATION_RULE_ENUM
        VALIDATION_RULE_COUNT
} validation_rule;

#define VALIDATION_DEFAULT_TOLERANCE 0.5
#define VALIDATION_REPORT_MAX        100 /* violations listed in a reject answer */

/* "missing", "min", ... */
const char *validation_rule_name(validation_rule r);

/* "off", "warn", "reject". */
const char *validation_policy_name(validation_policy p);

/* One feature's checks. */
typedef struct validation_feature {
    const char *name; /* the profile column's (borrowed from the profile) */
    feature_slot slot;
    bool allow_missing;
    bool has_range;
    double min, max;    /* widened by the tolerance */
    double *categories; /* sorted; checked when n_categories > 0 */
    size_t n_categories;
} validation_feature;

typedef struct validator {
    validation_policy policy;
    validation_feature *features;
    size_t n_features;
} validator;

/* One violation found. */
typedef struct validation_violation {
    uint64_t row;
    size_t feature; /* index into validator.features */
    double value;
    validation_rule rule;
} validation_violation;

/* Reads the policy alone from model.yaml's `validation` node (NULL: warn). Fails with INVALID_ARG
 * naming the key and line for a value it does not know. */
ferry_status validation_parse_policy(const ynode *node, validation_policy *out,
                                     ferry_error *err) FERRY_MUST_CHECK;

/* Builds the checks for the mapped features of `map` from the profile `p` and model.yaml's
 * `validation` node (may be NULL). Fails with INVALID_ARG naming the key and line of a bad
 * setting or a feature the profile lacks; NO_MEMORY. Free with validator_free. */
ferry_status validator_build(const feature_map *map, const profile *p, const ynode *node,
                             validator *out, ferry_error *err) FERRY_MUST_CHECK;

void validator_free(validator *v);

/* Checks every row of the bound inputs (in the model's order). Stores up to cap violations in
 * out and returns how many there were in all. Inputs of a dtype other than numbers are skipped. */
size_t validator_check(const validator *v, const ferry_tensor *bound, size_t n_bound,
                       validation_violation *out, size_t cap);

/* What a violation expected, as text ("<= 28.1"). */
void validation_expected(const validator *v, const validation_violation *x, char *buf, size_t len);

/* The violations as a JSON array of {"row", "feature", "value", "rule", "expected"}; NULL when
 * out of memory. */
json_t *validation_violations_json(const validator *v, const validation_violation *x, size_t n);

/* The dtype and shape violations of a request's inputs against the model's declared inputs io:
 * for each request input named like a model input, a datatype the model does not accept (rule
 * "dtype", value the datatype's name, expected the model's) or a shape that does not fit (rule
 * "shape", value the shape as a list, expected the declared shape as text, -1 any size). `row` is
 * null: the rule is about the whole input, named as `feature`. A JSON array, empty when every
 * input fits; NULL when out of memory. */
json_t *validation_io_violations(const ferry_model_io *io, const ferry_tensor *inputs, size_t n);

#endif
