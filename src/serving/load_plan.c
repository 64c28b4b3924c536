/* Resolving model.yaml's production and load keys; see load_plan.h. */
#include "serving/load_plan.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

bool load_plan_parse_version(const char *s, uint64_t *out)
{
    if (s == NULL || s[0] == '\0' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 19)
        return false;
    uint64_t v = 0;
    for (const char *c = s; *c != '\0'; c++) {
        if (!isdigit((unsigned char)*c))
            return false;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    *out = v;
    return v > 0;
}

void load_plan_clear(load_plan *plan)
{
    if (plan == NULL)
        return;
    free(plan->wanted);
    plan->wanted = NULL;
    plan->n_wanted = 0;
}

/* Adds v to the ascending set plan->wanted (capacity checked by the caller). */
static void want(load_plan *plan, uint64_t v)
{
    size_t i = 0;
    while (i < plan->n_wanted && plan->wanted[i] < v)
        i++;
    if (i < plan->n_wanted && plan->wanted[i] == v)
        return;
    memmove(&plan->wanted[i + 1], &plan->wanted[i], (plan->n_wanted - i) * sizeof *plan->wanted);
    plan->wanted[i] = v;
    plan->n_wanted++;
}

static bool listed(const ynode *seq, uint64_t v)
{
    uint64_t x;
    for (size_t i = 0; seq != NULL && seq->kind == YNODE_SEQ && i < seq->n; i++)
        if (seq->items[i]->kind == YNODE_SCALAR &&
            load_plan_parse_version(seq->items[i]->scalar, &x) && x == v)
            return true;
    return false;
}

static ferry_status bad_load(const ynode *load, const char *yaml_path, ferry_error *err)
{
    return ferry_error_set(err, FERRY_INVALID_ARG,
                           "%s: line %d: load must be production, all, none or a list of version "
                           "numbers",
                           yaml_path, load->line);
}

/* Reads `load:` into plan->policy; the versions of a list are added later by add_wanted. */
static ferry_status read_policy(const ynode *load, const char *yaml_path, load_plan *plan,
                                ferry_error *err)
{
    uint64_t v;
    plan->policy = LOAD_PRODUCTION;
    if (load == NULL)
        return FERRY_OK;
    if (load->kind == YNODE_SCALAR) {
        if (strcmp(load->scalar, "production") == 0)
            return FERRY_OK;
        plan->policy = strcmp(load->scalar, "all") == 0    ? LOAD_ALL
                       : strcmp(load->scalar, "none") == 0 ? LOAD_NONE
                                                           : LOAD_LIST;
        if (plan->policy == LOAD_LIST && !load_plan_parse_version(load->scalar, &v))
            return bad_load(load, yaml_path, err);
        return FERRY_OK;
    }
    if (load->kind != YNODE_SEQ)
        return bad_load(load, yaml_path, err);
    for (size_t i = 0; i < load->n; i++)
        if (load->items[i]->kind != YNODE_SCALAR ||
            !load_plan_parse_version(load->items[i]->scalar, &v))
            return bad_load(load->items[i], yaml_path, err);
    plan->policy = LOAD_LIST;
    return FERRY_OK;
}

static ferry_status read_production(const ynode *model_yaml, const char *yaml_path,
                                    const char *name, const uint64_t *versions, size_t n_versions,
                                    load_plan *plan, ferry_error *err)
{
    const ynode *node = ynode_get(model_yaml, "production");
    if (node != NULL) {
        if (node->kind != YNODE_SCALAR || !load_plan_parse_version(node->scalar, &plan->production))
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "%s: line %d: production must be a version number", yaml_path,
                                   node->line);
        return FERRY_OK;
    }
    if (n_versions > 0)
        plan->production = versions[n_versions - 1];
    else if (plan->policy != LOAD_NONE)
        return ferry_error_set(err, FERRY_NOT_FOUND,
                               "model '%s': no version folders and no production version in %s",
                               name, yaml_path);
    return FERRY_OK;
}

static ferry_status add_wanted(const ynode *model_yaml, const uint64_t *versions, size_t n_versions,
                               load_plan *plan, ferry_error *err)
{
    const ynode *load = ynode_get(model_yaml, "load");
    size_t cap = 1 + n_versions + (load != NULL && load->kind == YNODE_SEQ ? load->n : 0);
    plan->wanted = malloc(cap * sizeof *plan->wanted);
    if (plan->wanted == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory");
    if (plan->policy == LOAD_NONE)
        return FERRY_OK;
    want(plan, plan->production);
    const ynode *archived = ynode_get(model_yaml, "archived");
    for (size_t i = 0; plan->policy == LOAD_ALL && i < n_versions; i++)
        if (!listed(archived, versions[i]))
            want(plan, versions[i]);
    uint64_t v;
    if (plan->policy == LOAD_LIST && load->kind == YNODE_SCALAR &&
        load_plan_parse_version(load->scalar, &v))
        want(plan, v);
    for (size_t i = 0; plan->policy == LOAD_LIST && load->kind == YNODE_SEQ && i < load->n; i++)
        if (load_plan_parse_version(load->items[i]->scalar, &v))
            want(plan, v);
    return FERRY_OK;
}

ferry_status load_plan_resolve(const ynode *model_yaml, const char *yaml_path, const char *name,
                               const uint64_t *versions, size_t n_versions, load_plan *plan,
                               ferry_error *err)
{
    memset(plan, 0, sizeof *plan);
    ferry_status st = read_policy(ynode_get(model_yaml, "load"), yaml_path, plan, err);
    if (st == FERRY_OK)
        st = read_production(model_yaml, yaml_path, name, versions, n_versions, plan, err);
    if (st == FERRY_OK)
        st = add_wanted(model_yaml, versions, n_versions, plan, err);
    if (st != FERRY_OK)
        load_plan_clear(plan);
    return st;
}
