/* The OIP model repository extension: POST /v2/repository/index lists every model with its state
 * as Triton names them (READY, LOADING, UNAVAILABLE), and load/unload write model.yaml's `load:`
 * through the registry so that the reconciler applies (and keeps) the change. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/yaml_doc.h"
#include "protocol/admin_internal.h"
#include "serving/model_table.h"
#include "serving/registry.h"
#include "serving/repository.h"

/* ------------------------------------------------------------------------------------------ */
/* Index                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static json_t *index_entry(const char *name, const char *version, const char *state,
                           const char *reason)
{
    json_t *e = json_pack("{s:s}", "name", name);
    if (e != NULL && version != NULL && version[0] != '\0')
        json_object_set_new(e, "version", json_string(version));
    if (e != NULL)
        json_object_set_new(e, "state", json_string(state));
    if (e != NULL && reason != NULL && reason[0] != '\0')
        json_object_set_new(e, "reason", json_string(reason));
    return e;
}

/* Appends the entries of one model: one READY entry per loaded version, else one entry saying why
 * nothing is loaded. */
static void append_model(json_t *list, model_table *table, const char *name, bool only_ready)
{
    model_status *s = malloc(sizeof *s);
    if (s == NULL)
        return;
    if (!model_table_get(table, name, s)) {
        if (!only_ready)
            json_array_append_new(list, index_entry(name, NULL, "UNAVAILABLE", "not loaded"));
    } else if (s->n_versions > 0) {
        size_t n = s->n_versions < MODEL_TABLE_LIST_MAX ? s->n_versions : MODEL_TABLE_LIST_MAX;
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, index_entry(name, s->versions[i], "READY", NULL));
    } else if (!only_ready) {
        const char *state = s->state == MODEL_LOADING ? "LOADING" : "UNAVAILABLE";
        const char *reason = s->reason[0]                 ? s->reason
                             : s->state == MODEL_UNLOADED ? "unloaded"
                                                          : NULL;
        json_array_append_new(list, index_entry(name, s->version, state, reason));
    }
    free(s);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the repository's model folders and of the models the table knows, sorted, without
 * duplicates. Malloc'ed strings in a malloc'ed array. */
static ferry_status index_names(const admin_call *c, char ***names, size_t *count, ferry_error *err)
{
    *names = NULL;
    *count = 0;
    if (c->repo != NULL) {
        ferry_status st = repository_list_models(c->repo, names, count, err);
        if (st != FERRY_OK)
            return st;
    }
    size_t n_table = model_table_list(c->ctx->models, NULL, 0);
    model_status *table = n_table ? calloc(n_table, sizeof *table) : NULL;
    n_table = table ? model_table_list(c->ctx->models, table, n_table) : 0;
    char **grown = realloc(*names, (*count + n_table + 1) * sizeof **names);
    if (grown == NULL) {
        free(table);
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory listing models");
    }
    *names = grown;
    for (size_t i = 0; i < n_table && table != NULL; i++) {
        bool seen = false;
        for (size_t j = 0; j < *count && !seen; j++)
            seen = strcmp((*names)[j], table[i].name) == 0;
        char *copy = seen ? NULL : strdup(table[i].name);
        if (copy != NULL)
            (*names)[(*count)++] = copy;
    }
    free(table);
    if (*count > 1)
        qsort(*names, *count, sizeof **names, compare_names);
    return FERRY_OK;
}

void admin_repository_index(admin_call *c)
{
    json_t *body = NULL;
    if (!admin_body_object(c->ex, &body))
        return;
    json_t *ready = json_object_get(body, "ready");
    bool bad = ready != NULL && !json_is_boolean(ready);
    bool only_ready = json_is_true(ready);
    json_decref(body);
    if (bad) {
        admin_error(c->ex, 400, "\"ready\" must be true or false");
        return;
    }
    char **names = NULL;
    size_t count = 0;
    ferry_error err;
    if (index_names(c, &names, &count, &err) != FERRY_OK) {
        admin_fail(c->ex, &err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < count; i++)
        append_model(list, c->ctx->models, names[i], only_ready);
    repository_free_names(names, count);
    admin_json(c->ex, 200, list);
}

/* ------------------------------------------------------------------------------------------ */
/* Load and unload                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* Refuses Triton's load parameters that replace files or the config: ferry takes new versions
 * through POST /ferry/v1/models/{name}/versions and config through model.yaml. */
static bool check_load_parameters(rest_exchange *ex, json_t *body)
{
    json_t *params = json_object_get(body, "parameters");
    if (params == NULL || json_is_null(params))
        return true;
    if (!json_is_object(params)) {
        admin_error(ex, 400, "\"parameters\" must be an object");
        return false;
    }
    const char *key;
    json_t *value;
    json_object_foreach(params, key, value)
    {
        if (strcmp(key, "config") == 0 || strncmp(key, "file:", 5) == 0) {
            admin_error(ex, 400,
                        "load parameter '%.100s' is not supported: register files with POST "
                        "/ferry/v1/models/{name}/versions and edit model.yaml for the config",
                        key);
            return false;
        }
    }
    return true;
}

/* The `load:` policy a load request writes: the model's explicit one ("all" or a list) when it
 * has one, else "production". */
static void load_policy(const admin_call *c, char *policy, size_t len)
{
    snprintf(policy, len, "production");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/model.yaml", c->repo, c->name);
    ynode *yaml = NULL;
    ferry_error ignored;
    if (yaml_doc_load_file(path, &yaml, &ignored) != FERRY_OK)
        return;
    const ynode *load = ynode_get(yaml, "load");
    if (load != NULL && load->kind == YNODE_SCALAR && strcmp(load->scalar, "all") == 0)
        snprintf(policy, len, "all");
    if (load != NULL && load->kind == YNODE_SEQ && load->n > 0) {
        size_t used = (size_t)snprintf(policy, len, "[");
        uint64_t v;
        for (size_t i = 0; i < load->n && used < len; i++)
            if (load->items[i]->kind == YNODE_SCALAR &&
                admin_parse_version(load->items[i]->scalar, &v))
                used += (size_t)snprintf(policy + used, len - used, "%s%s", used > 1 ? ", " : "",
                                         load->items[i]->scalar);
        if (used > 1 && used + 2 <= len)
            snprintf(policy + used, len - used, "]");
        else
            snprintf(policy, len, "production");
    }
    ynode_free(yaml);
}

static void set_load(admin_call *c, bool load)
{
    json_t *body = NULL;
    if (!admin_body_object(c->ex, &body))
        return;
    bool ok = check_load_parameters(c->ex, body);
    json_decref(body);
    if (!ok)
        return;
    char policy[1024];
    if (load)
        load_policy(c, policy, sizeof policy);
    else
        snprintf(policy, sizeof policy, "none");
    ferry_error err;
    if (registry_set_load(c->repo, c->name, policy, load ? "load" : "unload", c->actor, &err) !=
        FERRY_OK) {
        admin_refuse(c->ex, &err);
        return;
    }
    admin_changed(c);
    admin_empty(c->ex);
}

void admin_repository_load(admin_call *c)
{
    set_load(c, true);
}

void admin_repository_unload(admin_call *c)
{
    set_load(c, false);
}
